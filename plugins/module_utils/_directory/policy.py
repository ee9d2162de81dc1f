# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Password policies checked before anything is sent: every broken rule is named.

Private to the collection. What a client cannot know (password history, minimum age)
is left to the directory, whose refusal is turned into a readable error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import re
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


# displayName is cut at these to find the parts an AD password may not contain.
_AD_NAME_DELIMITERS = re.compile(r"[,.\-_ #\t]")


def _ad_kinds(password):
    """The kinds of characters AD's complexity rule counts that the password has."""
    kinds = set()
    for char in password:
        if char in string.digits:
            kinds.add("digit")
        elif char in string.punctuation:  # AD's list of symbols is exactly ASCII punctuation
            kinds.add("symbol")
        elif char.isupper():
            kinds.add("uppercase")
        elif char.islower():
            kinds.add("lowercase")
        elif not char.isascii():
            # AD counts letters without case (most Asian scripts); Samba any other non-ASCII character.
            # Counting them all can only let through what the domain controller then refuses.
            kinds.add("other")
    return kinds


def ad_policy_violations(password, policy, account_name=None, display_name=None):
    """Rules of an AD password policy ({min_length, complexity}) that the password breaks.

    Complexity as AD defines it: characters of three of five kinds (uppercase, lowercase, digits,
    symbols, letters without case), and, ignoring case, neither the sAMAccountName (when it has three
    characters or more) nor any part of the displayName of three characters or more, cut at
    commas, periods, hyphens, underscores, spaces, pound signs and tabs. Broken name rules are named
    without the part matched, which would tell a piece of the password.
    """
    broken = []
    if len(password) < (policy.get("min_length") or 0):
        broken.append("at least %d characters" % policy["min_length"])
    if policy.get("complexity"):
        if len(_ad_kinds(password)) < 3:
            broken.append("characters of three kinds of: uppercase, lowercase, digits, symbols, letters without case")
        lowered = password.lower()
        if account_name and len(account_name) >= 3 and account_name.lower() in lowered:
            broken.append("does not contain the account name")
        if any(len(part) >= 3 and part.lower() in lowered for part in _AD_NAME_DELIMITERS.split(display_name or "")):
            broken.append("does not contain a part of the display name")
    return broken


# Okta cuts the login at these and excludes the parts of four characters or more (okta-developer-docs PR #3511;
# not in the spec, so a rule Okta may apply differently: its refusal is then reported as is).
_OKTA_LOGIN_DELIMITERS = re.compile(r"[,._#@\-]")
_OKTA_ATTRIBUTE_NAMES = {"firstName": "the first name", "lastName": "the last name"}


def okta_policy_violations(password, complexity, login=None, profile=None):
    """Rules of an Okta password policy's settings.password.complexity that the password breaks.

    minLength; minLowerCase, minUpperCase, minNumber, minSymbol (0/1 flags, not counts); excludeUsername (no part
    of the login of 4 characters or more, cut at , . _ # @ -); excludeAttributes (firstName, lastName);
    dictionary.common.exclude (checked against a short list: Okta's own is larger); maxConsecutiveCharacters.
    Name rules are named without the part matched, which would tell a piece of the password. History and minimum
    age are Okta's to enforce (a client cannot see previous passwords).
    """
    complexity = complexity or {}
    profile = profile or {}
    broken = []
    min_length = int(complexity.get("minLength", 8) or 0)
    if len(password) < min_length:
        broken.append("at least %d characters" % min_length)
    classes = (
        ("minLowerCase", "a lowercase letter", lambda c: c.islower()),
        ("minUpperCase", "an uppercase letter", lambda c: c.isupper()),
        ("minNumber", "a number", lambda c: c.isdigit()),
        ("minSymbol", "a symbol", lambda c: c in string.punctuation or (not c.isalnum() and not c.isspace())),
    )
    for key, what, test in classes:
        if complexity.get(key, 1) and not any(test(c) for c in password):
            broken.append("contains %s" % what)
    lowered = password.lower()
    if complexity.get("excludeUsername", True) and any(
            len(part) >= 4 and part.lower() in lowered for part in _OKTA_LOGIN_DELIMITERS.split(login or "")):
        broken.append("does not contain a part of the username")
    for attribute in complexity.get("excludeAttributes") or []:
        value = profile.get(attribute)
        if isinstance(value, str) and value and value.lower() in lowered:
            broken.append("does not contain %s" % _OKTA_ATTRIBUTE_NAMES.get(attribute, "the " + attribute))
    limit = complexity.get("maxConsecutiveCharacters")
    if limit and any(len(set(password[index:index + limit + 1])) == 1 for index in range(len(password) - limit)):
        broken.append("no more than %d identical characters in a row" % limit)
    if ((complexity.get("dictionary") or {}).get("common") or {}).get("exclude") and lowered in COMMON_PASSWORDS:
        broken.append("not a commonly used password")
    return broken
