# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name


class ModuleDocFragment:
    """Connection and user-selection options shared by the directory modules."""

    DOCUMENTATION = r"""
options:
  provider:
    description: The directory. V(jumpcloud) is JumpCloud's directory API.
    type: str
    choices: [jumpcloud]
    default: jumpcloud
  api_key:
    description:
      - A JumpCloud API key (sent as C(x-api-key)). If not set, the environment variable C(JUMPCLOUD_API_KEY) is used.
      - Mutually exclusive with O(client_id).
    type: str
  client_id:
    description: Client id of a JumpCloud service account (OAuth2 client credentials); the token is fetched once per run.
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
    description: API root (for example C(https://console.jumpcloud.com)); overrides O(region).
    type: str
  oauth_token_url:
    description: OAuth2 token endpoint for O(client_id); defaults to JumpCloud's.
    type: str
  validate_certs:
    description: Verify the server's TLS certificate. Only switch off for a lab.
    type: bool
    default: true
  ca_path:
    description: A PEM CA bundle to verify the server with (for a TLS-inspecting proxy, say).
    type: path
  timeout:
    description: Seconds to wait for each answer. A call with its retries gives up after O(timeout) x (O(retries) + 1).
    type: int
    default: 30
  retries:
    description:
      - Retries of a call answered 429, 500, 502, 503 or 504, or not answered in time, with exponential backoff
        and jitter; a C(Retry-After) header is honoured.
    type: int
    default: 3
  max_concurrency:
    description: Users worked on at once in the list form (one HTTP session, pooled connections).
    type: int
    default: 8
  fail_fast:
    description: In the list form, stop starting new users after the first failure (by default every user is tried).
    type: bool
    default: false
notes:
  - Runs on the controller (C(delegate_to=localhost)) and needs the Python library C(requests).
  - Secrets (API key, client secret, passwords) are never logged, returned or shown in errors.
requirements:
  - requests
"""
