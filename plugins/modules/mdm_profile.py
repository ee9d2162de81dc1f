#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: mdm_profile
short_description: Upload a configuration profile to the MDM as a custom profile policy, bound to a device group
version_added: 0.1.0
description:
  - Makes the configuration profile in O(src) (signed or not) a custom MDM configuration profile policy named
    O(name) in JumpCloud, which then pushes it to the Macs the policy is bound to.
  - The policy is made from the policy template named O(template), found by name (C(GET /api/v2/policytemplates)).
    The profile goes base64-encoded into the template's file field (C(POST /api/v2/policies)).
  - An existing policy of that name is updated (C(PUT /api/v2/policies/{id})) only when the profile (or
    O(notes)) differs from what it holds, so a second run reports C(changed=false). Its other values
    (such as re-applying on OS updates) are kept.
  - With O(device_group), the policy is also bound to that device group unless it already is
    (C(POST /api/v2/policies/{id}/associations)). Other bindings are left alone.
  - O(state=absent) deletes the policy, which removes the profile from the Macs it was bound to.
  - The profile is checked to be a configuration profile before anything is sent. Generate it with
    M(macfleet.credsync.notification_profile) or M(macfleet.credsync.endpoint_security_profile).
  - Every name is resolved before the first write. The policy, the template and its field, and the device group
    (and the policy's existing bindings) are read first, so an unknown template, field or device group fails the
    run with nothing written, and check mode predicts what a real run does.
  - When a new policy was created and binding it to O(device_group) then fails, the policy is deleted again, and
    the failure message says so; no run leaves a policy it created unbound. An answer lost after a write (an
    error, a timeout or a spoiled answer once JumpCloud may have made the change) is settled by reading the
    policy (or its bindings) back, never by sending the write again.
  - Text options are checked before anything is read or sent. A dictionary, list or boolean is refused. Control
    characters are refused (O(notes) may hold tabs and line feeds). O(name), O(template), O(template_field) and
    O(device_group) must not be empty or start or end with white space (they are matched exactly), and are at most
    255 characters; O(notes) is at most 4096. O(src) must be a
    regular file of at most 4 MiB.
extends_documentation_fragment:
  - macfleet.credsync.directory
author:
  - macfleet.credsync contributors (@macfleet)
options:
  provider:
    description:
      - The MDM. V(jumpcloud) is JumpCloud's MDM, through its v2 API. The connection options are those of the
        directory modules' JumpCloud provider; the Active Directory ones do not apply.
    type: str
    choices: [jumpcloud]
    default: jumpcloud
  name:
    description: The policy's name in JumpCloud. It identifies the policy; keep it unique.
    type: str
    required: true
  state:
    description: V(present) creates or updates the policy; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  src:
    description:
      - The profile (C(.mobileconfig)), an XML or binary plist or a CMS-signed one. Required with O(state=present).
      - JumpCloud signs profiles with its own push certificate, so a signed O(src) is not needed.
    type: path
  notes:
    description: The policy's notes. Compared and updated only when given.
    type: str
  template:
    description:
      - The name of the policy template for custom configuration profiles.
      - JumpCloud's published API does not name it. The default is the name JumpCloud's own tests and API
        clients use; set it if your organisation's differs.
    type: str
    default: custom_mdm_profile_darwin
  template_field:
    description:
      - The template's config field that takes the profile. By default, the template's only field of type
        C(file).
    type: str
  device_group:
    description: A device group (id or exact name) to bind the policy to.
    type: str
attributes:
  check_mode:
    description: Reads the policy, its template and bindings and reports what would change; writes nothing.
    support: full
  diff_mode:
    description: Shows the policy's profile (its plist text) before and after, and a new device group binding.
    support: full
notes:
  - The profile is compared with the value JumpCloud returns for the policy's file field. The comparison is
    byte for byte, so regenerate profiles deterministically (the profile modules do) to keep runs idempotent.
seealso:
  - module: macfleet.credsync.notification_profile
  - module: macfleet.credsync.endpoint_security_profile
  - name: JumpCloud policies API (v2)
    description: JumpCloud's reference of the policies endpoints.
    link: https://docs.jumpcloud.com/api/2.0/index.html#tag/Policies
"""

EXAMPLES = r"""
- name: Generate the agent's notification profile
  macfleet.credsync.notification_profile:
    path: /srv/profiles/jumpcloud-notifications.mobileconfig
  delegate_to: localhost

- name: Push it to every Mac of the Engineering group
  macfleet.credsync.mdm_profile:
    name: JumpCloud agent notifications
    src: /srv/profiles/jumpcloud-notifications.mobileconfig
    device_group: Engineering Macs
  delegate_to: localhost

- name: Upload the Endpoint Security profile with a service account, EU region
  macfleet.credsync.mdm_profile:
    name: JumpCloud agent Endpoint Security
    src: /srv/profiles/jumpcloud-endpoint-security.mobileconfig
    notes: Generated by macfleet.credsync.endpoint_security_profile
    client_id: "{{ jc_client_id }}"
    client_secret: "{{ vault_jc_client_secret }}"
    region: eu
  delegate_to: localhost

- name: Remove the policy (and with it the profile from the Macs)
  macfleet.credsync.mdm_profile:
    name: JumpCloud agent notifications
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
action:
  description: What was (or, in check mode, would be) done with the policy.
  returned: always
  type: str
  sample: created
  choices: [created, updated, unchanged, deleted, absent]
policy_id:
  description: The policy's id (none in check mode when it would be created, or when it is absent).
  returned: always
  type: str
  sample: 6651a1f2c3d4e5f60718293a
template_id:
  description: The id of the policy template used.
  returned: with O(state=present)
  type: str
  sample: 5f8e9d0c1b2a39485766a1b2
template_field:
  description: The name of the template field that holds the profile.
  returned: with O(state=present)
  type: str
  sample: payload
sha256:
  description: SHA-256 of the uploaded file.
  returned: with O(state=present)
  type: str
  sample: 3f1c0e8a5b6d4e2f9a7c1b0d8e6f4a2c0b9d7e5f3a1c8b6d4e2f0a9c7b5d3e1f
device_group_id:
  description: The id of O(device_group).
  returned: with O(device_group)
  type: str
  sample: 6651a1f2c3d4e5f60718293b
bound:
  description: Whether the policy was (or would be) newly bound to O(device_group).
  returned: with O(device_group)
  type: bool
  sample: true
problems:
  description: Every rule the module's options break (nothing was read or sent).
  returned: failure, when an option breaks a rule
  type: list
  elements: str
  sample: ["name must not hold control characters or line breaks (it is one line): a line feed at position 5"]
"""

from ansible_collections.macfleet.credsync.plugins.module_utils._profiles.jumpcloud import DEFAULT_TEMPLATE
from ansible_collections.macfleet.credsync.plugins.module_utils._profiles.mdm import MdmProfile


def main():
    MdmProfile(dict(
        provider=dict(type="str", choices=["jumpcloud"], default="jumpcloud"),
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        src=dict(type="path"),
        notes=dict(type="str"),
        template=dict(type="str", default=DEFAULT_TEMPLATE),
        template_field=dict(type="str"),
        device_group=dict(type="str"),
    )).run()


if __name__ == "__main__":
    main()
