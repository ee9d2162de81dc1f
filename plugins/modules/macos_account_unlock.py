#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: macos_account_unlock
short_description: Clear a Mac account's lockout after repeated failed logins, without a password reset
version_added: 0.1.0
description:
  - When the account policy (C(pwpolicy)) locks a local account after too many failed logins, forgets the failed
    attempts so the user can log in again with the password they have.
  - Changes something only when the account is locked out; otherwise reports C(changed=false).
  - A disabled account (as opposed to a locked-out one) is left as it is; when clearing the failed logins does not
    let the user in, the module fails and says the account is disabled.
extends_documentation_fragment:
  - macfleet.credsync.macos
  - macfleet.credsync.macos.attributes
author:
  - macfleet.credsync contributors (@macfleet)
options: {}
notes:
  - The directory's own lockout (JumpCloud, Active Directory) is separate; see macfleet.credsync.directory_unlock.
attributes:
  diff_mode:
    description: Shows whether the account was locked before and after.
    support: full
seealso:
  - module: macfleet.credsync.macos_credential_info
  - module: macfleet.credsync.macos_password_sync
"""

EXAMPLES = r"""
- name: Let alice log in again after too many wrong passwords
  macfleet.credsync.macos_account_unlock:
    user: alice
  become: true
"""

RETURN = r"""
locked_before:
  description: Whether the account was locked out when the module started.
  returned: success
  type: bool
  sample: true
failed_login_count:
  description: Failed login attempts on record before the module ran.
  returned: success
  type: int
  sample: 5
"""

from ansible_collections.macfleet.credsync.plugins.module_utils._common.module import CheckedModule
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.account import Account, CredentialError
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.inputs import NOTHING_DONE, check_inputs, given_name_problems
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.lockout import Lockout
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.module import run_or_fail, runner_for


def _unlock(module, runner):
    check_inputs(short_names=(("user", module.params["user"], False),))
    lockout = Lockout(runner, Account(runner, module.params["user"]))
    locked = lockout.locked()
    result = dict(changed=locked, locked_before=locked, failed_login_count=lockout.failed_count)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = dict(before=dict(locked=locked), after=dict(locked=False))
    if locked and not module.check_mode:
        lockout.clear()
        lockout = Lockout(runner, lockout.account.reload())
        if not lockout.authentication_allowed():
            raise CredentialError("the failed logins were cleared but pwpolicy still refuses %s: the account is "
                                  "disabled, not locked out (pwpolicy -u %s -enableuser)" % ((module.params["user"],) * 2))
    return result


def main():
    module = CheckedModule(lambda given: given_name_problems(given, ("user",)), NOTHING_DONE,
                           argument_spec=dict(user=dict(type="raw", required=True)), supports_check_mode=True)
    runner = runner_for(module, ())
    module.exit_json(**run_or_fail(module, runner, lambda: _unlock(module, runner)))


if __name__ == "__main__":
    main()
