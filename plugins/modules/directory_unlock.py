#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: directory_unlock
short_description: Unlock directory accounts locked after failed logins, without a password reset
version_added: 0.1.0
description:
  - Unlocks one user (O(user)) or many (O(users)) in the directory - JumpCloud (C(POST /api/systemusers/{id}/unlock)),
    Active Directory (O(provider=ad); C(lockoutTime=0), which also clears the count of bad passwords) or Okta
    (O(provider=okta); C(POST /api/v1/users/{id}/lifecycle/unlock) for a C(LOCKED_OUT) user, who becomes C(ACTIVE)).
  - With O(provider=okta), only Okta-sourced users can be unlocked; one whose credentials Active Directory masters is
    refused (unlock it with O(provider=ad)).
  - With O(provider=ad), an account counts as locked by C(msDS-User-Account-Control-Computed), so a lockout that has
    run its time is not touched.
  - Only a locked account is touched (C(changed=true)); an unlocked one reports C(changed=false).
  - Unlocking does not clear an expired password.
  - An account named twice (by username and by email, say) is unlocked once; the later identifier's result says
    C(same_as).
  - An unlock whose answer is lost is not sent again blindly; the user is read back, and it is sent once more only
    when the account is still locked (unlocking twice changes nothing more).
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
      - With O(provider=okta), by id, login, or a login's short name that names one user.
    type: str
  users:
    description: Many users, by username, email or id (one listing, one HTTP session; with O(provider=ad) as for O(user),
      over one LDAP connection).
    type: list
    elements: str
attributes:
  check_mode:
    description: Reports which accounts would be unlocked; sends no write.
    support: full
  diff_mode:
    description: Shows the lock state before and after (single-user form).
    support: full
seealso:
  - module: macfleet.credsync.directory_password
  - module: macfleet.credsync.macos_account_unlock
"""

EXAMPLES = r"""
- name: Unlock alice after too many wrong passwords
  macfleet.credsync.directory_unlock:
    user: alice
  delegate_to: localhost

- name: Unlock everyone the helpdesk listed
  macfleet.credsync.directory_unlock:
    users: "{{ helpdesk_unlock_list }}"
  delegate_to: localhost

- name: Okta - unlock everyone locked out, 8 at a time
  macfleet.credsync.directory_unlock:
    provider: okta
    org_url: https://example.okta.com
    api_token: "{{ okta_api_token }}"
    users: "{{ okta_locked.users | map(attribute='id') | list }}"
  delegate_to: localhost

- name: Active Directory - unlock bob (by userPrincipalName); nothing is written if he is not locked
  macfleet.credsync.directory_unlock:
    provider: ad
    server: dc1.example.com
    bind_user: svc-credsync@example.com
    bind_password: "{{ ad_service_password }}"
    ca_path: /etc/pki/ca-trust/source/anchors/example-root-ca.pem
    user: bob@example.com
  delegate_to: localhost
"""

RETURN = r"""
id:
  description: The user's directory id (single-user form); with O(provider=ad) its objectGUID.
  returned: success, with O(user)
  type: str
  sample: 5f1b2c3d4e5f60718293a4b5
was_locked:
  description: Whether the account was locked (single-user form).
  returned: success, with O(user)
  type: bool
  sample: true
results:
  description:
    - One entry per user of the list form, with C(was_locked), C(changed), C(failed), C(msg) and C(outcome) -
      V(unlocked), V(not_locked) (nothing to do), V(failed) or V(unknown).
    - A later identifier of an account already named has C(same_as), the first identifier, and C(changed=false).
  returned: with O(users)
  type: list
  elements: dict
  sample: [{user: alice, id: 5f1b2c3d4e5f60718293a4b5, username: alice, changed: true, failed: false, was_locked: true,
            outcome: unlocked}]
outcome:
  description: V(unlocked), V(not_locked), V(failed) or V(unknown) (single-user form).
  returned: with O(user)
  type: str
  sample: unlocked
summary:
  description: Counts for the list form.
  returned: with O(users)
  type: dict
  sample: {total: 1, changed: 1, failed: 0, unknown: 0}
"""

from ansible_collections.macfleet.credsync.plugins.module_utils._directory.module import USER_SPEC, DirectoryModule


def main():
    dm = DirectoryModule(dict(USER_SPEC), supports_check_mode=True, mutually_exclusive=[("user", "users")],
                         required_one_of=[("user", "users")])

    def unlock(_identifier, user):
        locked = bool(user.get("account_locked"))
        if locked and not dm.module.check_mode:
            dm.directory.unlock(user)
        result = dict(changed=locked, was_locked=locked, outcome="unlocked" if locked else "not_locked")
        if dm.module._diff:  # pylint: disable=protected-access
            result["diff"] = dict(before=dict(account_locked=locked), after=dict(account_locked=False))
        return result

    # An account named twice (by name and by email, say) is unlocked once; the later name reports same_as.
    dm.exit_with(dm.for_each_user(unlock, duplicates="once"))


if __name__ == "__main__":
    main()
