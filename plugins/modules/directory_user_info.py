#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: directory_user_info
short_description: Lock, expiry, state and MFA facts of directory users
version_added: 0.1.0
description:
  - Reads users from the directory - JumpCloud, Active Directory (O(provider=ad)) or Okta (O(provider=okta)) - by
    O(user), O(users) or a O(filter), and returns their lock, password expiry, state and MFA facts. Read only.
  - With O(provider=okta), the facts are Okta's C(status), C(lastLogin) and C(passwordChanged), and whether the user
    is locked out (C(LOCKED_OUT)) or must change the password (C(PASSWORD_EXPIRED)). Okta marks a password expired
    by its age only at the next sign-in, so a status is as fresh as the user's last sign-in or lifecycle event.
  - With O(provider=ad), C(badPwdCount) and C(lockoutTime) are kept by each domain controller apart, so the lock facts
    are those of O(server).
extends_documentation_fragment:
  - macfleet.credsync.directory
  - macfleet.credsync.directory.users
author:
  - macfleet.credsync contributors (@macfleet)
options:
  user:
    description:
      - One user, by username, email or id.
      - With O(provider=ad), by sAMAccountName, userPrincipalName, mail, objectGUID or distinguished name.
      - With O(provider=okta), by id, login, or a login's short name that names one user.
    type: str
  users:
    description: Many users, by username, email or id (with O(provider=ad) as for O(user)).
    type: list
    elements: str
  filter:
    description:
      - JumpCloud list filters, each C(field:$eq:value) (also C($ne), C($gt), ...), all of which must match;
        for example V(account_locked:$eq:true).
      - With O(provider=ad), LDAP filters, all of which must match, over the user accounts under O(base_dn); for example
        V((pwdLastSet=0)) (must change the password) or V((lockoutTime>=1)) (locked now or before).
      - With O(provider=okta), Okta C(search) expressions, all of which must match, for example
        V(status eq "LOCKED_OUT") or V(profile.department eq "Sales"); paged by the C(Link) header.
    type: list
    elements: str
attributes:
  check_mode:
    description: Read only; runs the same in check mode.
    support: full
  diff_mode:
    description: No diff (read only).
    support: none
seealso:
  - module: macfleet.credsync.directory_password
  - module: macfleet.credsync.directory_unlock
"""

EXAMPLES = r"""
- name: Facts about alice
  macfleet.credsync.directory_user_info:
    user: alice
  delegate_to: localhost
  register: alice

- name: Every locked account
  macfleet.credsync.directory_user_info:
    filter:
      - account_locked:$eq:true
  delegate_to: localhost
  register: locked

- name: Unlock them
  macfleet.credsync.directory_unlock:
    users: "{{ locked.users | map(attribute='id') | list }}"
  delegate_to: localhost

- name: Okta - every locked-out user
  macfleet.credsync.directory_user_info:
    provider: okta
    org_url: https://example.okta.com
    api_token: "{{ okta_api_token }}"
    filter:
      - status eq "LOCKED_OUT"
  delegate_to: localhost
  register: okta_locked

- name: Active Directory - every account of the Staff OU that must change its password at next logon
  macfleet.credsync.directory_user_info:
    provider: ad
    server: dc1.example.com
    bind_user: svc-credsync@example.com
    bind_password: "{{ ad_service_password }}"
    ca_path: /etc/pki/ca-trust/source/anchors/example-root-ca.pem
    base_dn: OU=Staff,DC=example,DC=com
    filter:
      - (pwdLastSet=0)
  delegate_to: localhost
  register: must_change
"""

RETURN = r"""
users:
  description: The users found, with their facts. Unknown users of O(users) are listed in RV(not_found) instead.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Directory id; with O(provider=ad) the objectGUID.
      type: str
    username:
      description: Username; with O(provider=ad) the sAMAccountName.
      type: str
    email:
      description: Email address.
      type: str
    state:
      description: STAGED, ACTIVATED or SUSPENDED (JumpCloud).
      type: str
    status:
      description: Okta's status - ACTIVE, LOCKED_OUT, PASSWORD_EXPIRED, RECOVERY, SUSPENDED, STAGED, PROVISIONED or
        DEPROVISIONED (O(provider=okta)).
      type: str
    last_login:
      description: When the user last signed in, Okta's C(lastLogin) (O(provider=okta)).
      type: str
    password_changed:
      description: When the password was last set, Okta's C(passwordChanged) (O(provider=okta); also as
        C(password_date)).
      type: str
    credentials_provider:
      description: Who masters the user's password, Okta's C(credentials.provider.type) - OKTA, ACTIVE_DIRECTORY,
        LDAP, FEDERATION, SOCIAL (O(provider=okta)).
      type: str
    password_date:
      description: When the password was last set.
      type: str
    user_principal_name:
      description: The userPrincipalName (O(provider=ad)).
      type: str
    dn:
      description: The distinguished name (O(provider=ad)).
      type: str
    display_name:
      description: The displayName (O(provider=ad)).
      type: str
    enabled:
      description: Whether the account is enabled (O(provider=ad)).
      type: bool
    must_change_password:
      description: Whether the user must change the password at next logon, C(pwdLastSet=0) (O(provider=ad)).
      type: bool
    bad_login_attempts:
      description: Wrong passwords since the last good one (with O(provider=ad), C(badPwdCount) on O(server)).
      type: int
    account_locked:
      description: Whether the account is locked after failed logins.
      type: bool
    password_expired:
      description: Whether the password has expired (for example a temporary one).
      type: bool
    password_expiration_date:
      description: When the password expires.
      type: str
    mfa_configured:
      description: Whether MFA is configured (JumpCloud).
      type: bool
    totp_enabled:
      description: Whether TOTP is enabled (JumpCloud).
      type: bool
  sample: [{id: 5f1b2c3d4e5f60718293a4b5, username: alice, email: alice@example.com, state: ACTIVATED,
            account_locked: false, password_expired: false, mfa_configured: true, totp_enabled: true}]
not_found:
  description: Identifiers of O(users) or O(user) that match no user.
  returned: success
  type: list
  elements: str
  sample: [bob]
"""

from ansible_collections.macfleet.credsync.plugins.module_utils._directory.module import USER_SPEC, DirectoryModule


def main():
    spec = dict(USER_SPEC)
    spec.update(filter=dict(type="list", elements="str"))
    dm = DirectoryModule(spec, supports_check_mode=True, mutually_exclusive=[("user", "users", "filter")],
                         required_one_of=[("user", "users", "filter")])
    if dm.params["filter"]:
        users = dm.guard(lambda: [dm.user_facts(u) for u in dm.directory.iter_users(filters=dm.params["filter"])])
        dm.module.exit_json(changed=False, users=users, not_found=[])
    results = dm.for_each_user(lambda _identifier, user: dict(facts=dm.user_facts(user)), duplicates="once")
    errors = [r for r in results if r["failed"] and not r["not_found"]]
    if errors:
        dm.fail("; ".join("%s: %s" % (r["user"], r["msg"]) for r in errors))
    dm.module.exit_json(changed=False, users=[r["facts"] for r in results if not r["failed"]],
                        not_found=[r["user"] for r in results if r["failed"]])


if __name__ == "__main__":
    main()
