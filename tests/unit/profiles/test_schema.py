"""_profiles.schema: every kind of refusal (all reported at once), macOS support and warnings."""

import copy
import re

import pytest

from credsync_testlib import in_collection_tree

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)", allow_module_level=True)

from ansible_collections.macfleet.credsync.plugins.module_utils._profiles import payloads, schema  # noqa: E402
from ansible_collections.macfleet.credsync.plugins.module_utils._profiles.validators import ProfileError  # noqa: E402

GOOD_REQUIREMENT = payloads.developer_id_requirement("com.example.agent", "ABCDE12345")


def profile(*contents):
    """A profile of the given (payload type, content) pairs."""
    return payloads.assemble("com.example.test", [(kind, copy.deepcopy(body), None) for kind, body in contents])


def notifications(**settings):
    return ("com.apple.notificationsettings", {"NotificationSettings": [dict({"BundleIdentifier": "com.example.app"},
                                                                             **settings)]})


def privacy(service="SystemPolicyAllFiles", **entry):
    base = {"Identifier": "com.example.agent", "IdentifierType": "bundleID", "CodeRequirement": GOOD_REQUIREMENT,
            "Authorization": "Allow"}
    base.update(entry)
    grant = {key: value for key, value in base.items() if value is not None}
    return ("com.apple.TCC.configuration-profile-policy", {"Services": {service: [grant]}})


def extensions(**content):
    return ("com.apple.system-extension-policy", dict({"AllowedSystemExtensions": {"ABCDE12345": ["com.example.es"]}},
                                                      **content))


def login_items(*rules):
    return ("com.apple.servicemanagement", {"Rules": list(rules)})


def refused(document, *expected):
    with pytest.raises(ProfileError) as raised:
        schema.validate_profile(document)
    text = str(raised.value)
    for fragment in expected:
        assert fragment in text, text
    return raised.value.problems


def test_a_good_profile_reports_its_minimum_macos():
    assert schema.validate_profile(profile(notifications())).minimum_macos == "10.15"
    assert schema.validate_profile(profile(privacy(Authorization=None, Allowed=True))).minimum_macos == "10.14"
    assert schema.validate_profile(profile(privacy())).minimum_macos == "11.0"  # Authorization
    assert schema.validate_profile(profile(privacy("SystemPolicyAppData"))).minimum_macos == "14.0"
    rule = {"RuleType": "TeamIdentifier", "RuleValue": "ABCDE12345"}
    assert schema.validate_profile(profile(notifications(), login_items(rule))).minimum_macos == "13.0"
    assert schema.validate_profile(profile(extensions(NonRemovableSystemExtensions={
        "ABCDE12345": ["com.example.es"]}))).minimum_macos == "15.0"


@pytest.mark.parametrize("key", ["ShowInCarPlay", "GroupingType", "PreviewType"])
def test_keys_unavailable_on_macos_are_refused_by_name(key):
    refused(profile(notifications(**{key: 0 if key != "ShowInCarPlay" else True})),
            "NotificationSettings[0].%s is not supported on macOS" % key)


@pytest.mark.parametrize("settings, fragment", [
    ({"AlertType": 3}, "AlertType must be one of 0, 1, 2, not 3"),
    ({"AlertType": True}, "AlertType must be a integer, not bool"),
    ({"BadgesEnabled": "yes"}, "BadgesEnabled must be a boolean, not str"),
    ({"BundleIdentifier": "not a bundle"}, "BundleIdentifier is invalid: 'not a bundle' is not a bundle id"),
    ({"Colour": "red"}, "Colour is not a key of this dictionary in Apple's schema"),
])
def test_notification_settings_are_checked(settings, fragment):
    refused(profile(notifications(**settings)), fragment)


def test_every_problem_is_reported_at_once():
    problems = refused(profile(notifications(AlertType=9, PreviewType=1, SoundsEnabled=1)))
    assert len(problems) == 3


def test_duplicate_bundle_ids_in_one_payload():
    content = {"NotificationSettings": [{"BundleIdentifier": "com.example.app"}, {"BundleIdentifier": "com.example.app"}]}
    refused(profile(("com.apple.notificationsettings", content)), "bundle id com.example.app is listed more than once")


def test_required_keys():
    refused(profile(("com.apple.notificationsettings", {})), "NotificationSettings is required")
    refused(profile(("com.apple.notificationsettings", {"NotificationSettings": [{"AlertType": 1}]})),
            "NotificationSettings[0].BundleIdentifier is required")
    refused(profile(("com.apple.TCC.configuration-profile-policy", {})), "Services is required")
    document = profile(notifications())
    del document["PayloadVersion"]
    refused(document, "PayloadVersion is required")


@pytest.mark.parametrize("key, value, fragment", [
    ("PayloadType", "Profile", "PayloadType must be one of Configuration"),
    ("PayloadVersion", 2, "PayloadVersion must be one of 1"),
    ("PayloadUUID", "not-a-uuid", "'not-a-uuid' is not a UUID"),
    ("PayloadScope", "Device", "PayloadScope must be one of System, User"),
    ("PayloadRemovalDisallowed", "true", "PayloadRemovalDisallowed must be a boolean"),
    ("TargetDeviceType", 9, "TargetDeviceType must be one of"),
    ("PayloadIdentifier", " ", "PayloadIdentifier is invalid: must not be empty"),
    ("IsSigned", True, "IsSigned is not a key"),
])
def test_top_level_keys(key, value, fragment):
    document = profile(notifications())
    document[key] = value
    refused(document, fragment)


def test_unknown_payload_type_and_payload_version():
    document = profile(notifications())
    document["PayloadContent"].append({"PayloadType": "com.apple.wifi.managed"})
    document["PayloadContent"][0]["PayloadVersion"] = 2
    refused(document, "'com.apple.wifi.managed' is not a payload type", "PayloadContent[0] (com.apple.notificationsettings)"
            ".PayloadVersion must be one of 1")


def test_identifiers_and_uuids_are_unique():
    document = profile(notifications())
    document["PayloadContent"][0]["PayloadUUID"] = document["PayloadUUID"].lower()
    document["PayloadContent"][0]["PayloadIdentifier"] = document["PayloadIdentifier"]
    refused(document, "PayloadIdentifier must be unique within the profile", "PayloadUUID must be unique")


@pytest.mark.parametrize("kind", [privacy(), extensions(), login_items({"RuleType": "Label", "RuleValue": "x"})])
def test_device_channel_payloads_refuse_user_scope(kind):
    document = profile(kind)
    document["PayloadScope"] = "User"
    refused(document, "only installs on the device channel")
    document = profile(notifications())
    document["PayloadScope"] = "User"
    schema.validate_profile(document)


@pytest.mark.parametrize("service, entry, fragment", [
    ("SystemPolicyAllFiles", {"Allowed": True}, "give exactly one of Allowed and Authorization"),
    ("SystemPolicyAllFiles", {"Authorization": None}, "give exactly one of Allowed and Authorization"),
    ("SystemPolicyAllFiles", {"Authorization": "Maybe"}, "Authorization must be one of Allow, Deny"),
    ("AppleEvents", {}, "an AppleEvents entry needs AEReceiverIdentifier"),
    ("PostEvent", {"AEReceiverIdentifier": "com.apple.finder"}, "AEReceiverIdentifier only belong to AppleEvents"),
    ("Camera", {}, "Camera can only be denied by a profile"),
    ("ScreenCapture", {"Authorization": None, "Allowed": True}, "ScreenCapture can only be denied"),
    ("Accessibility", {"Authorization": "AllowStandardUserToSetSystemService"},
     "AllowStandardUserToSetSystemService is only valid for ListenEvent and ScreenCapture"),
    ("SystemPolicyAllFiles", {"Identifier": "agent"}, "Identifier: 'agent' is not a bundle id"),
    ("SystemPolicyAllFiles", {"IdentifierType": "path"}, "Identifier: 'com.example.agent' is not an absolute path"),
    ("SystemPolicyAllFiles", {"IdentifierType": "teamID"}, "IdentifierType must be one of bundleID, path"),
    ("SystemPolicyAllFiles", {"CodeRequirement": 'identifier "x" and'}, "CodeRequirement is invalid"),
    ("SystemPolicyAllFiles", {"CodeRequirement": None}, "CodeRequirement is required"),
    ("FullDiskAccess", {}, "Services.FullDiskAccess is not a key"),
])
def test_privacy_entries(service, entry, fragment):
    refused(profile(privacy(service, **entry)), fragment)


def test_privacy_entries_that_pass():
    receiver = {"AEReceiverIdentifier": "com.apple.finder", "AEReceiverIdentifierType": "bundleID",
                "AEReceiverCodeRequirement": payloads.apple_requirement("com.apple.finder")}
    for service, entry in (("AppleEvents", receiver), ("Camera", {"Authorization": "Deny"}),
                           ("ListenEvent", {"Authorization": "AllowStandardUserToSetSystemService"}),
                           ("SystemPolicyAllFiles", {"Identifier": "/opt/x", "IdentifierType": "path", "StaticCode": True})):
        schema.validate_profile(profile(privacy(service, **entry)))


def test_granting_accessibility_warns():
    report = schema.validate_profile(profile(privacy("Accessibility")))
    assert len(report.warnings) == 1 and "deprecates granting Accessibility" in report.warnings[0]


@pytest.mark.parametrize("content, fragment", [
    ({"AllowedSystemExtensions": {"abcde12345": ["com.example.es"]}}, "abcde12345 is an invalid key"),
    ({"AllowedSystemExtensions": {"ABCDE12345": ["es"]}}, "'es' is not a bundle id"),
    ({"AllowedSystemExtensions": {"ABCDE12345": "com.example.es"}}, "must be a array"),
    ({"AllowedSystemExtensionTypes": {"ABCDE12345": ["KernelExtension"]}}, "must be one of DriverExtension"),
    ({"AllowedTeamIdentifiers": ["ABCDE12345"]}, "team id ABCDE12345 is both in AllowedTeamIdentifiers"),
    ({"AllowedTeamIdentifiers": ["short"]}, "'short' is not an Apple team id"),
    ({"RemovableSystemExtensions": {"ABCDE12345": ["com.example.es"]},
      "NonRemovableSystemExtensions": {"ABCDE12345": ["com.example.es"]}}, "are both removable and non-removable"),
    ({"AllowUserOverrides": "no"}, "AllowUserOverrides must be a boolean"),
])
def test_system_extension_policy(content, fragment):
    refused(profile(extensions(**content)), fragment)


@pytest.mark.parametrize("rule, fragment", [
    ({"RuleType": "TeamIdentifier", "RuleValue": "jumpcloud"}, "RuleValue: 'jumpcloud' is not an Apple team id"),
    ({"RuleType": "BundleIdentifier", "RuleValue": "agent"}, "RuleValue: 'agent' is not a bundle id"),
    ({"RuleType": "Label", "RuleValue": " "}, "RuleValue: must not be empty"),
    ({"RuleType": "Path", "RuleValue": "/x"}, "RuleType must be one of BundleIdentifier"),
    ({"RuleType": "Label", "RuleValue": "x", "TeamIdentifier": "nope"}, "'nope' is not an Apple team id"),
    ({"RuleType": "Label"}, "RuleValue is required"),
])
def test_login_item_rules(rule, fragment):
    refused(profile(login_items(rule)), fragment)


def test_payload_paths_name_their_type():
    problems = refused(profile(notifications(), extensions(AllowUserOverrides=1)))
    assert re.match(r"^PayloadContent\[1\] \(com\.apple\.system-extension-policy\)\.AllowUserOverrides", problems[0])
