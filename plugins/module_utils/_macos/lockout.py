# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A local account's lockout after repeated failed logins (pwpolicy's failed-authentication rule).

Private to the collection; Python 3.9, standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from .runner import ToolError


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
