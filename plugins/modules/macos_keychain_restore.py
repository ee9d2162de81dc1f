#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: macos_keychain_restore
short_description: Make a Mac user's old login keychain, moved aside, the login keychain again
version_added: 0.1.0
description:
  - Brings back the login keychain a user had before a password change, with every item in it, once its password
    (O(previous_password)) is known. This is the "reach the old keychain later" of the directory's documentation.
  - M(macfleet.credsync.macos_password_sync) moves a login keychain that no known password opens aside, next to
    itself, as C(login_replaced_<UTC time>.keychain-db); macOS's own "Create New Keychain" at login renames it
    C(login_renamed_<N>.keychain-db). This module looks for both in the user's C(~/Library/Keychains), newest first
    (the time in the name, else the file's status change time), and tests each on a locked handle with
    O(previous_password), then O(password), until one opens. O(keychain) names one instead.
  - The newest that opens with O(previous_password) is restored. One that opens with O(password) ends the search
    with nothing to restore - it is the keychain an earlier restore replaced (the sync and macOS only move aside
    keychains the login password does not open), so the old keychain is the login keychain already. Older keychains
    that open with O(previous_password) stay where they are; O(keychain) names one of them.
  - The keychain it opens becomes the login keychain - the current C(login.keychain-db) is moved aside in turn as
    C(login_replaced_<UTC time>.keychain-db) (never deleted), the old one is renamed into place, re-keyed from
    O(previous_password) to O(password) with C(security set-keychain-password), handed to the user and verified.
  - When the login keychain itself opens with O(previous_password) (it is the old keychain), it is re-keyed in
    place and nothing is renamed.
  - When the login keychain opens with O(password) and no keychain moved aside opens with O(previous_password), the
    module changes nothing (C(changed=false)); this is also what a second run finds. When neither the login keychain
    nor any keychain moved aside opens with the passwords given, it fails, changing nothing.
  - Order of work, so that a run killed at any point leaves every keychain on disk and a re-run finishes the job -
    the current login keychain is moved aside first, the old one renamed into place, then re-keyed. A re-run finds
    either no login keychain (and renames the old one into place) or a login keychain that opens with
    O(previous_password) (and re-keys it).
  - Every option is checked, and every keychain inspected, before the first write; bad input and impossible requests
    fail without changing anything. Passwords reach C(security) on standard input only, never on a command line, in
    a log, the result or a diff.
  - No failed-login count is touched by testing keychains. Before it writes, the module checks O(password) against
    the account once (C(dscl . -authonly)), so a keychain is never re-keyed to a password the user does not log in
    with; a wrong O(password) counts as one failed login.
extends_documentation_fragment:
  - macfleet.credsync.macos
  - macfleet.credsync.macos.attributes
author:
  - macfleet.credsync contributors (@macfleet)
options:
  password:
    description:
      - The user's password now in force (the local account password, normally the directory password). The old
        keychain is re-keyed to it.
      - A string (quote it in YAML). Refused, before anything is checked or written, when it is empty or blank,
        contains a line break, a NUL or another control character, or is longer than 127 bytes in UTF-8.
    type: raw
    required: true
  previous_password:
    description:
      - The password of the old keychain (the user's password before the change that left it behind).
      - A password as O(password) is, and not the same as O(password) (a keychain that already opens with
        O(password) needs no re-key, and cannot be told from the one a restore replaced).
    type: raw
    required: true
  keychain:
    description:
      - The keychain to restore, when not the newest one O(previous_password) opens - a file name in the user's
        C(~/Library/Keychains) (such as V(login_replaced_20261123T120000Z.keychain-db) or
        V(login_renamed_1.keychain-db)), or an absolute path to a file there.
      - It must end in C(.keychain-db), be a regular file (not a symbolic link) owned by the user or root, and be
        in that folder itself; C(login.keychain-db), C(..) and paths elsewhere are refused before anything is
        written.
      - When it does not exist (restored by an earlier run) and the login keychain opens with O(password), the run
        changes nothing and warns.
    type: raw
notes:
  - B(The logged-in user.) A user's GUI session holds C(login.keychain-db) (it is unlocked with the login password
    and securityd keeps it for the session's apps), so it is never moved aside, and nothing is renamed into its
    place, while the user is logged in - a restore that needs it fails before anything is written, asking to log the
    user out first. The session's unlocked keychain is never locked to test it (C(unverified_in_session)); keychains
    moved aside are tested as usual (no session holds them). A logged-in user's login keychain that is locked and
    opens with O(previous_password) is re-keyed in place, which a session allows. See C(docs/macos-sessions.md).
  - Supports check mode (reports exactly what would change and runs no write command; the name the replaced keychain
    would get carries the time of the check) and diff mode (the state of each keychain file, before and after, by
    name - never a password).
  - Keychains are only tested, renamed and re-keyed; nothing is deleted. The replaced keychain opens with whatever
    password it had (usually O(password)), and Keychain Access can still open it.
attributes:
  diff_mode:
    description: Shows the state of each keychain file in the user's Keychains folder before and after (never a password).
    support: full
seealso:
  - module: macfleet.credsync.macos_password_sync
  - module: macfleet.credsync.macos_credential_info
"""

EXAMPLES = r"""
- name: Give alice her old keychain back - the one the sync moved aside after an admin reset
  macfleet.credsync.macos_keychain_restore:
    user: alice
    password: "{{ directory_password }}"
    previous_password: "{{ old_keychain_password }}"   # what alice's password was before the reset
  become: true
  register: restore

- name: Tell the user which keychain came back
  ansible.builtin.debug:
    msg: >-
      The login keychain is {{ restore.restored_from | default('unchanged', true) }};
      the one it replaced is kept at {{ restore.replaced_moved_to | default('-', true) }}.
  when: restore.changed

- name: Restore one keychain by name (an older one than the newest the password opens)
  macfleet.credsync.macos_keychain_restore:
    user: alice
    password: "{{ directory_password }}"
    previous_password: "{{ old_keychain_password }}"
    keychain: login_renamed_1.keychain-db
  become: true

- name: Preview - what would be renamed and re-keyed, changing nothing
  macfleet.credsync.macos_keychain_restore:
    user: alice
    password: "{{ directory_password }}"
    previous_password: "{{ old_keychain_password }}"
  become: true
  check_mode: true
  diff: true
"""

RETURN = r"""
action:
  description:
    - V(restore) (the current login keychain moved aside, the old one renamed into place and re-keyed), V(rekey) (the
      login keychain is the old one, re-keyed in place) or V(none).
  returned: success
  type: str
  sample: restore
restored_from:
  description: Where the keychain that is now the login keychain was (in check mode, would be); null when none.
  returned: success
  type: str
  sample: /Users/alice/Library/Keychains/login_replaced_20261123T120000Z.keychain-db
replaced_moved_to:
  description:
    - Where the login keychain it replaced was moved (in check mode, would be, with the time of the check); null
      when nothing was moved aside (no login keychain, or a re-key in place).
  returned: success
  type: str
  sample: /Users/alice/Library/Keychains/login_replaced_20261202T181500Z.keychain-db
states:
  description:
    - The keychain files of the user's C(~/Library/Keychains) that the module looks at, by file name,
      C(before) the run and C(after) it (in check mode, predicted) - C(login.keychain-db) and every keychain moved
      aside (or the one O(keychain) names).
    - States are V(in_sync) (opens with O(password)), V(previous) (opens with O(previous_password)), V(unknown)
      (opens with neither), V(absent) (no login keychain), V(not_tried) (older than the one that opened, or not
      needed), V(ignored) (a symbolic link, not a regular file, or owned by another user) and V(unverified_in_session)
      (the login keychain a live session keeps unlocked, never locked to test it).
  returned: success
  type: dict
  sample:
    before:
      login.keychain-db: in_sync
      login_replaced_20261123T120000Z.keychain-db: previous
    after:
      login.keychain-db: in_sync
      login_replaced_20261202T181500Z.keychain-db: in_sync
folder:
  description: The user's Keychains folder.
  returned: success
  type: str
  sample: /Users/alice/Library/Keychains
logged_in:
  description: Whether the user has a GUI login session on the Mac (at the console or switched out).
  returned: success
  type: bool
  sample: false
"""

from ansible_collections.macfleet.credsync.plugins.module_utils._common.module import CheckedModule
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.inputs import NOTHING_DONE, given_name_problems
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.module import run_or_fail, runner_for
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.restore import (
    IN_SYNC, LOGIN_FILE, NONE, KeychainRestore, keychain_option_problems)

SECRETS = ("password", "previous_password")


def _early_problems(given):
    """The user and keychain options as given, before AnsibleModule logs them (a NUL would fail that wordlessly)."""
    problems = given_name_problems(given, ("user",))
    broken = keychain_option_problems(given.get("keychain"))
    if broken:
        problems.append("keychain %s" % "; ".join(broken))
    return problems


def _restore(module, restore):
    restore.inspect()
    restore.make_plan()
    changed = restore.action != NONE
    result = dict(changed=changed, action=restore.action, folder=restore.folder, logged_in=restore.logged_in)
    if module.check_mode or not changed:
        after = restore.predicted_after()
        result.update(restored_from=restore.predicted_restored_from(),
                      replaced_moved_to=restore.predicted_replaced_moved_to())
    else:
        restore.apply()
        after = restore.verify()
        result.update(restored_from=restore.restored_from, replaced_moved_to=restore.replaced_moved_to)
        if after[LOGIN_FILE] != IN_SYNC:
            result["states"] = dict(before=restore.before, after=after)
            module.fail_json(msg="after the %s the login keychain does not open with password (%s)" % (
                restore.action, after[LOGIN_FILE]), **result)
    result["states"] = dict(before=dict(restore.before), after=after)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = dict(before=dict(restore.before), after=dict(after))
    for warning in restore.warnings:
        module.warn(warning)
    return result


def main():
    module = CheckedModule(
        _early_problems, NOTHING_DONE,
        argument_spec=dict(
            # raw, checked by KeychainRestore before anything else: type=str would turn a mapping into a string.
            user=dict(type="raw", required=True),
            password=dict(type="raw", required=True, no_log=True),
            previous_password=dict(type="raw", required=True, no_log=True),
            keychain=dict(type="raw", no_log=False),  # a file name or path, never a secret
        ),
        supports_check_mode=True,
    )
    params = module.params
    runner = runner_for(module, SECRETS)
    restore = run_or_fail(module, runner, lambda: KeychainRestore(
        runner, params["user"], params["password"], params["previous_password"], keychain=params["keychain"]))
    result = run_or_fail(module, runner, lambda: _restore(module, restore))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
