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
    (C(PUT /api/systemusers/{id})). Changing a password ends the user's active sessions.
  - The organisation's password policy is read once and every password is checked before anything is sent;
    a violation fails that user, naming every broken rule, and nothing is sent for them. Rules a client cannot
    see (password history, minimum age) are the directory's to refuse; its answer is reported as is.
  - O(temporary=true) then expires the password, so the user must change it at next login.
  - The list form resolves all users with one paged listing, uses one HTTP session and works on
    O(max_concurrency) users at once; each user gets a result, and one failing user does not stop the others
    (unless O(fail_fast=true)).
  - A password cannot be read back, so a reset always reports C(changed=true). Check mode resolves the users and
    checks the policy, and sends nothing.
extends_documentation_fragment:
  - macfleet.credsync.directory
author:
  - macfleet.credsync contributors (@macfleet)
options:
  user:
    description: One user, by username, email or id. Mutually exclusive with O(users).
    type: str
  users:
    description:
      - Many users, by username, email or id, all given O(password). Mutually exclusive with O(user).
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
        description: Username, email or id.
        type: str
        required: true
      password:
        description: The new password.
        type: str
        required: true
  password:
    description: The new password (for O(user), or every user of O(users)).
    type: str
  temporary:
    description: Expire the new password, so the user must choose their own at next login.
    type: bool
    default: false
  unlock:
    description: Also unlock users whose account is locked.
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

- name: Show who failed and why
  ansible.builtin.debug:
    msg: "{{ reset.results | selectattr('failed') | map(attribute='msg') | list }}"
"""

RETURN = r"""
id:
  description: The user's directory id (single-user form).
  returned: success, with O(user)
  type: str
  sample: 5f1b2c3d4e5f60718293a4b5
username:
  description: The user's username (single-user form).
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
results:
  description: One entry per user of the list form, in order; C(msg) says why a user failed.
  returned: with O(users) or O(passwords)
  type: list
  elements: dict
  sample: [{user: alice, id: 5f1b2c3d4e5f60718293a4b5, username: alice, changed: true, failed: false, expired: true,
            unlocked: false}, {user: bob, changed: false, failed: true, msg: "no JumpCloud user with username, email or id 'bob'"}]
summary:
  description: Counts for the list form.
  returned: with O(users) or O(passwords)
  type: dict
  sample: {total: 2, changed: 1, failed: 1}
"""

from ansible_collections.macfleet.credsync.plugins.module_utils._directory.module import USER_SPEC, DirectoryModule


def main():
    spec = dict(USER_SPEC)
    spec.update(
        passwords=dict(type="list", elements="dict", no_log=False, options=dict(
            user=dict(type="str", required=True), password=dict(type="str", required=True, no_log=True))),
        password=dict(type="str", no_log=True),
        temporary=dict(type="bool", default=False),
        unlock=dict(type="bool", default=False),
    )
    dm = DirectoryModule(spec, secret_options=("password",), supports_check_mode=True,
                         mutually_exclusive=[("user", "users", "passwords")],
                         required_one_of=[("user", "users", "passwords")],
                         required_by={"user": "password", "users": "password"})
    params = dm.params
    if params["passwords"]:
        wanted = dict((entry["user"], entry["password"]) for entry in params["passwords"])
        for secret in wanted.values():
            dm.add_secret(secret)
    else:
        wanted = dict.fromkeys(dm.identifiers(), params["password"])
    directory = dm.directory

    def reset(identifier, user):
        unlocked = bool(params["unlock"] and user.get("account_locked"))
        if not dm.module.check_mode:
            directory.set_password(user, wanted[identifier], temporary=params["temporary"])
            if unlocked:
                directory.unlock(user)
        return dict(changed=True, expired=params["temporary"], unlocked=unlocked)

    dm.exit_with(dm.for_each_user(reset, list(wanted),
                                  check=lambda identifier, user: directory.check_password(user, wanted[identifier])))


if __name__ == "__main__":
    main()
