# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name


class ModuleDocFragment:
    """Connection options shared by the directory and MDM modules; USERS: the user-list modules' options."""

    DOCUMENTATION = r"""
options:
  provider:
    description:
      - The directory. V(jumpcloud) is JumpCloud's directory API; V(ad) is Active Directory over LDAP (LDAPS or
        StartTLS) with a service account; V(okta) is Okta's management API (an SSWS API token or an OAuth 2.0
        service app).
      - Options of another provider are refused, except O(api_key), O(client_secret) and O(api_token), which may
        come from the environment.
    type: str
    choices: [jumpcloud, ad, okta]
    default: jumpcloud
  api_key:
    description:
      - A JumpCloud API key (sent as C(x-api-key)). If not set, the environment variable C(JUMPCLOUD_API_KEY) is used.
      - Mutually exclusive with O(client_id).
      - Sent in an HTTP header, so a line break (a YAML C(|) block ends with one; use C(|-)), another control
        character or a character outside latin-1 is refused, naming the option and never the value. The same holds
        for O(client_id), O(client_secret) and O(org_id).
    type: str
  client_id:
    description:
      - Client id of a JumpCloud service account (OAuth2 client credentials); the token is fetched once per run.
      - With O(provider=okta), the client id of an OAuth 2.0 service app (API Services) whose public key Okta holds;
        it signs in with O(private_key) (private_key_jwt) and is granted O(scopes). Mutually exclusive with
        O(api_token).
    type: str
  client_secret:
    description: Client secret of the service account. If not set, the environment variable C(JUMPCLOUD_CLIENT_SECRET) is used.
    type: str
  org_id:
    description:
      - The organisation id, sent as C(x-org-id). Required with a multi-tenant (MSP) key.
      - Otherwise the organisation of the users is used to read the password policy.
    type: str
  region:
    description: JumpCloud region of the organisation.
    type: str
    choices: [us, eu, in]
    default: us
  base_url:
    description:
      - API root (for example C(https://console.jumpcloud.com)); overrides O(region).
      - Must be an C(https://) (or C(http://)) URL with a host and nothing after the path; anything else (no scheme,
        C(ftp://), a broken IPv6 literal, a port out of range) is refused before anything is sent.
      - An C(http://) URL with O(validate_certs=true) puts a warning in the result - nothing is encrypted.
    type: str
  oauth_token_url:
    description: OAuth2 token endpoint for O(client_id); defaults to JumpCloud's.
    type: str
  org_url:
    description:
      - With O(provider=okta), the org's URL, such as V(https://example.okta.com) or a custom domain; required. The
        API is under C(/api/v1/), the token endpoint is C(/oauth2/v1/token).
      - An C(https://) (or, for a lab, C(http://)) URL with a host and no path; anything else is refused before
        anything is sent, and C(http://) with O(validate_certs=true) puts a warning in the result.
    type: str
  api_token:
    description:
      - With O(provider=okta), an API token, sent as C(Authorization) C(SSWS) token. If not set, the environment
        variable C(OKTA_CLIENT_TOKEN) is used (the name Okta's SDKs read). The token acts with its admin's rights.
      - Mutually exclusive with O(client_id) and O(private_key). A line break or a character outside latin-1 is
        refused, naming the option and never the value.
    type: str
  private_key:
    description:
      - With O(provider=okta), the service app's private key - an unencrypted RSA key in PEM, or an RSA JWK (JSON)
        with its private parts, as the Admin Console generates it. It signs a short-lived RS256 client assertion
        (C(iss) and C(sub) the client id, C(aud) the token endpoint) for each access token; the key never leaves
        the controller.
      - A key that cannot be read is refused before anything is sent, without a word of it.
    type: str
  private_key_id:
    description:
      - With O(provider=okta), the key's id (C(kid)) as Okta lists it for the app; taken from a JWK's C(kid) when
        not set.
    type: str
  scopes:
    description:
      - With O(provider=okta) and a service app, the scopes asked for; each must be granted to the app.
      - Defaults to C(okta.users.read), C(okta.users.manage) and C(okta.policies.read) - reading users, every
        password and lifecycle call, reading the password policies.
    type: list
    elements: str
  server:
    description:
      - With O(provider=ad), the domain controller's DNS name (for example V(dc1.example.com)). Required with
        O(provider=ad).
      - The certificate is checked against this name, so it must be a name the certificate holds; an IP address
        never matches.
    type: str
  port:
    description: With O(provider=ad), the LDAP port; V(636) with O(tls_mode=ldaps), V(389) with O(tls_mode=start_tls).
    type: int
  tls_mode:
    description:
      - With O(provider=ad), how the connection is encrypted. AD refuses password changes, and a simple bind, on a
        connection that is not, so there is no plain mode.
      - V(ldaps) is TLS from the start (port 636); V(start_tls) upgrades a plain connection (port 389) before the bind.
    type: str
    choices: [ldaps, start_tls]
    default: ldaps
  bind_user:
    description:
      - With O(provider=ad), the service account that binds - a userPrincipalName (V(svc-credsync@example.com)), a
        distinguished name or V(DOMAIN\\name). Required with O(provider=ad).
      - It needs the C(Reset password) right and write access to C(pwdLastSet) and C(lockoutTime) on the users (for
        example delegated on their OU); reading the domain object lets the password policy be checked first.
    type: str
    aliases: [bind_dn]
  bind_password:
    description:
      - With O(provider=ad), the service account's password. Required with O(provider=ad).
      - A line break or another control character in it, or in O(bind_user), O(server) or O(base_dn), is refused
        before connecting.
    type: str
  base_dn:
    description:
      - With O(provider=ad), where users are looked for (the whole subtree); defaults to the domain
        (C(defaultNamingContext)).
    type: str
  validate_certs:
    description: Verify the server's TLS certificate. Only switch off for a lab.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM CA bundle to verify the server with (for a TLS-inspecting proxy, say).
      - With O(provider=ad), the CA that issued the domain controller's certificate (an enterprise CA, typically).
      - A path that does not exist (or, with O(provider=ad), is not a file) is refused before anything is sent.
    type: path
  timeout:
    description:
      - Seconds to wait for each answer, at least V(1). A call with its retries gives up after O(timeout) x
        (O(retries) + 1).
      - After a write whose answer was lost while the server may still be at it, also how long the user is read back
        for before its outcome is reported C(unknown).
      - With O(provider=ad), also the time allowed to connect.
    type: int
    default: 30
  retries:
    description:
      - Retries of a read answered 429, 500, 502, 503 or 504, or not answered in time, with exponential backoff
        and jitter; a C(Retry-After) header is honoured. V(0) or more.
      - With O(provider=okta), a 429 waits until its C(X-Rate-Limit-Reset), measured against the answer's C(Date)
        (plus a second, plus jitter), and an answer whose C(X-Rate-Limit-Remaining) is V(0) holds every worker until
        that reset.
      - A write is retried as is only when it cannot have been made (429, a connection never made). A write whose
        answer is lost - a 5xx, a reset connection, no answer in time, a spoiled answer - is never sent again
        blindly; the user is read back (JumpCloud's C(password_date), AD's C(pwdLastSet), compared with what was
        read before the write). Changed means done; unchanged after a definite answer means not made, and it is
        sent once more; otherwise the user's C(outcome) is C(unknown), with a message saying what to do.
      - With O(provider=ad), attempts to connect again when the domain controller cannot be reached; after a lost
        answer to a modify, the connection is made again before the user is read back.
    type: int
    default: 3
  max_concurrency:
    description:
      - Users worked on at once in the list form (one HTTP session, pooled connections).
      - With O(provider=ad), users are worked on one after another over the run's one LDAP connection.
      - At least V(1).
    type: int
    default: 8
notes:
  - Runs on the controller (C(delegate_to=localhost)) and needs the Python library C(requests) (JumpCloud, Okta),
    C(cryptography) (an Okta service app) or C(ldap3) (Active Directory).
  - Secrets (API key, client secret, API token, private key, bind password, passwords) are never logged, returned or
    shown in errors.
  - With O(provider=okta), lists are paged by the C(Link) header's C(next) cursor (followed only to the org URL).
  - Every option is checked before the directory is first contacted; a bad one fails the run naming the option and
    the rule, with nothing sent.
  - With O(provider=ad), Python 3.13 verifies certificates strictly; a certificate without an Authority Key Identifier,
    such as the one Samba makes for itself, is refused.
requirements:
  - requests (provider jumpcloud, okta)
  - cryptography (provider okta with a service app)
  - ldap3 >= 2.9 (provider ad)
"""

    USERS = r"""
options:
  fail_fast:
    description:
      - In the list form, stop starting new users after the first failure (by default every user is tried).
      - A user that cannot be found, or whose password breaks the policy, is known before anything is written;
        then nothing is written at all.
    type: bool
    default: false
notes:
  - The same user given twice in a list - twice by name, by username and by email, by id and by name - is found
    before anything is written. M(macfleet.credsync.directory_password) refuses the run naming both identifiers;
    M(macfleet.credsync.directory_unlock) and M(macfleet.credsync.directory_user_info) work on the user once and
    answer the later identifier with C(same_as).
"""
