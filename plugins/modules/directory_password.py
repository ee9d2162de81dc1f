#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: directory_password
short_description: Set users' directory passwords (optionally temporary), checked against the password policy first
version_added: 0.1.0
description:
  - Sets the password of one user (O(user)) or many (O(users)) in the directory - JumpCloud
    (C(PUT /api/systemusers/{id})), where changing a password ends the user's active sessions, Active Directory
    (O(provider=ad); C(unicodePwd) replaced over LDAPS or StartTLS, as an administrator's reset), or Okta
    (O(provider=okta); C(POST /api/v1/users/{id}?strict=true), an administrator's set held to the policy's history
    and minimum age).
  - With O(provider=okta) the password policy that applies to the user is read first (C(GET /api/v1/policies?type=PASSWORD),
    the first by priority for the user's credentials provider whose groups include one of the user's; the user's
    groups are read only when a policy is scoped narrower than Everyone) and its complexity is checked - length,
    lowercase, uppercase, number, symbol, no part of the username, not the first or last name when
    C(excludeAttributes) says so, the common-password dictionary, consecutive characters; each broken rule is named
    with the policy. History (C(historyCount)) cannot be seen by a client; Okta refuses a recent password, and the
    refusal is judged as with JumpCloud (O(already_set_within)). A user whose credentials another directory
    masters (Active Directory, LDAP) is refused before anything is sent, and so is a deactivated
    (C(DEPROVISIONED)) user, whose password Okta does not set.
  - The organisation's password policy is read once and every password is checked before anything is sent;
    a violation fails that user, naming every broken rule, and nothing is sent for them. Rules a client cannot
    see (password history, minimum age) are the directory's to refuse; its answer is reported as is.
  - With O(provider=ad) the policy is the domain's (C(minPwdLength), the complexity bit of C(pwdProperties)), or the
    fine-grained policy (PSO) that applies to the user when the service account may read it; complexity is checked as
    AD defines it (three kinds of characters, not the account name, not a part of the display name). Password history
    is the domain controller's to enforce, and an administrator's reset is not held to it.
  - O(temporary=true) then expires the password, so the user must change it at next login (with O(provider=ad),
    C(pwdLastSet=0) in the same change as the password; with O(provider=okta),
    C(POST .../lifecycle/expire_password), which keeps the password just set).
  - With O(provider=okta), O(generate_temporary=true) has Okta make the temporary password instead
    (C(POST .../lifecycle/expire_password_with_temp_password)); see that option.
  - The list form resolves all users with one paged listing, uses one HTTP session and works on
    O(max_concurrency) users at once; each user gets a result, and one failing user does not stop the others
    (unless O(fail_fast=true)). With O(provider=ad) it binds once and works over that one LDAP connection, looking
    users up a hundred per search.
  - Every new password is first checked by the collection's one password validator (the rules every Mac store
    takes - not empty or blank, no line break, NUL or other control character, at most 127 bytes of UTF-8, a
    string), in check mode too and before the directory is contacted; a refusal names the option (in the list form
    C(passwords[N].password) and the user) and every broken rule, never the value.
  - The same user given twice (by username and email, by id and name, twice by name) fails the run before anything
    is written, naming both identifiers.
  - A password cannot be read back, so a reset reports C(changed=true), except when it is C(already_set) (see
    O(already_set_within)). Check mode resolves the users and checks the policy, and sends nothing.
  - A write whose answer is lost (a 5xx, a reset connection, no answer in time, a spoiled answer, a bulk job whose
    results cannot be read) is never sent again blindly. The user is read back and compared with what was read
    before the write (C(password_date); with O(provider=ad) C(pwdLastSet)), and each user's RV(outcome) (in the
    list form, each entry of RV(results)) says what became of it - C(set), C(already_set), C(failed) (not set) or
    C(unknown) (it may or may not be set -
    the message says what to do, and a warning is given). Changed after the write means set; unchanged after a
    definite answer (a 5xx, a reset) means not made, and it is sent again (at most O(retries) times, each after such
    a read back).
extends_documentation_fragment:
  - macfleet.credsync.directory
  - macfleet.credsync.directory.users
author:
  - macfleet.credsync contributors (@macfleet)
options:
  user:
    description:
      - One user, by username, email or id. Mutually exclusive with O(users).
      - With O(provider=ad), by sAMAccountName, userPrincipalName, mail, objectGUID or distinguished name.
      - With O(provider=okta), by id, login, or a login's short name (the part before the C(@)) that names one user.
    type: str
  users:
    description:
      - Many users, by username, email or id (with O(provider=ad) as for O(user)), all given O(password). Mutually
        exclusive with O(user).
      - For a different password per user use O(passwords).
    type: list
    elements: str
  passwords:
    description:
      - Per-user passwords for the list form, a list of C(user)/C(password) pairs. Mutually exclusive with
        O(users) and O(user).
    type: list
    elements: dict
    suboptions:
      user:
        description: Username, email or id (with O(provider=ad) as for O(user)).
        type: str
        required: true
      password:
        description: The new password, a string (checked as O(password) is).
        type: raw
        required: true
  password:
    description:
      - The new password (for O(user), or every user of O(users)), a string.
      - Checked before anything is sent. A value that is not a string (a number, a mapping, a list) is refused, not
        turned into text (so the option is C(raw), not C(str)).
    type: raw
  already_set_within:
    description:
      - Minutes. When the directory refuses the password by its history rule (the user had it recently) and the
        user's password was set no longer ago than this, the user is reported C(already_set), not failed, with a
        warning - as after a run whose answer was lost, or whose outcome was C(unknown), the password is most likely
        the one that run set. A re-run after such a run thus converges.
      - Whatever this says, a refusal for a user whose password changed during this run (since it was read) is
        reported C(set).
      - This is a judgement, bounded by the window - the directory cannot tell which of the user's recent passwords
        it matched, nor who set the last one. Keep it short; V(0) turns it off (such a refusal is a failure).
    type: int
    default: 60
  temporary:
    description:
      - Expire the new password, so the user must choose their own at next login.
      - With O(provider=okta), only users who can sign in (C(ACTIVE), C(PASSWORD_EXPIRED), C(RECOVERY); a
        C(LOCKED_OUT) one with O(unlock=true)) can have their password expired; others are refused before anything
        is written.
    type: bool
    default: false
  generate_temporary:
    description:
      - With O(provider=okta) only. Okta makes a temporary password for each user and expires it
        (C(expire_password_with_temp_password)); O(password) and O(passwords) are not given.
      - With O(password_file), each temporary password goes into that Ansible-Vault file (as with O(generate)) and is
        not returned; users already C(set) in the file are left alone on a re-run. This is the way to prefer.
      - Without O(password_file), the temporary password is returned in RV(temporary_password) (list form in each
        entry of RV(results)) so that it can be handed to the user or synced to the Mac. So the task must run with
        C(no_log=true) (then no output, log or diff shows it); without it the run is refused before anything is
        written.
      - An answer lost on the way may hide a temporary password set and never received; the call is then sent
        again, and the new temporary password replaces the lost one (at most O(retries) more times).
    type: bool
    default: false
  generate:
    description:
      - Make a new password for each user of O(user) or O(users), from Python's C(secrets), and keep them only in the
        Ansible-Vault file O(password_file), which the help desk opens with C(ansible-vault view). They are never
        returned, logged or shown in a diff. O(password), O(passwords) and O(generate_temporary) are not given.
      - Each password has O(generate_length) characters - lower and upper case letters, digits and symbols, none of
        C({}%#) (so that Ansible never reads one as a template), no user name in it - and passes the collection's
        password validator (what every Mac store takes). The directory's fetched policy is then checked as for any
        password, before anything is sent; a user whose password it refuses (a rule about the user's own names, say)
        gets another, at most three times, and is never sent a refused one.
      - The file is written, encrypted, before any password is sent, with each user C(pending); after the run each
        user's C(state) is what became of the reset (C(set), C(unknown), C(failed)). A re-run takes the file as it
        is - users already C(set) are left alone and reported unchanged, users C(pending), C(unknown) or C(failed)
        are sent the password already in the file - so no password is made twice for a user and the file always
        holds the one each user was sent.
      - Runs on the controller, in this module's action plugin (so the task cannot use C(async)). In check mode the
        passwords are made and checked against the policy, and the file is not written.
    type: bool
    default: false
  password_file:
    description:
      - With O(generate=true) or O(generate_temporary=true), the Ansible-Vault-encrypted YAML file (mode C(0600)) that holds the generated
        passwords, a mapping of each user (as given in O(user)/O(users)) to C(password), C(state) and C(generated)
        (when, UTC). Its directory must exist.
      - An existing file is read with the same vault secret and kept; a file that is not vault-encrypted, or that the
        secret does not open, fails the task before anything is sent.
    type: path
  vault_id:
    description:
      - With O(generate=true), the label of the vault secret to encrypt O(password_file) with, among those given to
        C(ansible-playbook) (C(--vault-id label@source)). Without it, the run's only secret or the one labelled
        C(default).
      - With O(vault_password_file), the label written into the file's header.
    type: str
  vault_password_file:
    description:
      - With O(generate=true), a file holding the vault password (or an executable that prints it), instead of the
        secrets given to C(ansible-playbook).
    type: path
  generate_length:
    description:
      - With O(generate=true), the length of each generated password, V(14) to V(64) characters.
    type: int
    default: 20
  progress_path:
    description:
      - Set by this module's action plugin, not by tasks. Where the module writes how far a list-form run has got
        (users done, failures so far, never a name or a secret), for the action plugin to show on the controller
        while the module runs.
      - The action plugin sets it when the task runs on the controller (a C(local) connection, no C(become)) and the
        list has at least 100 users; it then prints a line every O(progress_interval) seconds while users get done -
        users done of the total, users per second, failures so far - and one when the run ends. A single-user run, a
        short list or a run on another host prints nothing extra.
    type: path
  progress_interval:
    description:
      - Seconds between the progress lines of a long list-form run (see O(progress_path)); V(0) shows none.
    type: int
    default: 10
  unlock:
    description:
      - Also unlock users whose account is locked (with O(provider=ad), C(lockoutTime=0) after the reset).
      - With O(provider=okta), C(POST .../lifecycle/unlock) before the reset, as Okta cannot expire the password of
        a C(LOCKED_OUT) user. Should the reset then fail, the account stays unlocked - the user's result says so, with
        C(changed=true) and the RV(outcome) of the password (C(failed) or C(unknown)).
    type: bool
    default: false
  bulk:
    description:
      - List form with O(provider=jumpcloud) only. Sends the passwords in JumpCloud's bulk user update jobs
        (C(PATCH /api/v2/bulk/users), up to 100 users per job, with C(account_locked=false) for a locked user when
        O(unlock=true)) instead of one C(PUT) per user.
      - A job's results arrive asynchronously - each job is polled (C(GET /api/v2/bulk/users/{job_id}/results), with
        a short growing pause, for at most O(timeout) times (O(retries) + 1) seconds) and every user gets a result as
        in the per-user way; O(max_concurrency) jobs are under way at a time.
      - It costs about three calls per hundred users (the job and its polls) where the per-user way costs one per
        user, so prefer it for hundreds of users or a tight API rate limit; for a few users the per-user way answers
        sooner. O(temporary=true) still costs one C(POST .../expire) per user.
      - Users are resolved and the policy is checked first, as without it; a refused user is never sent. A job answered
        429 is sent again. A job answered 5xx, left unanswered, answered with no job id, or whose results cannot be
        read is resolved user by user by reading them back, as for one user; those not set after a definite answer
        are sent again in a new job (at most O(retries) times).
      - With O(fail_fast=true), jobs not yet sent are skipped once a job reports a failed user.
    type: bool
    default: false
attributes:
  check_mode:
    description: Resolves users and checks the policy; sends nothing.
    support: full
  diff_mode:
    description: No diff - passwords are never shown.
    support: none
seealso:
  - module: macfleet.credsync.directory_unlock
  - module: macfleet.credsync.directory_user_info
  - module: macfleet.credsync.macos_password_sync
"""

EXAMPLES = r"""
- name: Give alice a temporary password she must change at next login
  macfleet.credsync.directory_password:
    user: alice@example.com
    password: "{{ temporary_password }}"
    temporary: true
    unlock: true
  delegate_to: localhost

- name: Reset many users in one run (one HTTP session, one listing, 16 at a time)
  macfleet.credsync.directory_password:
    passwords: "{{ resets }}"         # [{user: alice, password: ...}, {user: bob, password: ...}]
    temporary: true
    max_concurrency: 16
    region: eu
  delegate_to: localhost
  register: reset

- name: Reset ten thousand users in bulk jobs of a hundred (a few calls per hundred users, results polled)
  macfleet.credsync.directory_password:
    users: "{{ staff_usernames }}"
    password: "{{ temporary_password }}"
    temporary: true                   # one more call per user: POST .../expire
    unlock: true                      # locked users get account_locked=false in the same job
    bulk: true
  delegate_to: localhost
  register: bulk_reset

- name: Show who failed and why
  ansible.builtin.debug:
    msg: "{{ reset.results | selectattr('failed') | map(attribute='msg') | list }}"

- name: Active Directory - a temporary password for alice, unlocked, over LDAPS verified with the enterprise CA
  macfleet.credsync.directory_password:
    provider: ad
    server: dc1.example.com
    bind_user: svc-credsync@example.com
    bind_password: "{{ ad_service_password }}"
    ca_path: /etc/pki/ca-trust/source/anchors/example-root-ca.pem
    user: alice@example.com           # sAMAccountName, userPrincipalName, mail, objectGUID or DN
    password: "{{ temporary_password }}"
    temporary: true                   # pwdLastSet=0: she must change it at next logon
    unlock: true
  delegate_to: localhost

- name: Okta - a password for alice, checked against her password policy first, then expired (OAuth service app)
  macfleet.credsync.directory_password:
    provider: okta
    org_url: https://example.okta.com
    client_id: 0oa1example2clientid3
    private_key: "{{ okta_service_app_key }}"   # PEM or JWK, from a vault
    private_key_id: "{{ okta_service_app_kid }}"
    user: alice@example.com           # id, login, or login short name
    password: "{{ temporary_password }}"
    temporary: true                   # expire_password: she must change it at next sign-in
    unlock: true
  delegate_to: localhost

- name: Generated temporary passwords for many users, kept only in a vault file the help desk opens
  # ansible-playbook reset.yml --vault-id helpdesk@prompt; then: ansible-vault view --vault-id helpdesk@prompt ...
  macfleet.credsync.directory_password:
    users: "{{ staff_usernames }}"
    generate: true
    password_file: /srv/helpdesk/passwords-2026-12-03.vault.yml
    vault_id: helpdesk
    temporary: true                   # each user chooses their own at next login
  delegate_to: localhost
  register: generated

- name: Okta - temporary passwords Okta makes, kept only in a vault file (not returned)
  macfleet.credsync.directory_password:
    provider: okta
    org_url: https://example.okta.com
    api_token: "{{ okta_api_token }}"
    users: "{{ locked_out_logins }}"
    generate_temporary: true
    password_file: /srv/helpdesk/okta-temporary.vault.yml
    unlock: true
  delegate_to: localhost

- name: Okta - temporary passwords Okta makes, for many users (returned, so the task has no_log)
  macfleet.credsync.directory_password:
    provider: okta
    org_url: https://example.okta.com
    api_token: "{{ okta_api_token }}"
    users: "{{ locked_out_logins }}"
    generate_temporary: true
    unlock: true
    max_concurrency: 8
  delegate_to: localhost
  no_log: true
  register: okta_temporary

- name: Active Directory - many users over one StartTLS connection, looked up under one OU
  macfleet.credsync.directory_password:
    provider: ad
    server: dc1.example.com
    tls_mode: start_tls
    bind_user: svc-credsync@example.com
    bind_password: "{{ ad_service_password }}"
    base_dn: OU=Staff,DC=example,DC=com
    passwords: "{{ resets }}"
  delegate_to: localhost
"""

RETURN = r"""
id:
  description: The user's directory id (single-user form); with O(provider=ad) its objectGUID.
  returned: success, with O(user)
  type: str
  sample: 5f1b2c3d4e5f60718293a4b5
username:
  description: The user's username (single-user form); with O(provider=ad) its sAMAccountName, with O(provider=okta)
    its login.
  returned: success, with O(user)
  type: str
  sample: alice
expired:
  description: Whether the password was expired (temporary) (single-user form).
  returned: success, with O(user)
  type: bool
  sample: true
unlocked:
  description: Whether the account was unlocked (single-user form).
  returned: success, with O(user)
  type: bool
  sample: false
outcome:
  description:
    - What became of the password (single-user form; in the list form each entry of RV(results) has it).
    - V(set) - set by this run (also when an answer was lost and reading the user back showed it set);
      V(already_set) - refused by the history rule as the user's recent password, set within O(already_set_within)
      (a warning says so); V(failed) - not set; V(unknown) - the answer was lost and reading the user back could
      not tell, so it may or may not be set (the message says what to do).
    - V(set) with the task failed means the password was set but a later step (expiring it, unlocking) failed.
  returned: always, with O(user)
  type: str
  sample: set
temporary_password:
  description:
    - The temporary password Okta made (O(generate_temporary=true); single-user form, and in each entry of
      RV(results)). Returned only to a task run with C(no_log=true).
  returned: success, with O(generate_temporary=true) and no O(password_file)
  type: str
  sample: "********"
note:
  description: How a lost answer was resolved, or why the password counts as already set (single-user form; also in
    each entry of RV(results)).
  returned: when an answer was lost or the password was already set
  type: str
  sample: "PUT /api/systemusers/5f1b2c3d4e5f60718293a4b5: HTTP 502: Bad Gateway; read back: the password was set at
    2026-05-01T10:00:00.000Z"
results:
  description: One entry per user of the list form, in order; C(msg) says why a user failed.
  returned: with O(users) or O(passwords)
  type: list
  elements: dict
  sample: [{user: alice, id: 5f1b2c3d4e5f60718293a4b5, username: alice, changed: true, failed: false, expired: true,
            unlocked: false, outcome: set}, {user: bob, changed: false, failed: true, outcome: failed,
            msg: "no JumpCloud user with username, email or id 'bob'"}]
generated:
  description:
    - With O(generate=true) (or O(generate_temporary=true) and O(password_file)), the users (as given) that were given a new password by this run; the passwords
      themselves are only in O(password_file). Users already C(set) in the file by an earlier run are not in it.
  returned: with O(password_file)
  type: list
  elements: str
  sample: [alice, bob]
password_file:
  description: With O(generate=true) (or O(generate_temporary=true)), the vault-encrypted file of the passwords.
  returned: with O(password_file)
  type: str
  sample: /srv/helpdesk/passwords-2026-12-03.vault.yml
policy_rules:
  description:
    - The directory policy's rules the password breaks, when it was refused before anything was sent (single-user
      form; also in each entry of RV(results)).
  returned: when the policy refused the password
  type: list
  elements: str
  sample: ["at least 14 characters"]
summary:
  description: Counts for the list form; C(unknown) counts the users whose outcome is unknown (also counted failed).
  returned: with O(users) or O(passwords)
  type: dict
  sample: {total: 2, changed: 1, failed: 1, unknown: 0}
"""

from ansible_collections.macfleet.credsync.plugins.module_utils._directory.base import DirectoryError
from ansible_collections.macfleet.credsync.plugins.module_utils._directory.module import (
    USER_SPEC, DirectoryModule, duplicate_problems)
from ansible_collections.macfleet.credsync.plugins.module_utils._common.passwords import PasswordError, check_password


# Options the action plugin carries out and removes before the module runs.
_GENERATE_OPTIONS = ("password_file", "vault_id", "vault_password_file")


def password_problems(dm):
    """Every new password checked by the collection's one validator before the directory is contacted.

    The password options are type raw so that a mapping or a list is refused here, not turned into its text.
    """
    params = dm.params
    problems = []
    if params["generate"] or any(params[name] is not None for name in _GENERATE_OPTIONS):
        # The action plugin takes these away before the module runs: here they mean it did not run.
        problems.append("generate, password_file, vault_id and vault_password_file are carried out by the action "
                        "plugin macfleet.credsync.directory_password on the controller, which did not run for this "
                        "task; call the module by that name")
    if params["generate_temporary"]:
        if params["password"] is not None or params["passwords"] is not None:
            problems.append("generate_temporary makes the passwords: password and passwords must not be given")
        if not dm.module.no_log:
            problems.append("generate_temporary returns the temporary passwords Okta makes (temporary_password): "
                            "run the task with no_log: true, so that no output or log shows them")
        identifiers = dm.identifiers()
    elif params["passwords"] is not None:
        if not params["passwords"]:
            problems.append("passwords is an empty list")
        for index, entry in enumerate(params["passwords"]):
            dm.add_secret(entry["password"])
            try:
                check_password(entry["password"], "passwords[%d].password (user %s)" % (index, entry["user"]))
            except PasswordError as exc:
                problems.append(str(exc))
            if not str(entry["user"]).strip():
                problems.append("passwords[%d].user is empty" % index)
        identifiers = [entry["user"] for entry in params["passwords"]]
    else:
        if params["password"] is None:
            problems.append("password is required with user and users (or give generate_temporary with provider "
                            "okta)")
        else:
            try:
                check_password(params["password"], "password")
            except PasswordError as exc:
                problems.append(str(exc))
        identifiers = dm.identifiers()
    # duplicate_problems' first stage, on the identifiers as typed (no lookup needed); for_each_user runs the
    # second, on the users they resolve to.
    twice = duplicate_problems(identifiers)
    if twice:
        problems.append("each user may be given once: %s" % "; ".join(twice))
    return problems


def unlocked_first(exc):
    """The failure of a reset whose unlock (Okta's, sent first) was made: the account stays unlocked, so changed."""
    failure = DirectoryError("the account was unlocked, but %s" % exc, exc.status)
    failure.outcome = getattr(exc, "outcome", None) or "failed"
    failure.changed = True
    return failure


def main():
    spec = dict(USER_SPEC)
    spec.update(
        passwords=dict(type="list", elements="dict", no_log=False, options=dict(
            user=dict(type="str", required=True), password=dict(type="raw", required=True, no_log=True))),
        password=dict(type="raw", no_log=True),
        temporary=dict(type="bool", default=False),
        generate_temporary=dict(type="bool", default=False),
        generate=dict(type="bool", default=False),
        password_file=dict(type="path", no_log=False),
        vault_id=dict(type="str"),
        vault_password_file=dict(type="path", no_log=False),
        generate_length=dict(type="int", default=20),
        progress_path=dict(type="path"),
        progress_interval=dict(type="int", default=10),
        unlock=dict(type="bool", default=False),
        bulk=dict(type="bool", default=False),
        already_set_within=dict(type="int", default=60),
    )
    dm = DirectoryModule(spec, secret_options=("password",),
                         provider_options={"jumpcloud": ("bulk",), "okta": ("generate_temporary",)},
                         supports_check_mode=True, validated_problems=password_problems,
                         mutually_exclusive=[("user", "users", "passwords"), ("password", "passwords")],
                         required_one_of=[("user", "users", "passwords")])
    params = dm.params
    if params["bulk"] and params["user"] is not None:
        dm.fail("bulk: only for the list form (users or passwords)")
    if params["already_set_within"] < 0:
        dm.fail("already_set_within must be 0 or more (minutes)")
    if params["passwords"]:
        wanted = dict((entry["user"], entry["password"]) for entry in params["passwords"])
    else:
        wanted = dict.fromkeys(dm.identifiers(), params["password"])
    directory = dm.directory
    directory.already_set_within = params["already_set_within"] * 60
    generate = params["generate_temporary"]
    temporary = params["temporary"] or generate
    # Okta cannot expire a locked-out user's password, so there the account is unlocked before the reset.
    unlock_first = getattr(directory, "unlock_before_set", False)

    def check(identifier, user):
        if not generate:
            directory.check_password(user, wanted[identifier])
        if hasattr(directory, "check_reset"):
            directory.check_reset(user, temporary, params["unlock"])

    def reset(identifier, user):
        unlocked = bool(params["unlock"] and user.get("account_locked"))
        outcome = dict(changed=True, expired=temporary, unlocked=unlocked, outcome="set")
        if dm.module.check_mode:
            return outcome
        if unlocked and unlock_first:
            directory.unlock(user)
        try:
            if generate:
                outcome.update(directory.set_temporary_password(user))
                dm.add_secret(outcome["temporary_password"])
            else:
                outcome.update(directory.set_password(user, wanted[identifier], temporary=temporary))
        except DirectoryError as exc:
            if not (unlocked and unlock_first):
                raise
            raise unlocked_first(exc)
        if unlocked and not unlock_first:
            directory.unlock(user, result=outcome)
        return outcome

    def reset_in_bulk(pairs):
        unlocks = dict((identifier, bool(params["unlock"] and user.get("account_locked"))) for identifier, user in pairs)
        outcome = {} if dm.module.check_mode else directory.set_passwords_bulk(
            [(identifier, user, wanted[identifier], unlocks[identifier]) for identifier, user in pairs],
            temporary=params["temporary"], concurrency=params["max_concurrency"], fail_fast=params["fail_fast"])
        done = {}
        for identifier, unlock in unlocks.items():
            answer = outcome.get(identifier)
            if isinstance(answer, Exception):
                done[identifier] = answer
            else:
                done[identifier] = dict(dict(changed=True, expired=params["temporary"], unlocked=unlock, outcome="set"),
                                        **(answer or {}))
        return done

    dm.exit_with(dm.for_each_user(reset, list(wanted), batch=reset_in_bulk if params["bulk"] else None, check=check))


if __name__ == "__main__":
    main()
