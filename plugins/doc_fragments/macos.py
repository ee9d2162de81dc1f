# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name


class ModuleDocFragment:
    """Shared by the modules that run on the Mac."""

    DOCUMENTATION = r"""
options:
  user:
    description:
      - Short name of the local macOS account.
      - A string of ASCII letters, digits, C(_), C(-) and C(.), at most 255 characters, not starting with C(-) or
        C(.) (so never C(..), a path, an option or a line). Anything else is refused before any tool runs.
    type: raw
    required: true
notes:
  - Runs on the Mac with Apple's C(/usr/bin/python3) (Python 3.9, standard library only); needs root
    (C(become=true)). Set C(ansible_python_interpreter=/usr/bin/python3) for your Macs.
  - Secrets reach the macOS tools on standard input only, never on a command line; the tools are started without
    a controlling terminal so their prompts read standard input instead of hanging on C(/dev/tty).
requirements:
  - macOS 13 or later (C(dscl), C(sysadminctl), C(fdesetup), C(diskutil), C(security), C(pwpolicy)).
"""

    ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Can run in check mode and return the changed status it would have, without modifying the Mac.
    support: full
  platform:
    description: Target operating system.
    support: full
    platforms: darwin
"""
