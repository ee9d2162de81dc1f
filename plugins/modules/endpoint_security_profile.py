#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: endpoint_security_profile
short_description: Generate the profile that approves the directory agent's Endpoint Security extension
version_added: 0.1.0
description:
  - Writes one configuration profile (C(.mobileconfig)) that lets the directory agent run without prompting
    anybody. It has up to three parts, and each can be switched off.
  - O(system_extension) adds C(com.apple.system-extension-policy). It approves the agent's Endpoint Security
    system extension (O(extension_bundle_id) of team O(team_id)) for the extension types in O(extension_types).
  - O(privacy) adds C(com.apple.TCC.configuration-profile-policy) (PPPC). It grants Full Disk Access
    (C(SystemPolicyAllFiles)) to the extension and, at O(agent_path), the services in O(agent_services) to
    the agent. Each grant carries the code's designated requirement, so only code signed by the team gets it.
  - O(login_items) adds C(com.apple.servicemanagement). It manages the team's login items and background items,
    so users cannot switch the agent's daemons off (macOS 13 and later).
  - The defaults are JumpCloud's agent (team C(N985MXSH85)). With them the agent's grants are the ones in the
    PPPC profile JumpCloud publishes for it (Accessibility, AppleEvents to Finder, SystemUIServer and System
    Events, PostEvent, SystemPolicyAllFiles), and the extension also gets Full Disk Access.
  - These payloads install only from a user-approved MDM (or an automated enrollment), on the device channel.
    A double-clicked profile is refused by macOS. Push it with your MDM, for example with
    M(macfleet.credsync.mdm_profile).
extends_documentation_fragment:
  - macfleet.credsync.profile
author:
  - macfleet.credsync contributors (@macfleet)
options:
  identifier:
    description:
      - The profile's C(PayloadIdentifier), reverse-DNS. Use your organisation's domain. Each payload's
        identifier is this one followed by C(.) and the payload type.
      - The MDM replaces an installed profile with the same identifier; keep it stable.
    type: str
    default: com.macfleet.credsync.endpoint-security
  display_name:
    description: The profile's name, shown in System Settings (C(PayloadDisplayName)).
    type: str
    default: JumpCloud Agent Endpoint Security
  description:
    description: The profile's description (C(PayloadDescription)).
    type: str
    default: Approves the JumpCloud agent's Endpoint Security extension and grants it Full Disk Access.
  team_id:
    description: The Apple team id that signs the agent and its extension (10 upper-case letters or digits).
    type: str
    default: N985MXSH85
  extension_bundle_id:
    description:
      - The bundle id of the agent's Endpoint Security system extension.
      - The default is the one observed on Macs running JumpCloud's agent; JumpCloud does not publish it.
    type: str
    default: com.jumpcloud.jcagent-tray.EndpointSecurity
  system_extension:
    description: Include the system extension policy (C(com.apple.system-extension-policy)).
    type: bool
    default: true
  extension_types:
    description: The extension types the team may install (C(AllowedSystemExtensionTypes)).
    type: list
    elements: str
    choices: [EndpointSecurityExtension, NetworkExtension, DriverExtension]
    default: [EndpointSecurityExtension]
  allow_user_overrides:
    description:
      - C(AllowUserOverrides). V(false) stops users from approving system extensions that no profile allows.
        It affects every extension on the Mac, not only the agent's.
      - Not written when not set (macOS then lets users approve other extensions).
    type: bool
  privacy:
    description: Include the privacy preferences policy (C(com.apple.TCC.configuration-profile-policy)).
    type: bool
    default: true
  extension_full_disk_access:
    description: Grant the extension Full Disk Access (C(SystemPolicyAllFiles)), which Endpoint Security clients need.
    type: bool
    default: true
  extension_code_requirement:
    description:
      - The extension's designated requirement (C(codesign --display -r - EXTENSION), without C(designated =>)).
      - Default, the Developer ID requirement for O(extension_bundle_id) signed by O(team_id).
    type: str
  agent_path:
    description:
      - The agent's binary, granted O(agent_services) by path. An empty string grants the agent nothing.
    type: str
    default: /opt/jc/bin/jumpcloud-agent
  agent_code_requirement:
    description:
      - The agent's designated requirement. Default, the Developer ID requirement for the binary's name
        (C(jumpcloud-agent)) signed by O(team_id), which is the one JumpCloud publishes.
    type: str
  agent_services:
    description:
      - The privacy services granted to the agent. These are the ones JumpCloud's published profile grants.
      - Granting Accessibility through a profile is deprecated by Apple from macOS 26.2; the module warns about it.
    type: list
    elements: str
    choices: [SystemPolicyAllFiles, Accessibility, AppleEvents, PostEvent]
    default: [SystemPolicyAllFiles, Accessibility, AppleEvents, PostEvent]
  apple_events_receivers:
    description:
      - With C(AppleEvents) in O(agent_services), the Apple apps (bundle ids) the agent may send Apple events to.
        Each is identified by its Apple-signed designated requirement.
    type: list
    elements: str
    default: [com.apple.finder, com.apple.systemuiserver, com.apple.systemevents]
  login_items:
    description: Include the managed login items (C(com.apple.servicemanagement), macOS 13 and later).
    type: bool
    default: true
  login_item_rules:
    description:
      - The login item rules. When not set, one rule manages every login item of O(team_id).
    type: list
    elements: dict
    suboptions:
      rule_type:
        description: How a login item is matched.
        type: str
        required: true
        choices: [BundleIdentifier, BundleIdentifierPrefix, Label, LabelPrefix, TeamIdentifier]
      rule_value:
        description: The value compared, for example C(com.jumpcloud.darwin-agent) for a C(Label).
        type: str
        required: true
      comment:
        description: A note kept with the rule.
        type: str
      team_id:
        description: Also require this team id after the match (C(TeamIdentifier)).
        type: str
attributes:
  check_mode:
    description: Builds and checks the profile and reports whether the file would change; writes nothing.
    support: full
  diff_mode:
    description: Shows the profile's plist text before and after (a signed file shows its embedded plist).
    support: full
notes:
  - Removing this profile from a Mac deactivates the extension it allowed (macOS 11.3 and later). That is why
    O(removal_disallowed) defaults to V(true).
  - The O(extension_bundle_id) default is observed, not published. Check it on a Mac with
    C(systemextensionsctl list) and set it if it differs.
seealso:
  - module: macfleet.credsync.notification_profile
  - module: macfleet.credsync.mdm_profile
  - name: Privacy Preferences Policy Control payload (Apple)
    description: Apple's reference of com.apple.TCC.configuration-profile-policy.
    link: https://developer.apple.com/documentation/devicemanagement/privacypreferencespolicycontrol
"""

EXAMPLES = r"""
- name: Generate the JumpCloud agent's Endpoint Security profile (defaults)
  macfleet.credsync.endpoint_security_profile:
    path: /srv/profiles/jumpcloud-endpoint-security.mobileconfig
  delegate_to: localhost

- name: Only the extension approval and its Full Disk Access, no grants to the agent, signed
  macfleet.credsync.endpoint_security_profile:
    path: /srv/profiles/es-only.mobileconfig
    identifier: com.example.jumpcloud.es
    agent_path: ""
    login_items: false
    signing_certificate: /srv/pki/profile-signing.pem
    signing_key: /srv/pki/profile-signing.key
  delegate_to: localhost

- name: Manage the agent's launchd jobs by label instead of the whole team
  macfleet.credsync.endpoint_security_profile:
    path: /srv/profiles/jumpcloud-endpoint-security.mobileconfig
    login_item_rules:
      - {rule_type: Label, rule_value: com.jumpcloud.darwin-agent, team_id: N985MXSH85}
      - {rule_type: Label, rule_value: com.jumpcloud.user-agent, team_id: N985MXSH85}
  delegate_to: localhost
"""

RETURN = r"""
path:
  description: Where the profile is (or, in check mode, would be) written.
  returned: success
  type: str
  sample: /srv/profiles/jumpcloud-endpoint-security.mobileconfig
identifier:
  description: The profile's C(PayloadIdentifier).
  returned: success
  type: str
  sample: com.macfleet.credsync.endpoint-security
uuid:
  description: The profile's C(PayloadUUID), derived from its identifier.
  returned: success
  type: str
  sample: 50A5850C-6424-58C7-90B4-6027E9ECF8D5
payloads:
  description: Each payload's type, identifier, UUID and whether only an MDM can install it.
  returned: success
  type: list
  elements: dict
  sample: [{type: com.apple.system-extension-policy, mdm_only: true, uuid: 27153FF7-813F-5228-83BA-77B06C3E3CE6,
            identifier: com.macfleet.credsync.endpoint-security.com.apple.system-extension-policy}]
signed:
  description: Whether the profile is written signed.
  returned: success
  type: bool
  sample: false
sha256:
  description: SHA-256 of the profile's plist (before signing), the same for the same options.
  returned: success
  type: str
  sample: bc301c1d0c63071e7f83172b7c4caf79aae938da6d4537b4dec1dfcf93feb6f8
minimum_macos:
  description: The oldest macOS that knows every payload and key in the profile (13.0 with managed login items).
  returned: success
  type: str
  sample: "13.0"
problems:
  description: Every reason the profile was refused (nothing was written).
  returned: failure, when an option or the profile breaks a rule (see the notes)
  type: list
  elements: str
  sample: ["PayloadContent[0] (com.apple.system-extension-policy).AllowedSystemExtensions.N985MXSH8 is an invalid key:
            'N985MXSH8' is not an Apple team id (10 upper-case letters or digits, e.g. N985MXSH85)"]
"""

from ansible_collections.macfleet.credsync.plugins.module_utils._profiles import payloads
from ansible_collections.macfleet.credsync.plugins.module_utils._profiles.module import ProfileModule

_RULE = dict(
    rule_type=dict(type="str", required=True, choices=["BundleIdentifier", "BundleIdentifierPrefix", "Label",
                                                       "LabelPrefix", "TeamIdentifier"]),
    rule_value=dict(type="str", required=True),
    comment=dict(type="str"),
    team_id=dict(type="str"),
)


def main():
    ProfileModule(
        dict(
            team_id=dict(type="str", default=payloads.TEAM_ID),
            extension_bundle_id=dict(type="str", default=payloads.EXTENSION_BUNDLE_ID),
            system_extension=dict(type="bool", default=True),
            extension_types=dict(type="list", elements="str", default=["EndpointSecurityExtension"],
                                 choices=["EndpointSecurityExtension", "NetworkExtension", "DriverExtension"]),
            allow_user_overrides=dict(type="bool"),
            privacy=dict(type="bool", default=True),
            extension_full_disk_access=dict(type="bool", default=True),
            extension_code_requirement=dict(type="str"),
            agent_path=dict(type="str", default=payloads.AGENT_PATH),
            agent_code_requirement=dict(type="str"),
            agent_services=dict(type="list", elements="str", default=list(payloads.AGENT_SERVICES),
                                choices=list(payloads.AGENT_SERVICES)),
            apple_events_receivers=dict(type="list", elements="str", default=list(payloads.APPLE_EVENTS_RECEIVERS)),
            login_items=dict(type="bool", default=True),
            login_item_rules=dict(type="list", elements="dict", options=_RULE),
        ),
        payloads.endpoint_security_profile,
        defaults=dict(identifier="com.macfleet.credsync.endpoint-security", display_name="JumpCloud Agent Endpoint Security",
                      description="Approves the JumpCloud agent's Endpoint Security extension and grants it Full Disk Access."),
    ).run()


if __name__ == "__main__":
    main()
