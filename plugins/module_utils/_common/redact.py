# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Secret redaction, one function for the whole collection.

Private to the collection; Python 3.9, standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

REDACTED = "********"


def _variants(secret):
    """The secret as given and as it often reappears in messages: stripped of surrounding white space
    (a YAML `|` block adds a newline that an error message then drops) and as its repr() body."""
    seen = [secret]
    stripped = secret.strip()
    if stripped and stripped != secret:
        seen.append(stripped)
    escaped = repr(secret)[1:-1]
    if escaped != secret:
        seen.append(escaped)
    return seen


def redact(text, secrets):
    """Replace every occurrence of each secret (longest first) with a placeholder."""
    if not text:
        return text
    if not isinstance(text, str):
        text = str(text)
    variants = set()
    for secret in secrets:
        if isinstance(secret, str) and secret:
            variants.update(v for v in _variants(secret) if v)
    for variant in sorted(variants, key=len, reverse=True):
        text = text.replace(variant, REDACTED)
    return text
