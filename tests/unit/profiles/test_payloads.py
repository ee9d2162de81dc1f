"""_profiles.payloads: each option of both profiles lands in the right key, identifiers and UUIDs are
derived and stable, and switching parts off or granting nothing is handled."""

import uuid

import pytest

from credsync_testlib import in_collection_tree

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)", allow_module_level=True)

from ansible_collections.macfleet.credsync.plugins.module_utils._profiles import payloads, schema  # noqa: E402
from ansible_collections.macfleet.credsync.plugins.module_utils._profiles.validators import ProfileError  # noqa: E402

APP_DEFAULTS = dict(notifications_enabled=True, alert_type="banner", show_in_lock_screen=True,
                    show_in_notification_center=True, badges_enabled=True, sounds_enabled=True,
                    critical_alert_enabled=False, show_in_carplay=None, grouping_type=None, preview_type=None)
COMMON = dict(identifier="com.example.test", display_name=None, description=None, organization=None, scope="System",
              removal_disallowed=True)
ES_DEFAULTS = dict(COMMON, team_id="N985MXSH85", extension_bundle_id="com.jumpcloud.jcagent-tray.EndpointSecurity",
                   system_extension=True, extension_types=["EndpointSecurityExtension"], allow_user_overrides=None,
                   privacy=True, extension_full_disk_access=True, extension_code_requirement=None,
                   agent_path="/opt/jc/bin/jumpcloud-agent", agent_code_requirement=None,
                   agent_services=["SystemPolicyAllFiles", "Accessibility", "AppleEvents", "PostEvent"],
                   apple_events_receivers=["com.apple.finder", "com.apple.systemuiserver", "com.apple.systemevents"],
                   login_items=True, login_item_rules=None)


def notification(**app):
    document = payloads.notification_profile(dict(COMMON, apps=[dict(APP_DEFAULTS, bundle_id="com.example.app", **app)]))
    schema.validate_profile(document)
    return document["PayloadContent"][0]["NotificationSettings"][0]


def endpoint(**options):
    document = payloads.endpoint_security_profile(dict(ES_DEFAULTS, **options))
    schema.validate_profile(document)
    return {payload["PayloadType"]: payload for payload in document["PayloadContent"]}, document


def test_uuids_are_uuid5_of_the_identifier():
    first = payloads.derived_uuid("com.example.test")
    assert first == payloads.derived_uuid("com.example.test") == first.upper()
    assert uuid.UUID(first).version == 5 and first != payloads.derived_uuid("com.example.test2")
    assert payloads.NAMESPACE == uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/macfleet/macfleet.credsync/profiles")


def test_top_level_options():
    document = payloads.notification_profile(dict(COMMON, apps=[dict(APP_DEFAULTS, bundle_id="com.example.app")],
                                                  display_name="Shown", description="Why", organization="Example",
                                                  scope="User", removal_disallowed=False))
    assert {key: document[key] for key in ("PayloadDisplayName", "PayloadDescription", "PayloadOrganization",
                                           "PayloadScope", "PayloadRemovalDisallowed")} == {
        "PayloadDisplayName": "Shown", "PayloadDescription": "Why", "PayloadOrganization": "Example",
        "PayloadScope": "User", "PayloadRemovalDisallowed": False}
    payload = document["PayloadContent"][0]
    assert payload["PayloadIdentifier"] == "com.example.test.com.apple.notificationsettings"
    assert payload["PayloadUUID"] == payloads.derived_uuid(payload["PayloadIdentifier"])
    bare = payloads.notification_profile(dict(COMMON, apps=[dict(APP_DEFAULTS, bundle_id="com.example.app")]))
    assert not {"PayloadDisplayName", "PayloadDescription", "PayloadOrganization"} & set(bare)


def test_notification_defaults_and_each_option():
    assert notification() == {"BundleIdentifier": "com.example.app", "AlertType": 1, "NotificationsEnabled": True,
                              "ShowInLockScreen": True, "ShowInNotificationCenter": True, "BadgesEnabled": True,
                              "SoundsEnabled": True, "CriticalAlertEnabled": False}
    for option, key in (("notifications_enabled", "NotificationsEnabled"), ("show_in_lock_screen", "ShowInLockScreen"),
                        ("show_in_notification_center", "ShowInNotificationCenter"), ("badges_enabled", "BadgesEnabled"),
                        ("sounds_enabled", "SoundsEnabled")):
        assert notification(**{option: False})[key] is False
    assert notification(critical_alert_enabled=True)["CriticalAlertEnabled"] is True
    assert [notification(alert_type=name)["AlertType"] for name in ("none", "banner", "alert")] == [0, 1, 2]


def test_several_apps_keep_their_order():
    apps = [dict(APP_DEFAULTS, bundle_id="com.example.b", alert_type="alert"), dict(APP_DEFAULTS, bundle_id="com.example.a")]
    settings = payloads.notification_profile(dict(COMMON, apps=apps))["PayloadContent"][0]["NotificationSettings"]
    assert [(entry["BundleIdentifier"], entry["AlertType"]) for entry in settings] == [("com.example.b", 2), ("com.example.a", 1)]


@pytest.mark.parametrize("option, key", [("show_in_carplay", "ShowInCarPlay"), ("grouping_type", "GroupingType"),
                                         ("preview_type", "PreviewType")])
def test_ios_only_options_reach_the_schema_and_are_refused(option, key):
    with pytest.raises(ProfileError, match="%s is not supported on macOS" % key):
        notification(**{option: 1 if option != "show_in_carplay" else False})


def test_endpoint_security_defaults():
    found, document = endpoint()
    assert list(found) == ["com.apple.system-extension-policy", "com.apple.TCC.configuration-profile-policy",
                           "com.apple.servicemanagement"]
    extension = found["com.apple.system-extension-policy"]
    assert extension["AllowedSystemExtensions"] == {"N985MXSH85": ["com.jumpcloud.jcagent-tray.EndpointSecurity"]}
    assert extension["AllowedSystemExtensionTypes"] == {"N985MXSH85": ["EndpointSecurityExtension"]}
    assert "AllowUserOverrides" not in extension
    full_disk = found["com.apple.TCC.configuration-profile-policy"]["Services"]["SystemPolicyAllFiles"]
    assert [entry["Identifier"] for entry in full_disk] == ["/opt/jc/bin/jumpcloud-agent",
                                                            "com.jumpcloud.jcagent-tray.EndpointSecurity"]
    assert full_disk[1] == {
        "Identifier": "com.jumpcloud.jcagent-tray.EndpointSecurity", "IdentifierType": "bundleID", "Authorization": "Allow",
        "Comment": "", "CodeRequirement": 'identifier "com.jumpcloud.jcagent-tray.EndpointSecurity" and anchor apple generic '
        'and certificate 1[field.1.2.840.113635.100.6.2.6] /* exists */ and certificate leaf[field.1.2.840.113635.100.6.1.13]'
        ' /* exists */ and certificate leaf[subject.OU] = N985MXSH85'}
    assert found["com.apple.servicemanagement"]["Rules"] == [{"RuleType": "TeamIdentifier", "RuleValue": "N985MXSH85"}]
    assert document["PayloadRemovalDisallowed"] is True and document["PayloadScope"] == "System"


@pytest.mark.parametrize("part, payload_type", [("system_extension", "com.apple.system-extension-policy"),
                                                ("privacy", "com.apple.TCC.configuration-profile-policy"),
                                                ("login_items", "com.apple.servicemanagement")])
def test_each_part_can_be_switched_off(part, payload_type):
    found, _document = endpoint(**{part: False})
    assert payload_type not in found and len(found) == 2


def test_team_and_extension_options():
    found, _document = endpoint(team_id="ABCDE12345", extension_bundle_id="com.example.es",
                                extension_types=["EndpointSecurityExtension", "NetworkExtension"], allow_user_overrides=False)
    extension = found["com.apple.system-extension-policy"]
    assert extension == dict(extension, AllowedSystemExtensions={"ABCDE12345": ["com.example.es"]}, AllowUserOverrides=False,
                             AllowedSystemExtensionTypes={"ABCDE12345": ["EndpointSecurityExtension", "NetworkExtension"]})
    services = found["com.apple.TCC.configuration-profile-policy"]["Services"]
    assert services["SystemPolicyAllFiles"][1]["CodeRequirement"].startswith('identifier "com.example.es" and')
    assert services["PostEvent"][0]["CodeRequirement"].endswith("leaf[subject.OU] = ABCDE12345")
    assert found["com.apple.servicemanagement"]["Rules"][0]["RuleValue"] == "ABCDE12345"


def test_agent_options():
    found, _document = endpoint(agent_path="/usr/local/bin/other-agent", agent_services=["AppleEvents"],
                                apple_events_receivers=["com.apple.finder"], agent_code_requirement='identifier "x.y" and anchor apple generic')
    services = found["com.apple.TCC.configuration-profile-policy"]["Services"]
    assert sorted(services) == ["AppleEvents", "SystemPolicyAllFiles"]
    (grant,) = services["AppleEvents"]
    assert grant["Identifier"] == "/usr/local/bin/other-agent" and grant["CodeRequirement"] == 'identifier "x.y" and anchor apple generic'
    assert grant["AEReceiverIdentifier"] == "com.apple.finder"
    derived, _document = endpoint(agent_path="/usr/local/bin/other-agent")
    assert derived["com.apple.TCC.configuration-profile-policy"]["Services"]["PostEvent"][0]["CodeRequirement"].startswith(
        'identifier "other-agent" and anchor apple generic')


def test_extension_grant_options():
    found, _document = endpoint(extension_code_requirement='identifier "com.jumpcloud.jcagent-tray.EndpointSecurity" and anchor apple generic')
    assert found["com.apple.TCC.configuration-profile-policy"]["Services"]["SystemPolicyAllFiles"][1]["CodeRequirement"] == (
        'identifier "com.jumpcloud.jcagent-tray.EndpointSecurity" and anchor apple generic')
    found, _document = endpoint(extension_full_disk_access=False)
    full_disk = found["com.apple.TCC.configuration-profile-policy"]["Services"]["SystemPolicyAllFiles"]
    assert [entry["Identifier"] for entry in full_disk] == ["/opt/jc/bin/jumpcloud-agent"]
    found, _document = endpoint(agent_path="")
    services = found["com.apple.TCC.configuration-profile-policy"]["Services"]
    assert list(services) == ["SystemPolicyAllFiles"] and len(services["SystemPolicyAllFiles"]) == 1


def test_login_item_rules():
    rules = [{"rule_type": "Label", "rule_value": "com.jumpcloud.darwin-agent", "comment": "daemon", "team_id": "N985MXSH85"},
             {"rule_type": "LabelPrefix", "rule_value": "com.jumpcloud.", "comment": None, "team_id": None}]
    found, _document = endpoint(login_item_rules=rules)
    assert found["com.apple.servicemanagement"]["Rules"] == [
        {"RuleType": "Label", "RuleValue": "com.jumpcloud.darwin-agent", "Comment": "daemon", "TeamIdentifier": "N985MXSH85"},
        {"RuleType": "LabelPrefix", "RuleValue": "com.jumpcloud."}]


def test_nothing_to_write_is_an_error():
    with pytest.raises(ProfileError, match="no payload"):
        endpoint(system_extension=False, privacy=False, login_items=False)
    with pytest.raises(ProfileError, match="privacy is on but grants nothing"):
        endpoint(agent_path="", extension_full_disk_access=False)
    with pytest.raises(ProfileError, match="privacy is on but grants nothing"):
        endpoint(agent_services=[], extension_full_disk_access=False)
