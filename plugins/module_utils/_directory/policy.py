# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Password policies checked before anything is sent: every broken rule is named.

Private to the collection. What a client cannot know (password history, minimum age)
is left to the directory, whose refusal is turned into a readable error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import string

# A short list of the most common passwords (the directory's own list is larger).
COMMON_PASSWORDS = frozenset((
    "password", "password1", "password123", "123456", "12345678", "123456789", "1234567890", "qwerty",
    "qwerty123", "abc123", "111111", "letmein", "welcome", "welcome1", "iloveyou", "admin", "admin123",
    "monkey", "dragon", "sunshine", "princess", "football", "baseball", "passw0rd", "p@ssw0rd", "changeme",
))

# settings.passwordCompliance presets other than "custom" (their exact rules are unconfirmed).
PRESETS = {
    "pci3": {"enableMinLength": True, "minLength": 7, "needsNumeric": True, "needsAlpha": True},
    "windows": {"enableMinLength": True, "minLength": 8, "threeOfFourClasses": True, "allowUsernameSubstring": False},
}


def _has_run(password, length=3):
    """Three or more repeated (aaa) or sequential (abc, 321) characters."""
    for index in range(len(password) - length + 1):
        chunk = [ord(c) for c in password[index:index + length]]
        steps = set(b - a for a, b in zip(chunk, chunk[1:]))
        if steps in ({0}, {1}, {-1}):
            return True
    return False


def jumpcloud_policy_violations(password, policy, username=None, compliance="custom"):
    """Rules of a JumpCloud organisation's settings.passwordPolicy that the password breaks."""
    if compliance in PRESETS:
        policy = PRESETS[compliance]
    elif compliance not in (None, "", "custom"):
        return []
    policy = policy or {}
    broken = []
    if policy.get("enableMinLength") and len(password) < int(policy.get("minLength") or 0):
        broken.append("at least %s characters" % policy["minLength"])
    classes = (
        ("needsLowercase", "a lowercase letter", lambda c: c.islower()),
        ("needsUppercase", "an uppercase letter", lambda c: c.isupper()),
        ("needsNumeric", "a digit", lambda c: c.isdigit()),
        ("needsSymbolic", "a symbol", lambda c: c in string.punctuation or (not c.isalnum() and not c.isspace())),
        ("needsAlpha", "a letter", lambda c: c.isalpha()),
    )
    for key, what, test in classes:
        if policy.get(key) and not any(test(c) for c in password):
            broken.append("contains %s" % what)
    if policy.get("threeOfFourClasses"):
        present = sum(1 for _key, _what, test in classes[:4] if any(test(c) for c in password))
        if present < 3:
            broken.append("three of: lowercase, uppercase, digit, symbol")
    if username and policy.get("allowUsernameSubstring") is False and username.lower() in password.lower():
        broken.append("does not contain the username")
    if policy.get("disallowSequentialOrRepetitiveChars") and _has_run(password):
        broken.append("no three repeated or sequential characters")
    if policy.get("disallowCommonlyUsedPasswords") and password.lower() in COMMON_PASSWORDS:
        broken.append("not a commonly used password")
    return broken
