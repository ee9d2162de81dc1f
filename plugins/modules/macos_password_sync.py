#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: macos_password_sync
short_description: Bring a Mac user's local password, FileVault and login keychain in line with the directory password
version_added: 0.1.0
description:
  - Makes the four places a Mac keeps a user's password agree with the directory password
    (JumpCloud, Active Directory, ...) - the local account password, the FileVault unlock password
    (the user's APFS crypto user), the Preboot copy the FileVault login window reads, and the login keychain.
  - Each store is inspected first (read only). When everything already opens with O(password) the module
    changes nothing and runs no write command (C(changed=false)).
  - Order of work, each step verified before the next - the local password (changed with O(previous_password),
    or reset through a secure-token admin when the previous password is unknown), then FileVault if it did not
    follow, then the login keychain (re-keyed from O(previous_password), or, when no known password opens it,
    moved aside under a dated name and replaced by a new one - never deleted), then C(diskutil apfs updatePreboot).
  - Bad input and impossible requests fail before anything is written. A failure later leaves every store
    openable with a known password, and a re-run finishes the job.
  - Passwords never appear on a command line, in a log, in the result or in a diff. They reach the macOS tools on
    standard input, as answers to their prompts; the tools are started without a controlling terminal so those
    prompts cannot hang under C(ssh -tt).
  - Checking a password that the account does not accept counts as a failed login toward the lockout threshold
    (C(pwpolicy)), and the Secure Enclave counts wrong FileVault passphrases. Candidates (O(previous_passwords)) are
    therefore tried within a budget per store - see the notes. The final check with the new password resets the
    counter.
extends_documentation_fragment:
  - macfleet.credsync.macos
  - macfleet.credsync.macos.attributes
author:
  - macfleet.credsync contributors (@macfleet)
options:
  password:
    description:
      - The directory password now in force; every store is brought to it.
      - A string (quote it in YAML - a number, list or mapping is refused, never turned into a string). Refused,
        before anything is checked or written, when it is empty or blank, contains a line break, a NUL or another
        control character (tab, escape, ...), or is longer than 127 bytes in UTF-8 (the longest FileVault
        passphrase).
    type: raw
    required: true
  previous_password:
    description:
      - The password the Mac's stores may still hold (the one before the directory change).
      - With it, the local password is changed (not reset), FileVault is re-keyed with C(changePassphrase) and the
        login keychain is re-keyed, keeping every item.
      - Omit it when it is not known; given, it must be a password as O(password) is (an empty string is refused).
      - Mutually exclusive with O(previous_passwords); O(previous_password=X) is the same as
        O(previous_passwords=[X]).
    type: raw
  previous_passwords:
    description:
      - Candidate previous passwords, for example the user's password history kept in a vault, when it is not
        known which one each store still holds.
      - Tried in the order given against each store - the local password, FileVault and the login keychain
        separately, since they can hold different ones. The stores of one Mac move together, so the candidate that
        opened one store is tried first on the next (the likeliest). FileVault is searched first when its budget
        reaches O(password) and every candidate (up to two candidates - a wrong passphrase costs no failed login),
        and the local password then starts from the candidate FileVault opened with; with a longer list the local
        password is searched first and FileVault and the keychain start from its candidate. A store that opens
        with O(password) is not tried.
      - Each store is tried only within its failure budget. For the local password that is the account's lockout
        policy (C(pwpolicy -getaccountpolicies), the user's and the global one, the lowest threshold wins), less
        the failed logins already on record, less one kept back for the check after the change - the run never
        locks the user out. For FileVault it is four wrong passphrases (the Secure Enclave delays unlocks after
        that), one of them kept back. The login keychain has no lockout and every candidate may be tried.
        Candidates the budget does not allow are reported in RV(candidates_untried) and the store is handled as
        opening with none of them.
      - Which candidate opened each store is reported by its position in this list (RV(opened_by_previous)),
        never by its value.
      - Every item must be a password as O(password) is; a repeated item, or one equal to O(password), is not
        tried twice. A list is required - a string is refused, never split. Mutually exclusive with
        O(previous_password).
    type: raw
  admin_user:
    description:
      - A secure-token administrator used when the previous password is unknown, to reset the local password
        and FileVault with C(sysadminctl -resetPasswordFor). Only used when O(admin_password) is given.
      - A macOS short name, as O(user).
    type: raw
    default: _jumpcloudserviceaccount
  admin_password:
    description:
      - Password of O(admin_user).
      - Omit it when no admin is to be used; given, it must be a password as O(password) is.
    type: raw
  filevault:
    description: Whether to bring FileVault (and Preboot) in line. When FileVault is off the stores report C(not_applicable).
    type: str
    choices: [sync, skip]
    default: sync
  keychain:
    description: Whether to bring the login keychain in line.
    type: str
    choices: [sync, skip]
    default: sync
  keychain_recovery:
    description:
      - What to do when no known password opens the login keychain (or there is none).
      - V(leave) leaves it as it is for macOS's own dialog at the user's next login, which offers
        C(Update Keychain Password) (the old password re-keys it) and C(Create New Keychain) (macOS moves the old
        one aside and starts an empty one). Nothing is written to the keychain; C(stores.keychain.after) is
        V(left_for_login) and RV(keychain_left_for_login) is true. A missing login keychain is left for macOS to
        create at the next login.
      - V(new) moves it aside next to itself as C(login_replaced_<UTC time>.keychain-db) (nothing is deleted; the
        user can still open it in Keychain Access with the old password) and creates a new login keychain.
        Refused while the user is logged in - a keychain a live session holds is never moved aside or recreated.
        The refusal comes before anything is written, except for a keychain the session keeps unlocked, which
        cannot be tested - it is re-keyed in place once the local password has changed from a previous password,
        and when none of them re-keys it the run fails then, leaving the keychain as it was.
      - V(fail) stops before anything is written.
      - Default V(leave) while the user is logged in (see RV(logged_in)), V(new) otherwise. A value given always
        wins.
    type: str
    choices: [leave, new, fail]
  update_preboot:
    description:
      - Run C(diskutil apfs updatePreboot /) after a FileVault-relevant change or when Preboot is stale, so the
        FileVault login window at boot accepts the new password.
      - Staleness is read from the modification time of the Preboot volume's C(CryptoUserInfo.plist) against the
        account's C(passwordLastSetTime); when this module changes FileVault it always refreshes Preboot.
    type: bool
    default: true
  state:
    description:
      - V(synced) brings every store in line.
      - V(verified) changes nothing and fails when a store does not open with O(password), naming each one.
    type: str
    choices: [synced, verified]
    default: synced
notes:
  - B(The logged-in user.) Whether the user has a GUI session is read from C(scutil) (C(State:/Users/ConsoleUser), which lists
    the console user and every session, fast user switching included) and the owner of C(/dev/console); either
    one counts. While the user is logged in the session keeps the login keychain unlocked and an unlocked keychain
    accepts any password, so the only test is to lock it, which takes it away from the session's apps. The module
    never does that - such a keychain is reported as V(unverified_in_session). It is re-keyed in place when the
    local password changes from O(previous_password) (C(security set-keychain-password) checks the old password
    itself and does not lock it); it is never moved aside or recreated. A locked keychain of a logged-in user is
    tested as usual and left locked. See C(docs/macos-sessions.md).
  - The login keychain is the user's file. Its mode is not changed when it is the user's and nobody else may write
    it (the Security framework creates keychains with its default mode under the umask - C(0644) is normal - in a
    C(0700) Keychains folder); a keychain owned by another user is handed back to its user.
  - Supports check mode (reports exactly what would change, runs no write command) and diff mode (per-store states,
    never passwords).
  - Every password option and user name is checked first, in check mode and with O(state=verified) too, so check
    mode predicts exactly what a real run does and bad input changes nothing.
  - When a run fails after its first write, the message names the stores it changed and those it left as they
    were; a run that changed nothing leaves the Preboot refresh marker as it found it.
  - B(Failed logins.) opendirectoryd counts failed authentications since the last successful one, so the final
    check with the new password normally clears the wrong candidates this run tried. If failures are still on
    record after a successful run, they are cleared only when all of them are this run's own (RV(failed_logins)).
    Check mode and O(state=verified) clear nothing. When the failed logins already on record leave no room for even
    one wrong check, the module checks nothing and fails, naming the policy.
attributes:
  diff_mode:
    description: Shows the per-store state before and after (never a password).
    support: full
seealso:
  - module: macfleet.credsync.macos_credential_info
  - module: macfleet.credsync.macos_account_unlock
"""

EXAMPLES = r"""
- name: Admin reset, User Portal or upstream (Okta, AD) change - the Mac still holds the previous password
  macfleet.credsync.macos_password_sync:
    user: alice
    password: "{{ directory_password }}"
    previous_password: "{{ previous_password }}"
  become: true

- name: Changed while the Mac was offline - local login already new, FileVault and Preboot still old
  macfleet.credsync.macos_password_sync:
    user: alice
    password: "{{ directory_password }}"
    previous_password: "{{ previous_password }}"
  become: true

- name: Temporary password set by IT - sync it now; a later run with the user's own password syncs again
  macfleet.credsync.macos_password_sync:
    user: alice
    password: "{{ temporary_password }}"
    previous_password: "{{ previous_password }}"
  become: true

- name: Changed in System Settings - login and FileVault hold a password the directory does not know
  macfleet.credsync.macos_password_sync:
    user: alice
    password: "{{ directory_password }}"
    previous_password: "{{ settings_password | default(omit) }}"   # when the user tells it; else the admin resets
    admin_user: _jumpcloudserviceaccount
    admin_password: "{{ service_account_password }}"
  become: true

- name: Previous password unknown - reset through the secure-token service account, keep the old keychain aside
  macfleet.credsync.macos_password_sync:
    user: alice
    password: "{{ directory_password }}"
    admin_user: _jumpcloudserviceaccount
    admin_password: "{{ service_account_password }}"
    keychain_recovery: new        # the old keychain is moved aside, a new one created
  become: true
  register: sync

- name: Tell the user where the old keychain went
  ansible.builtin.debug:
    msg: "Old login keychain kept at {{ sync.keychain_moved_to }}"
  when: sync.keychain_reset

- name: FileVault/login mismatch that would otherwise need Recovery's resetpassword
  macfleet.credsync.macos_password_sync:
    user: alice
    password: "{{ directory_password }}"
    previous_password: "{{ filevault_password }}"
  become: true

- name: Service account missing, user not a FileVault user, user not found - the error names cause and remedy
  macfleet.credsync.macos_password_sync:
    user: alice
    password: "{{ directory_password }}"
    admin_user: _jumpcloudserviceaccount
    admin_password: "{{ service_account_password }}"
  become: true
  register: sync
  ignore_errors: true             # the rest of the fleet goes on; nothing was changed on this Mac

- name: The user is at the Mac - re-key the session's keychain in place, never lock or replace it
  macfleet.credsync.macos_password_sync:
    user: alice
    password: "{{ directory_password }}"
    previous_password: "{{ previous_password }}"
  become: true
  register: sync

- name: Logged in, previous password unknown - reset, and leave the keychain to macOS's dialog at the next login
  macfleet.credsync.macos_password_sync:
    user: alice
    password: "{{ directory_password }}"
    admin_user: _jumpcloudserviceaccount
    admin_password: "{{ service_account_password }}"
    keychain_recovery: leave      # the default while alice is logged in; stated here for readers
  become: true
  register: sync

- name: Tell the user what macOS will ask at the next login
  ansible.builtin.debug:
    msg: >-
      At the next login macOS offers "Update Keychain Password" (type the old password to keep the keychain)
      or "Create New Keychain".
  when: sync.keychain_left_for_login

- name: Previous password unknown but kept in a vault history - try each, never lock alice out
  macfleet.credsync.macos_password_sync:
    user: alice
    password: "{{ directory_password }}"
    previous_passwords: "{{ vault_password_history['alice'] }}"   # newest first
    admin_user: _jumpcloudserviceaccount
    admin_password: "{{ service_account_password }}"              # when no candidate opens the local password
  become: true
  register: sync

- name: Say which history entry each store still held (by position, never the password)
  ansible.builtin.debug:
    msg: "{{ sync.opened_by_previous }}"    # e.g. {'login': 0, 'filevault': 0, 'keychain': 2}

- name: Audit only - fail when a store is out of step, change nothing
  macfleet.credsync.macos_password_sync:
    user: alice
    password: "{{ directory_password }}"
    state: verified
  become: true
"""

RETURN = r"""
stores:
  description:
    - Per store (C(login), C(filevault), C(preboot), C(keychain)) the state before and after and the action taken
      (or, in check mode, that would be taken).
    - States are V(in_sync), V(previous) (opens with O(previous_password)), V(unknown) (opens with neither),
      V(stale) (Preboot), V(absent) (no login keychain), V(not_applicable) (FileVault off, or no keychain folder
      because the user never logged in), V(skipped), V(unverified_in_session) (the login keychain of a logged-in
      user, kept unlocked by the session, which cannot be tested without locking it, so it is not) and
      V(left_for_login) (after - left for macOS's dialog at the next login, O(keychain_recovery=leave)).
    - Actions are V(none), V(change), V(admin_reset), V(follows_login), V(change_passphrase), V(rekey),
      V(recreate), V(create), V(leave) (nothing written), V(give_to_user) (a login keychain owned by someone else,
      or writable by others, is handed back to its user) and V(update).
  returned: always
  type: dict
  sample:
    login: {before: previous, after: in_sync, action: change}
    filevault: {before: previous, after: in_sync, action: follows_login}
    preboot: {before: in_sync, after: in_sync, action: update}
    keychain: {before: previous, after: in_sync, action: rekey}
keychain_reset:
  description: Whether the login keychain was moved aside and replaced by a new one.
  returned: always
  type: bool
  sample: false
keychain_moved_to:
  description: Where the previous login keychain now is, when it was moved aside.
  returned: always
  type: str
  sample: /Users/alice/Library/Keychains/login_replaced_20261123T120000Z.keychain-db
keychain_left_for_login:
  description:
    - Whether the login keychain was left as it was for macOS's dialog at the next login
      (C(Update Keychain Password) / C(Create New Keychain)), by O(keychain_recovery=leave).
  returned: always
  type: bool
  sample: false
keychain_recovery:
  description: The keychain recovery in force - O(keychain_recovery) as given, or the default chosen from RV(logged_in).
  returned: success
  type: str
  sample: leave
logged_in:
  description: Whether the user has a GUI login session on the Mac (at the console or switched out).
  returned: success
  type: bool
  sample: true
opened_by_previous:
  description:
    - For each store that opened with a previous password before the run, the position (0-based) of that password
      in O(previous_passwords) (0 for O(previous_password)). Stores that opened with O(password), or with none, are
      not listed.
    - The login keychain of a logged-in user is listed once a candidate re-keyed it in place.
  returned: success
  type: dict
  sample: {login: 0, filevault: 0, keychain: 2}
candidates_untried:
  description:
    - Per store, how many candidates were not tried because the store's failure budget allowed no more wrong
      passwords (see O(previous_passwords)). Empty when every candidate that was needed was tried.
  returned: success
  type: dict
  sample: {login: 2}
failed_logins:
  description:
    - The account's failed logins and this run - C(on_record_before) (failed logins on record when the run
      started), C(caused) (wrong local passwords this run checked), C(limit) (the lockout threshold, when it was
      read - it is read only when a wrong password had to be risked) and C(cleared) (whether this run cleared
      failures of its own that were still on record after it succeeded).
  returned: success
  type: dict
  sample: {on_record_before: 0, caused: 2, limit: 10, cleared: false}
preboot_updated:
  description: Whether C(diskutil apfs updatePreboot) ran.
  returned: always
  type: bool
  sample: true
secure_token:
  description: Whether the user holds a secure token.
  returned: success
  type: bool
  sample: true
"""

from ansible_collections.macfleet.credsync.plugins.module_utils._common.module import CheckedModule
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.inputs import NOTHING_DONE, given_name_problems
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.module import run_or_fail, runner_for
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.sync import LEAVE, NONE, SETTLED, STORES, PasswordSync

SECRETS = ("password", "previous_password", "previous_passwords", "admin_password")


def _result(sync, after, changed, cleared=False):
    return dict(
        changed=changed,
        stores=dict((s, dict(before=sync.before[s], after=after[s], action=sync.plan[s])) for s in STORES),
        keychain_reset=sync.plan["keychain"] == "recreate" and (changed or bool(sync.keychain_moved_to)),
        keychain_moved_to=sync.keychain_moved_to,
        keychain_left_for_login=after["keychain"] == "left_for_login",
        keychain_recovery=sync.keychain_recovery,
        logged_in=sync.logged_in,
        preboot_updated=sync.plan["preboot"] != NONE,
        secure_token=sync.account.secure_token,
        opened_by_previous=sync.opened_by(),
        candidates_untried=sync.untried(),
        failed_logins=sync.failed_logins(cleared),
    )


def _sync(module, sync):
    sync.inspect()
    if module.params["state"] == "verified":
        out_of_step = sync.out_of_step()
        sync.plan = dict.fromkeys(STORES, NONE)
        result = _result(sync, sync.before, False)
        if out_of_step:
            module.fail_json(msg="out of step with the directory password: %s" % ", ".join(
                "%s (%s)" % (s, sync.before[s]) for s in out_of_step), **result)
        return result
    sync.make_plan()
    changed = sync.changes()
    if module.check_mode or not changed:
        result = _result(sync, sync.predicted_after(), changed)
    else:
        sync.apply()
        after = sync.verify()
        lagging = [s for s in STORES if after[s] not in SETTLED]
        result = _result(sync, after, True, cleared=not lagging and sync.clear_own_failed_logins())
        if lagging:
            module.fail_json(msg="after the sync these stores still do not open with the password: %s" % ", ".join(
                lagging), **result)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = dict(before=dict(sync.before), after=dict((s, result["stores"][s]["after"]) for s in STORES))
    return result


def main():
    module = CheckedModule(
        lambda given: given_name_problems(given, ("user", "admin_user")), NOTHING_DONE,
        argument_spec=dict(
            # raw, checked by PasswordSync before anything else: type=str would turn a mapping into a string.
            user=dict(type="raw", required=True),
            password=dict(type="raw", required=True, no_log=True),
            previous_password=dict(type="raw", no_log=True),
            # raw, not list: type=list would split a string on commas into "candidates".
            previous_passwords=dict(type="raw", no_log=True),
            admin_user=dict(type="raw", default="_jumpcloudserviceaccount"),
            admin_password=dict(type="raw", no_log=True),
            filevault=dict(type="str", choices=["sync", "skip"], default="sync"),
            keychain=dict(type="str", choices=["sync", "skip"], default="sync"),
            keychain_recovery=dict(type="str", choices=[LEAVE, "new", "fail"]),
            update_preboot=dict(type="bool", default=True),
            state=dict(type="str", choices=["synced", "verified"], default="synced"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    runner = runner_for(module, SECRETS)
    sync = run_or_fail(module, runner, lambda: PasswordSync(
        runner, params["user"], params["password"], previous_password=params["previous_password"],
        admin_user=params["admin_user"], admin_password=params["admin_password"], filevault=params["filevault"],
        keychain=params["keychain"], keychain_recovery=params["keychain_recovery"],
        update_preboot=params["update_preboot"], previous_passwords=params["previous_passwords"]))
    result = run_or_fail(module, runner, lambda: _sync(module, sync))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
