# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A local account's lockout after repeated failed logins (pwpolicy's failed-authentication rule).

Private to the collection; Python 3.9, standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import plistlib
import re

from .candidates import FailureBudget
from .runner import ToolError

# pwpolicy's account policy parameter for the lockout threshold (com.apple.maximumFailedLoginAttempts and MDM
# passcode payloads' maxFailedAttempts both land here).
MAX_FAILED = "policyAttributeMaximumFailedAuthentications"
# The attribute a lockout rule compares (policyContent), and a comparison of it with a parameter or a number.
FAILED = "policyAttributeFailedAuthentications"
_COMPARISON = re.compile(FAILED + r"\s*(<=|<)\s*([A-Za-z]+|[0-9]+)")
# Wrong local passwords a run allows itself when the lockout policy cannot be read: the directory password and
# one previous password, what the module tried before candidates existed.
UNREADABLE_POLICY_FAILURES = 2


def policy_thresholds(text):
    """The lockout thresholds in `pwpolicy -getaccountpolicies` output (a heading line, then a plist).

    [] when no policy sets one; None when the output holds no property list that can be read.
    """
    start = text.find("<?xml")
    if start < 0:
        start = text.find("<plist")
    if start < 0:
        return [] if not text.strip() or text.strip().startswith("Getting") else None
    try:
        document = plistlib.loads(text[start:].encode("utf-8"))
    except Exception:  # pylint: disable=broad-except
        return None
    thresholds = []
    if not isinstance(document, dict):
        return None
    for category in document.values():
        for entry in category if isinstance(category, list) else []:
            found = _entry_thresholds(entry) if isinstance(entry, dict) else []
            if found is None:
                return None
            thresholds.extend(found)
    return thresholds


def _number(value):
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else None


def _entry_thresholds(entry):
    """The thresholds one policy entry sets: from its parameter, or from a number written into its content
    (a hand-made policy such as `policyAttributeFailedAuthentications < 5`). None when the content limits failed
    logins in a way this cannot read, so that the caller risks no more than it would without a policy."""
    parameters = entry.get("policyParameters")
    parameters = parameters if isinstance(parameters, dict) else {}
    thresholds = []
    if _number(parameters.get(MAX_FAILED)):
        thresholds.append(_number(parameters.get(MAX_FAILED)))
    content = entry.get("policyContent")
    if not isinstance(content, str) or FAILED not in content:
        return thresholds
    comparisons = _COMPARISON.findall(content)
    if not comparisons:
        return None
    for operator, limit in comparisons:
        limit = int(limit) if limit.isdigit() else _number(parameters.get(limit))
        if limit is None:
            return None
        # `failed < N` locks at N failures, `failed <= N` at N + 1.
        thresholds.append(limit + 1 if operator == "<=" else limit)
    return [min(thresholds)] if thresholds else []


class Lockout:
    def __init__(self, runner, account):
        self.runner = runner
        self.account = account

    @property
    def failed_count(self):
        try:
            return int(float(self.account.policy.get("failedLoginCount") or 0))
        except (TypeError, ValueError):
            return 0

    def threshold(self):
        """The lowest lockout threshold of the user's and the global account policies (each one locks);
        None when no policy sets one. Raises ToolError when pwpolicy's answer cannot be read."""
        thresholds = []
        for args in (["-u", self.account.name, "-getaccountpolicies"], ["-getaccountpolicies"]):
            result = self.runner.run("pwpolicy", args)
            found = policy_thresholds(result.stdout) if result.rc == 0 else None
            if found is None:
                raise ToolError(self.runner.describe_failure(result), result)
            thresholds.extend(found)
        return min(thresholds) if thresholds else None

    def failure_budget(self):
        """How many wrong local passwords this run may show the account without locking it out.

        The failed attempts on record count; the run stays below the threshold and keeps one wrong answer back
        for the check after a write. The policy is read only when a wrong password has to be risked (a Mac in
        step never pays for it); with no failure on record the first check cannot lock anybody out.
        """
        on_record = self.failed_count
        name = self.account.name

        def resolve():
            try:
                budget.limit = self.threshold()
            except ToolError:
                return UNREADABLE_POLICY_FAILURES, (
                    "the lockout policy of %s could not be read (pwpolicy -getaccountpolicies), so no more than %d "
                    "wrong passwords are risked" % (name, UNREADABLE_POLICY_FAILURES))
            if budget.limit is None:
                return None, ""
            return budget.limit - 1 - on_record, (
                "%s is locked out after %d failed logins and %d are on record" % (name, budget.limit, on_record))

        budget = FailureBudget(reserve=1, resolve=resolve, first_free=on_record == 0)
        budget.on_record = on_record
        return budget

    def authentication_allowed(self):
        """pwpolicy's verdict: True when the policy lets the user log in now."""
        result = self.runner.run("pwpolicy", ["-u", self.account.name, "-authentication-allowed"])
        text = result.stdout + result.stderr
        if "Policy allows user" in text:
            return True
        if "not allowed to authenticate" in text:
            return False
        raise ToolError(self.runner.describe_failure(result), result)

    def locked(self):
        """Locked out: refused by policy while failed attempts are on record."""
        return self.failed_count > 0 and not self.authentication_allowed()

    def clear(self):
        """Forget the failed attempts; the password is left as it is."""
        result = self.runner.run("dscl", [".", "-deletepl", "/Users/" + self.account.name, "accountPolicyData",
                                          "failedLoginCount"])
        if result.rc != 0:
            raise ToolError(self.runner.describe_failure(result), result)
