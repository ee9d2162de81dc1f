# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one password validator: what a password must be before any store or directory is asked to take it.

Every password this collection sets ends up on a Mac (the directory password is the one the Mac is
synced to), so the rules are the Mac's. The Mac modules, the directory modules and the fleet playbooks
(through the `password_problems` filter) all call it before the first write, so a password that some
store would refuse, or take differently, changes nothing anywhere. Messages name the option and the rule,
never the value.

The limits, and where they come from (docs/reliability.md keeps the evidence):
- FileVault: an APFS crypto user's passphrase is at most 127 bytes (diskutil apfs).
- The login keychain: security(1) reads a prompted password with getpass(3), which keeps at most 128
  characters (_PASSWORD_LEN) and silently drops the rest.
- The local password and the tools' prompts (dscl, sysadminctl): read up to a line break; a NUL ends
  the C string early, so what is stored would not be what was given.
The strictest of them, 127 bytes of UTF-8, is the rule for every password: FileVault may be turned on
after the sync, and a password it cannot take would then leave the Mac out of step.

Private to the collection; runs on the Mac too: Python 3.9, standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import unicodedata

from .text import control_characters

MAX_PASSWORD_BYTES = 127

# bool before int: a boolean is an int to isinstance.
_TYPE_NAMES = ((bool, "a boolean"), (dict, "a mapping"), ((list, tuple), "a list"), ((int, float), "a number"))


class PasswordError(ValueError):
    """A password no store can take; the message names the option and every broken rule, never the value."""

    def __init__(self, what, problems):
        super(PasswordError, self).__init__("%s %s" % (what, "; ".join(problems)))
        self.what = what
        self.problems = problems


def _type_name(value):
    for kind, name in _TYPE_NAMES:
        if isinstance(value, kind):
            return name
    return "a %s" % type(value).__name__


def password_problems(value):
    """The rules the value breaks, as phrases that complete "<option> ...": [] for a good password."""
    if value is None:
        return ["is missing"]
    if not isinstance(value, str):
        return ["must be a string, not %s (quote it in YAML: a number or a mapping is not a password)"
                % _type_name(value)]
    if value == "":
        return ["is empty"]
    problems = []
    if not value.strip():
        problems.append("is blank (white space only)")
    categories = set(unicodedata.category(char) for char in value)
    if "\n" in value or "\r" in value:
        problems.append("contains a line break, which the macOS tools cannot read on standard input")
    if "\x00" in value:
        problems.append("contains a NUL character, which ends the password early in the macOS tools")
    # Line breaks and NUL have their own words above.
    if control_characters(value, allowed="\n\r\x00"):
        problems.append("contains a control character (such as tab or escape), which the login window cannot "
                        "type and the macOS tools do not take as typed")
    if "Cs" in categories:
        problems.append("contains a lone surrogate, which is not a Unicode character and cannot be encoded")
    elif len(value.encode("utf-8")) > MAX_PASSWORD_BYTES:
        problems.append("is longer than %d bytes in UTF-8, the most a FileVault passphrase can be"
                        % MAX_PASSWORD_BYTES)
    return problems


def check_password(value, what="password", optional=False):
    """Raise PasswordError unless the value is a password every Mac store takes as given.

    optional: None (the option not given) is fine; an empty string is not, as it would be tried
    as a password (omit the option instead).
    """
    if value is None and optional:
        return
    problems = password_problems(value)
    if problems:
        raise PasswordError(what, problems)
