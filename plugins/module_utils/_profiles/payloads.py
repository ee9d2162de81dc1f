# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Payload builders and the two profiles the directory agent needs, as plain dictionaries.

Identifiers are stable and readable (the profile's identifier plus the payload type) and every
PayloadUUID is a UUIDv5 of its identifier, so the same options always give the same profile and
a re-push replaces payloads instead of adding new ones. Private to the collection; standard
library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import os
import uuid

from . import schema, validators

# uuid5(NAMESPACE_URL, "https://github.com/macfleet/macfleet.credsync/profiles"): fixed forever, since
# changing it would change every UUID the collection has ever written.
NAMESPACE = uuid.UUID("8ebab8c0-23b3-59c3-ab9c-5d675510678d")

# JumpCloud's agent, as JumpCloud publishes it (team id, tray app, agent binary and the services its
# own PPPC profile grants). The Endpoint Security extension's bundle id is observed, not published.
TEAM_ID = "N985MXSH85"
TRAY_BUNDLE_ID = "com.jumpcloud.jcagent-tray"
EXTENSION_BUNDLE_ID = "com.jumpcloud.jcagent-tray.EndpointSecurity"
AGENT_PATH = "/opt/jc/bin/jumpcloud-agent"
AGENT_SERVICES = ("SystemPolicyAllFiles", "Accessibility", "AppleEvents", "PostEvent")
APPLE_EVENTS_RECEIVERS = ("com.apple.finder", "com.apple.systemuiserver", "com.apple.systemevents")
# Apple's OIDs in a Developer ID signature: the Developer ID CA (intermediate) and the Developer ID
# Application leaf; with the team as the leaf's OU this is the designated requirement codesign prints.
_DEVELOPER_ID = ("anchor apple generic and certificate 1[field.1.2.840.113635.100.6.2.6] /* exists */ and "
                 "certificate leaf[field.1.2.840.113635.100.6.1.13] /* exists */ and certificate leaf[subject.OU] = %s")


def derived_uuid(identifier):
    return str(uuid.uuid5(NAMESPACE, identifier)).upper()


def developer_id_requirement(identifier, team_id):
    """The designated requirement of code `identifier` signed with team `team_id`'s Developer ID."""
    return 'identifier "%s" and %s' % (identifier, _DEVELOPER_ID % team_id)


def apple_requirement(bundle_id):
    """The designated requirement of an Apple-signed system app."""
    return 'identifier "%s" and anchor apple' % bundle_id


# --- payload contents -------------------------------------------------------------------------------

_NOTIFICATION_KEYS = (  # module option -> Apple key
    ("notifications_enabled", "NotificationsEnabled"), ("show_in_lock_screen", "ShowInLockScreen"),
    ("show_in_notification_center", "ShowInNotificationCenter"), ("badges_enabled", "BadgesEnabled"),
    ("sounds_enabled", "SoundsEnabled"), ("critical_alert_enabled", "CriticalAlertEnabled"),
    # Not on macOS: written only when given, so the schema check refuses them by name.
    ("show_in_carplay", "ShowInCarPlay"), ("grouping_type", "GroupingType"), ("preview_type", "PreviewType"),
)


def notification_settings(apps):
    """com.apple.notificationsettings content: one settings dictionary per app (dicts of module options)."""
    settings = []
    for app in apps:
        entry = {"BundleIdentifier": app["bundle_id"], "AlertType": validators.alert_type(app["alert_type"])}
        entry.update((apple, app[option]) for option, apple in _NOTIFICATION_KEYS if app.get(option) is not None)
        settings.append(entry)
    return {"NotificationSettings": settings}


def system_extension_policy(team_id, bundle_ids, extension_types, allow_user_overrides=None):
    """com.apple.system-extension-policy content: these extensions of one team, of these types."""
    content = {"AllowedSystemExtensions": {team_id: list(bundle_ids)},
               "AllowedSystemExtensionTypes": {team_id: list(extension_types)}}
    if allow_user_overrides is not None:
        content["AllowUserOverrides"] = allow_user_overrides
    return content


def privacy_grant(identifier, identifier_type, code_requirement, receiver=None, comment=""):
    """One TCC entry allowing `identifier`; receiver: the app an AppleEvents grant may send events to."""
    entry = {"Identifier": identifier, "IdentifierType": identifier_type, "CodeRequirement": code_requirement,
             "Authorization": "Allow", "Comment": comment}
    if receiver is not None:
        entry.update(AEReceiverIdentifier=receiver, AEReceiverIdentifierType="bundleID",
                     AEReceiverCodeRequirement=apple_requirement(receiver))
    return entry


def privacy_services(grants):
    """com.apple.TCC.configuration-profile-policy content from (service, entry) pairs, order kept."""
    services = {}
    for service, entry in grants:
        services.setdefault(service, []).append(entry)
    return {"Services": services}


def managed_login_items(rules):
    """com.apple.servicemanagement content from dicts with rule_type, rule_value, comment, team_id."""
    built = []
    for rule in rules:
        entry = {"RuleType": rule["rule_type"], "RuleValue": rule["rule_value"]}
        if rule.get("comment"):
            entry["Comment"] = rule["comment"]
        if rule.get("team_id"):
            entry["TeamIdentifier"] = rule["team_id"]
        built.append(entry)
    return {"Rules": built}


# --- whole profiles ---------------------------------------------------------------------------------

def assemble(identifier, payloads, display_name=None, description=None, organization=None, scope="System",
             removal_disallowed=True):
    """The top-level dictionary; payloads: (payload type, content, display name) in the order given."""
    if not payloads:
        raise validators.ProfileError("the profile would hold no payload: switch at least one part on")
    content = []
    for payload_type, body, name in payloads:
        payload_id = "%s.%s" % (identifier, payload_type)
        payload = dict(body, PayloadIdentifier=payload_id, PayloadUUID=derived_uuid(payload_id),
                       PayloadType=payload_type, PayloadVersion=1)
        if name:
            payload["PayloadDisplayName"] = name
        content.append(payload)
    profile = {"PayloadContent": content, "PayloadIdentifier": identifier, "PayloadUUID": derived_uuid(identifier),
               "PayloadType": "Configuration", "PayloadVersion": 1, "PayloadScope": scope,
               "PayloadRemovalDisallowed": removal_disallowed}
    for key, value in (("PayloadDisplayName", display_name), ("PayloadDescription", description),
                       ("PayloadOrganization", organization)):
        if value:
            profile[key] = value
    return profile


def _top(params, payloads):
    return assemble(params["identifier"], payloads, params.get("display_name"), params.get("description"),
                    params.get("organization"), params.get("scope") or "System", params["removal_disallowed"])


def notification_profile(params):
    """The notifications profile from notification_profile's options."""
    if not params["apps"]:
        raise validators.ProfileError("apps is empty: list at least one app (leave apps out for the JumpCloud tray app)")
    return _top(params, [(schema.NOTIFICATIONS.payload_type, notification_settings(params["apps"]), "Notifications")])


def endpoint_security_profile(params):
    """The Endpoint Security profile from endpoint_security_profile's options: extension approval,
    privacy grants (extension and agent) and managed login items, each part switchable."""
    team = params["team_id"]
    extension = params["extension_bundle_id"]
    payloads = []
    empty = [name for name, part in (("extension_types", "system_extension"), ("login_item_rules", "login_items"))
             if params[part] and params.get(name) == []]
    if empty:
        raise validators.ProfileError(["%s is empty: leave it out for the default, or switch the part off" % name
                                       for name in empty])
    if params["system_extension"]:
        payloads.append((schema.SYSTEM_EXTENSIONS.payload_type, system_extension_policy(
            team, [extension], params["extension_types"], params.get("allow_user_overrides")), "System Extensions"))
    if params["privacy"]:
        grants = []
        agent = params.get("agent_path")
        if agent:
            requirement = params.get("agent_code_requirement") or developer_id_requirement(os.path.basename(agent), team)
            for service in params["agent_services"]:
                if service == "AppleEvents":
                    grants.extend((service, privacy_grant(agent, "path", requirement, receiver))
                                  for receiver in params["apple_events_receivers"])
                else:
                    grants.append((service, privacy_grant(agent, "path", requirement)))
        if params["extension_full_disk_access"]:
            requirement = params.get("extension_code_requirement") or developer_id_requirement(extension, team)
            grants.append(("SystemPolicyAllFiles", privacy_grant(extension, "bundleID", requirement)))
        if not grants:
            raise validators.ProfileError("privacy is on but grants nothing: give agent_path with agent_services, "
                                          "or extension_full_disk_access, or set privacy to false")
        payloads.append((schema.PRIVACY.payload_type, privacy_services(grants), "Privacy Preferences"))
    if params["login_items"]:
        rules = params.get("login_item_rules") or [{"rule_type": "TeamIdentifier", "rule_value": team}]
        payloads.append((schema.LOGIN_ITEMS.payload_type, managed_login_items(rules), "Managed Login Items"))
    return _top(params, payloads)
