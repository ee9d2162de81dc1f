# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every package of the collection does with secrets: redact them, and validate passwords.

Private to the collection. Runs on the Mac too: Python 3.9, standard library only.
"""
