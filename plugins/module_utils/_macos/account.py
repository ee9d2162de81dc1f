# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A local macOS account as Open Directory shows it (dscl), and its password check.

Private to the collection. Runs on the Mac: Python 3.9, standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import plistlib
import re

from .runner import ToolError

_KEY_LINE = re.compile(r"^([A-Za-z][\w]*(?::[\w]+)?):(?: (.*))?$")
_ATTRIBUTES = ("GeneratedUID", "NFSHomeDirectory", "UniqueID", "PrimaryGroupID",
               "AuthenticationAuthority", "accountPolicyData")

AUTH_OK = "ok"
AUTH_FAILED = "failed"
AUTH_LOCKED = "locked"


class CredentialError(Exception):
    """A clear, secret-free reason why nothing (more) could be done, with its remedy."""


def escape_dscl_word(text):
    """Backslash-escape every character but letters and digits for dscl's interactive mode.

    dscl's command reader honours backslash escapes; escaping everything else
    keeps quotes, spaces and shell-ish characters in a password literal.
    """
    return "".join(c if c.isalnum() else "\\" + c for c in text)


MAX_SHORT_NAME = 255
_SHORT_NAME_CHARS = re.compile(r"[A-Za-z0-9_.-]+")


def short_name_problems(value):
    """The rules a user option breaks as a macOS short name, as phrases that complete "<option> ...".

    The name ends up in Open Directory paths (/Users/<name>) and, through the home folder, in file paths:
    what could climb out of /Users, read as a tool's option or carry a line into dscl's interactive mode is
    refused, not escaped. The rule is the short name macOS itself allows (System Settings) and the
    directories this collection syncs from hand out: ASCII letters, digits, '_', '-' and '.'.
    """
    if value is None:
        return ["is missing"]
    if not isinstance(value, str):
        return ["must be a string (a macOS short name), not %s" % type(value).__name__]
    if value == "":
        return ["is empty"]
    problems = []
    if len(value) > MAX_SHORT_NAME:
        problems.append("is longer than %d characters, the longest name a home folder can have" % MAX_SHORT_NAME)
    if not _SHORT_NAME_CHARS.fullmatch(value):
        problems.append("may contain only ASCII letters, digits, '_', '-' and '.' (a macOS short name: no space, "
                        "'/', ':', line break or other character)")
    if value.startswith("-"):
        problems.append("must not start with '-' (the macOS tools would read it as an option)")
    elif value.startswith("."):
        problems.append("must not start with '.' (a hidden or relative path such as '..', not an account)")
    return problems


def parse_dscl_read(text):
    """`dscl . -read` output -> {key: [values]} (a plist attribute -> its XML text)."""
    attributes = {}
    key = None
    for line in text.splitlines():
        match = _KEY_LINE.match(line)
        if match and not line.startswith((" ", "\t", "<")):
            key = match.group(1).split(":")[-1]
            value = match.group(2)
            attributes[key] = value.split(" ") if value else []
        elif key is not None:
            attributes[key].append(line[1:] if line.startswith(" ") else line)
    return attributes


class Account:
    """The attributes a password sync needs, read in one dscl call."""

    def __init__(self, runner, name, failures=0):
        self.runner = runner
        self.name = name
        # Wrong passwords this run showed the account (each one counts toward its lockout threshold).
        self.failures = failures
        result = runner.run("dscl", [".", "-read", "/Users/" + name] + list(_ATTRIBUTES))
        if result.rc != 0 or "eDSRecordNotFound" in result.stderr:
            if "eDSRecordNotFound" in result.stderr:
                raise CredentialError("user %s not found on this Mac (dscl: eDSRecordNotFound)" % name)
            raise ToolError(runner.describe_failure(result), result)
        attributes = parse_dscl_read(result.stdout)
        self.guid = _single(attributes, "GeneratedUID", name).upper()
        self.home = _single(attributes, "NFSHomeDirectory", name)
        try:
            self.uid = int(_single(attributes, "UniqueID", name))
            self.gid = int(_single(attributes, "PrimaryGroupID", name))
        except ValueError:
            raise CredentialError("user %s has a UniqueID or PrimaryGroupID in Open Directory that is not a number"
                                  % name)
        self.authority = attributes.get("AuthenticationAuthority", [])
        policy_xml = "\n".join(attributes.get("accountPolicyData", []))
        try:
            self.policy = plistlib.loads(policy_xml.encode("utf-8")) if policy_xml else {}
        except Exception:  # pylint: disable=broad-except
            self.policy = {}
        if not isinstance(self.policy, dict):
            self.policy = {}

    @property
    def secure_token(self):
        return ";SecureToken;" in self.authority and ";DisabledTags;SecureToken" not in self.authority

    @property
    def password_last_set(self):
        try:
            return float(self.policy.get("passwordLastSetTime") or 0)
        except (TypeError, ValueError):
            return 0.0

    def authenticate(self, password):
        """AUTH_OK, AUTH_FAILED or AUTH_LOCKED. A failure counts toward the lockout threshold."""
        result = self.runner.run("dscl", [".", "-authonly", self.name], stdin=password + "\n")
        if result.rc == 0:
            return AUTH_OK
        if "eDSAuthAccountDisabled" in result.stdout + result.stderr:
            return AUTH_LOCKED
        if "eDSAuthFailed" in result.stdout + result.stderr:
            self.failures += 1
            return AUTH_FAILED
        raise ToolError(self.runner.describe_failure(result), result)

    def reload(self):
        return Account(self.runner, self.name, self.failures)


def _single(attributes, key, name):
    values = attributes.get(key)
    if not values:
        raise CredentialError("user %s has no %s in Open Directory" % (name, key))
    return values[0]
