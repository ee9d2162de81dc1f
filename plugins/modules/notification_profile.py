#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: notification_profile
short_description: Generate a configuration profile that allows apps' notifications on Macs
version_added: 0.1.0
description:
  - Writes a configuration profile (C(.mobileconfig)) with one C(com.apple.notificationsettings) payload that sets
    the notification settings of each app in O(apps). The default is the JumpCloud agent's tray app
    (C(com.jumpcloud.jcagent-tray)), which shows the password-sync notifications.
  - With the default options the payload holds the settings JumpCloud publishes for its tray app. Alerts are
    temporary banners, and notifications, badges, sounds, the lock screen and Notification Center are on.
  - Push the profile with your MDM, for example with M(macfleet.credsync.mdm_profile).
  - The settings are enforced. The user cannot change them in System Settings while the profile is installed.
extends_documentation_fragment:
  - macfleet.credsync.profile
author:
  - macfleet.credsync contributors (@macfleet)
options:
  identifier:
    description:
      - The profile's C(PayloadIdentifier), reverse-DNS. Use your organisation's domain. The payload's
        identifier is this one followed by C(.com.apple.notificationsettings).
      - The MDM replaces an installed profile with the same identifier; keep it stable.
    type: str
    default: com.macfleet.credsync.notifications
  display_name:
    description: The profile's name, shown in System Settings (C(PayloadDisplayName)).
    type: str
    default: JumpCloud Agent Notifications
  description:
    description: The profile's description (C(PayloadDescription)).
    type: str
    default: Allows the JumpCloud agent to show its password-sync notifications.
  apps:
    description:
      - The apps whose notifications the profile sets, each with its own settings. Each bundle id at most once.
    type: list
    elements: dict
    default: [{bundle_id: com.jumpcloud.jcagent-tray}]
    suboptions:
      bundle_id:
        description: The app's bundle id (reverse-DNS, for example C(com.jumpcloud.jcagent-tray)).
        type: str
        required: true
      notifications_enabled:
        description: Allow the app's notifications (C(NotificationsEnabled)).
        type: bool
        default: true
      alert_type:
        description:
          - How a notification appears (C(AlertType)). V(none) shows nothing on screen. V(banner) is a temporary
            banner that goes away by itself. V(alert) is a persistent alert that stays until the user acts.
          - V(alert) is the surest way to have a password-sync message seen (see the notes on Focus).
        type: str
        choices: [none, banner, alert]
        default: banner
      show_in_lock_screen:
        description: Show the app's notifications on the lock screen (C(ShowInLockScreen)).
        type: bool
        default: true
      show_in_notification_center:
        description: Keep the app's notifications in Notification Center (C(ShowInNotificationCenter)).
        type: bool
        default: true
      badges_enabled:
        description: Allow badges on the app's icon (C(BadgesEnabled)).
        type: bool
        default: true
      sounds_enabled:
        description: Allow the app's notification sounds (C(SoundsEnabled)).
        type: bool
        default: true
      critical_alert_enabled:
        description:
          - Allow critical alerts (C(CriticalAlertEnabled)), which break through Do Not Disturb and Focus.
          - This only permits them. The app must send critical alerts, and only apps Apple granted the critical
            alerts entitlement can.
        type: bool
        default: false
      show_in_carplay:
        description:
          - Not supported on macOS (Apple's schema marks C(ShowInCarPlay) unavailable there). Setting it is an
            error, so a setting copied from an iOS profile is refused rather than silently written.
        type: bool
      grouping_type:
        description:
          - Not supported on macOS (C(GroupingType) is iOS only). Setting it is an error.
        type: int
      preview_type:
        description:
          - Not supported on macOS (C(PreviewType) is iOS only, although JumpCloud's own notification policy
            template offers it). Setting it is an error.
        type: int
attributes:
  check_mode:
    description: Builds and checks the profile and reports whether the file would change; writes nothing.
    support: full
  diff_mode:
    description: Shows the profile's plist text before and after (a signed file shows its embedded plist).
    support: full
notes:
  - B(Focus and Do Not Disturb.) No MDM key adds an app to a Focus's "Allowed Apps"; that list is a per-user
    setting that only the user can change. This profile enforces that the app may notify, with the alert
    style, sounds, badges, lock screen and Notification Center settings given. It does not make notifications
    break through an active Focus.
  - A notification gets through a Focus only when the user allowed the app in that Focus, when the app sends it
    as Time Sensitive (macOS 12 and later) and the user has not turned Time Sensitive off for it, or when the app
    sends a critical alert with Apple's entitlement and O(apps[].critical_alert_enabled=true).
  - For password-sync messages use O(apps[].alert_type=alert) so a missed message stays on screen, and ask users
    to add the JumpCloud app to the Allowed Apps of the Focus modes they use (as JumpCloud's own guide does).
seealso:
  - module: macfleet.credsync.endpoint_security_profile
  - module: macfleet.credsync.mdm_profile
  - name: Notifications payload (Apple)
    description: Apple's reference of com.apple.notificationsettings.
    link: https://developer.apple.com/documentation/devicemanagement/notifications
"""

EXAMPLES = r"""
- name: Generate the JumpCloud tray app's notification profile (JumpCloud's published settings)
  macfleet.credsync.notification_profile:
    path: /srv/profiles/jumpcloud-notifications.mobileconfig
  delegate_to: localhost

- name: Persistent alerts for the agent, banners for the self-service app, signed
  macfleet.credsync.notification_profile:
    path: /srv/profiles/notifications.mobileconfig
    identifier: com.example.notifications
    organization: Example Corp
    apps:
      - bundle_id: com.jumpcloud.jcagent-tray
        alert_type: alert
        critical_alert_enabled: true
      - bundle_id: com.example.selfservice
        sounds_enabled: false
    signing_certificate: /srv/pki/profile-signing.pem
    signing_key: /srv/pki/profile-signing.key
    signing_key_passphrase: "{{ vault_profile_signing_passphrase }}"
  delegate_to: localhost
"""

RETURN = r"""
path:
  description: Where the profile is (or, in check mode, would be) written.
  returned: success
  type: str
  sample: /srv/profiles/jumpcloud-notifications.mobileconfig
identifier:
  description: The profile's C(PayloadIdentifier).
  returned: success
  type: str
  sample: com.macfleet.credsync.notifications
uuid:
  description: The profile's C(PayloadUUID), derived from its identifier.
  returned: success
  type: str
  sample: DA1BACD3-238D-5F80-A5B5-8F9F1639B9E6
payloads:
  description: Each payload's type, identifier, UUID and whether only an MDM can install it.
  returned: success
  type: list
  elements: dict
  sample: [{type: com.apple.notificationsettings, identifier: com.macfleet.credsync.notifications.com.apple.notificationsettings,
            uuid: D68FB3CD-1744-5380-84C6-F662E4AEACCE, mdm_only: false}]
signed:
  description: Whether the profile is written signed.
  returned: success
  type: bool
  sample: false
sha256:
  description: SHA-256 of the profile's plist (before signing), the same for the same options.
  returned: success
  type: str
  sample: a4aad4a41c427941bafb3201a895233ef80a736986375257afb766da06d86591
minimum_macos:
  description: The oldest macOS that knows every payload and key in the profile.
  returned: success
  type: str
  sample: "10.15"
problems:
  description: Every reason the profile was refused (nothing was written).
  returned: failure, when an option or the profile breaks a rule (see the notes)
  type: list
  elements: str
  sample: ["PayloadContent[0] (com.apple.notificationsettings).NotificationSettings[0].PreviewType is not supported on macOS
            (Apple's schema marks it unavailable there); remove it"]
"""

from ansible_collections.macfleet.credsync.plugins.module_utils._profiles.module import ProfileModule
from ansible_collections.macfleet.credsync.plugins.module_utils._profiles.payloads import TRAY_BUNDLE_ID, notification_profile

_APP = dict(
    bundle_id=dict(type="str", required=True),
    notifications_enabled=dict(type="bool", default=True),
    alert_type=dict(type="str", choices=["none", "banner", "alert"], default="banner"),
    show_in_lock_screen=dict(type="bool", default=True),
    show_in_notification_center=dict(type="bool", default=True),
    badges_enabled=dict(type="bool", default=True),
    sounds_enabled=dict(type="bool", default=True),
    critical_alert_enabled=dict(type="bool", default=False),
    show_in_carplay=dict(type="bool"),
    grouping_type=dict(type="int"),
    preview_type=dict(type="int"),
)


def main():
    ProfileModule(
        dict(apps=dict(type="list", elements="dict", options=_APP, default=[dict(bundle_id=TRAY_BUNDLE_ID)])),
        notification_profile,
        defaults=dict(identifier="com.macfleet.credsync.notifications", display_name="JumpCloud Agent Notifications",
                      description="Allows the JumpCloud agent to show its password-sync notifications."),
    ).run()


if __name__ == "__main__":
    main()
