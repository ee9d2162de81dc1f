#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: macos_credential_info
short_description: Read-only facts about a Mac user's credential stores
version_added: 0.1.0
description:
  - Reports, without changing anything, the facts a password sync depends on - secure token, FileVault on or off,
    whether the user is a FileVault (APFS crypto) user, whether the Preboot copy is stale, whether the login keychain
    exists and is locked, and the failed login count and lockout.
  - Given O(password), also reports which stores accept it.
  - The login keychain is only checked while it is locked (an unlocked keychain accepts any password, and locking
    the keychain of a logged-in user to test it would disturb them); for an unlocked one C(accepts.keychain) is null.
  - Reports whether the user is logged in (a GUI session, read from C(scutil) and the owner of C(/dev/console)); a
    logged-in user's session keeps the login keychain unlocked (see C(docs/macos-sessions.md)).
extends_documentation_fragment:
  - macfleet.credsync.macos
  - macfleet.credsync.macos.attributes
author:
  - macfleet.credsync contributors (@macfleet)
options:
  password:
    description:
      - A password to test against each store. Never logged or returned.
      - A wrong password counts as a failed login toward the lockout threshold.
      - A string. A value no store could take - empty or blank, with a line break, a NUL or another control
        character, longer than 127 bytes in UTF-8, or not a string - is refused (the module fails, naming the rule,
        before any tool runs), as M(macfleet.credsync.macos_password_sync) would refuse it; it is never reported as
        accepted or not.
    type: raw
attributes:
  diff_mode:
    description: Reports no diff; the module changes nothing.
    support: none
seealso:
  - module: macfleet.credsync.macos_password_sync
"""

EXAMPLES = r"""
- name: Facts about alice's stores
  macfleet.credsync.macos_credential_info:
    user: alice
  become: true
  register: alice_facts

- name: Which stores accept the directory password?
  macfleet.credsync.macos_credential_info:
    user: alice
    password: "{{ directory_password }}"
  become: true
  register: alice_check

- name: Report what is out of step
  ansible.builtin.debug:
    msg: "{{ alice_check.accepts | dict2items | rejectattr('value') | map(attribute='key') | list }}"
"""

RETURN = r"""
user:
  description: The account's short name.
  returned: always
  type: str
  sample: alice
secure_token:
  description: Whether the user holds a secure token.
  returned: success
  type: bool
  sample: true
filevault:
  description: Whether FileVault is on.
  returned: success
  type: bool
  sample: true
crypto_user:
  description: Whether the user is a FileVault (APFS crypto) user of the boot volume; null when FileVault is off.
  returned: success
  type: bool
  sample: true
preboot_stale:
  description: Whether the password changed after the last Preboot refresh; null when FileVault is off.
  returned: success
  type: bool
  sample: false
keychain:
  description: The login keychain.
  returned: success
  type: dict
  contains:
    path:
      description: Its path.
      type: str
      sample: /Users/alice/Library/Keychains/login.keychain-db
    present:
      description: Whether the file exists.
      type: bool
      sample: true
    locked:
      description: Whether it is locked (null when absent).
      type: bool
      sample: true
logged_in:
  description: Whether the user has a GUI login session (at the console, or switched out by fast user switching).
  returned: success
  type: bool
  sample: true
console_user:
  description: The short name of the user at the console; null at the login window.
  returned: success
  type: str
  sample: alice
failed_login_count:
  description: Failed login attempts on record.
  returned: success
  type: int
  sample: 0
locked_out:
  description: Whether the account policy refuses logins after failed attempts.
  returned: success
  type: bool
  sample: false
accepts:
  description:
    - When O(password) is given, per store whether it accepts the password.
    - Null where it cannot be told - FileVault off or not a crypto user, keychain absent or unlocked (an unlocked
      keychain accepts any password; the keychain of a logged-in user is never locked to test it).
    - A locked-out account reports C(login=false) whatever the password.
  returned: when password is given
  type: dict
  sample: {login: true, filevault: false, keychain: false}
"""

from ansible_collections.macfleet.credsync.plugins.module_utils._common.module import CheckedModule
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.account import AUTH_OK, Account
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.inputs import NOTHING_DONE, check_inputs, given_name_problems
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.lockout import Lockout
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.module import run_or_fail, runner_for
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.session import Sessions
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.stores import STALE, FileVault, LoginKeychain, Preboot


def _facts(module, runner):
    check_inputs(passwords=(("password", module.params["password"], True),),
                 short_names=(("user", module.params["user"], False),))
    account = Account(runner, module.params["user"])
    filevault = FileVault(runner, account)
    keychain = LoginKeychain(runner, account)
    lockout = Lockout(runner, account)
    sessions = Sessions(runner)
    keychain.held_by_session = sessions.logged_in(account)
    on = filevault.enabled()
    crypto_user = filevault.is_crypto_user() if on else None
    present = keychain.exists()
    locked = not keychain.unlocked() if present else None
    facts = dict(
        changed=False,
        user=account.name,
        secure_token=account.secure_token,
        filevault=on,
        crypto_user=crypto_user,
        preboot_stale=Preboot(runner).state(account) == STALE if on else None,
        keychain=dict(path=keychain.path, present=present, locked=locked),
        logged_in=keychain.held_by_session,
        console_user=sessions.console_user(),
        failed_login_count=lockout.failed_count,
        locked_out=lockout.locked(),
    )
    password = module.params["password"]
    if password is not None:
        facts["accepts"] = dict(
            login=account.authenticate(password) == AUTH_OK,
            filevault=filevault.opens(password) if crypto_user else None,
            keychain=keychain.verify(password) if locked else None,
        )
    return facts


def main():
    module = CheckedModule(
        lambda given: given_name_problems(given, ("user",)), NOTHING_DONE,
        argument_spec=dict(user=dict(type="raw", required=True), password=dict(type="raw", no_log=True)),
        supports_check_mode=True,
    )
    runner = runner_for(module, ("password",))
    module.exit_json(**run_or_fail(module, runner, lambda: _facts(module, runner)))


if __name__ == "__main__":
    main()
