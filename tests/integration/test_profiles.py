"""notification_profile, endpoint_security_profile and mdm_profile through ansible-playbook, on a controller
pseudo-host. Every outcome is read back independently: the files with plistlib (here and on Python 3.9)
and an XML parser, signatures with openssl and a throw-away CA, uploads from the JumpCloud stand-in's state.
JumpCloud's published payloads are written out below as values, not read from anywhere.
"""

import base64
import json
import os
import plistlib
import sys
import types
from xml.etree import ElementTree

import pytest

from credsync_testlib import COLLECTION_ROOT, run_on_python39
from jcsim import JumpCloudSim
from profiles_testlib import make_pki, openssl_verify

NOTIFICATIONS = "macfleet.credsync.notification_profile"
ENDPOINT = "macfleet.credsync.endpoint_security_profile"
MDM = "macfleet.credsync.mdm_profile"
TCC = "com.apple.TCC.configuration-profile-policy"
EXTENSIONS = "com.apple.system-extension-policy"
LOGIN_ITEMS = "com.apple.servicemanagement"

# --- what JumpCloud publishes (its tray app's notification profile and its agent's PPPC profile) -------------
JUMPCLOUD_NOTIFICATION_SETTINGS = [{
    "AlertType": 1, "BadgesEnabled": True, "BundleIdentifier": "com.jumpcloud.jcagent-tray",
    "CriticalAlertEnabled": False, "NotificationsEnabled": True, "ShowInLockScreen": True,
    "ShowInNotificationCenter": True, "SoundsEnabled": True}]
JUMPCLOUD_AGENT_REQUIREMENT = (
    'identifier "jumpcloud-agent" and anchor apple generic and certificate 1[field.1.2.840.113635.100.6.2.6] /* exists */'
    ' and certificate leaf[field.1.2.840.113635.100.6.1.13] /* exists */ and certificate leaf[subject.OU] = N985MXSH85')


def _jumpcloud_agent_grant(receiver=None):
    grant = {"Authorization": "Allow", "CodeRequirement": JUMPCLOUD_AGENT_REQUIREMENT, "Comment": "",
             "Identifier": "/opt/jc/bin/jumpcloud-agent", "IdentifierType": "path"}
    if receiver:
        grant.update(AEReceiverCodeRequirement='identifier "%s" and anchor apple' % receiver,
                     AEReceiverIdentifier=receiver, AEReceiverIdentifierType="bundleID")
    return grant


JUMPCLOUD_PPPC_SERVICES = {
    "Accessibility": [_jumpcloud_agent_grant()],
    "AppleEvents": [_jumpcloud_agent_grant(receiver) for receiver in
                    ("com.apple.finder", "com.apple.systemuiserver", "com.apple.systemevents")],
    "PostEvent": [_jumpcloud_agent_grant()],
    "SystemPolicyAllFiles": [_jumpcloud_agent_grant()],
}
JUMPCLOUD_PPPC_TOP = {"PayloadRemovalDisallowed": True, "PayloadScope": "System", "PayloadType": "Configuration",
                      "PayloadVersion": 1}
EXTENSION_GRANT = {
    "Authorization": "Allow", "Comment": "", "Identifier": "com.jumpcloud.jcagent-tray.EndpointSecurity",
    "IdentifierType": "bundleID",
    "CodeRequirement": JUMPCLOUD_AGENT_REQUIREMENT.replace('"jumpcloud-agent"', '"com.jumpcloud.jcagent-tray.EndpointSecurity"')}


@pytest.fixture
def controller(tmp_path):
    return types.SimpleNamespace(name="controller", python=sys.executable, root=str(tmp_path))


@pytest.fixture
def out(tmp_path):
    """Where the profiles go (a directory of their own: nothing else may appear in it)."""
    path = tmp_path / "out"
    path.mkdir()
    return path


@pytest.fixture
def generate(ansible, controller, out):
    """generate(module, file name or None, check=, diff=, verbosity=, **options) -> the task's result (+ "run")."""
    def _generate(module, name="profile.mobileconfig", check=False, diff=False, verbosity=0, **options):
        if name is not None:
            options.setdefault("path", str(out / name))
        run = ansible([controller], module, options, check=check, diff=diff, verbosity=verbosity)
        result = dict(run["controller"], run=run)
        assert "Traceback" not in run.output, run.output
        return result
    return _generate


def load(path):
    with open(path, "rb") as handle:
        return plistlib.load(handle)


def by_type(profile):
    return {payload["PayloadType"]: payload for payload in profile["PayloadContent"]}


def run_cases(runner, directory, module, cases, previous=None):
    """One ansible-playbook run, each case's options on a pseudo-host of its own (each writing to a file in a
    directory of its own, holding `previous` first when given): [(result, path)] in the order of `cases`."""
    hosts, args = [], {}
    for index, options in enumerate(cases):
        root = directory / ("case%02d" % index)
        root.mkdir()
        path = root / "profile.mobileconfig"
        if previous is not None:
            path.write_bytes(previous)
        hosts.append(types.SimpleNamespace(name="case%02d" % index, python=sys.executable, root=str(root)))
        args[hosts[-1].name] = dict(options, path=str(path))
    run = runner(hosts, module, args)
    assert "Traceback" not in run.output, run.output
    return [(run[host.name], args[host.name]["path"]) for host in hosts]


# --- defaults: JumpCloud's published payloads, the shipped files ---------------------------------------------

@pytest.fixture(scope="module")
def defaults(ansible_module, tmp_path_factory):
    """{module: (result, path)} of each profile module run with nothing but a path."""
    return {module: run_cases(ansible_module, tmp_path_factory.mktemp("defaults"), module, [{}])[0]
            for module in (NOTIFICATIONS, ENDPOINT)}


def test_default_notifications_are_jumpcloud_s(defaults):
    result, path = defaults[NOTIFICATIONS]
    assert result["changed"] and not result.get("failed"), result
    profile = load(path)
    (payload,) = profile["PayloadContent"]
    assert payload["PayloadType"] == "com.apple.notificationsettings" and payload["PayloadVersion"] == 1
    (ours,), (theirs,) = payload["NotificationSettings"], JUMPCLOUD_NOTIFICATION_SETTINGS
    for key in sorted(set(ours) | set(theirs)):
        assert ours.get(key) == theirs.get(key), key
    assert profile["PayloadScope"] == "System" and profile["PayloadType"] == "Configuration"
    # Deliberate difference: ours is non-removable by default (JumpCloud's sample leaves the key out).
    assert profile["PayloadRemovalDisallowed"] is True
    assert result["minimum_macos"] == "10.15" and result["signed"] is False


def test_default_agent_grants_are_jumpcloud_s(defaults):
    result, path = defaults[ENDPOINT]
    profile = load(path)
    services = by_type(profile)[TCC]["Services"]
    assert sorted(services) == sorted(JUMPCLOUD_PPPC_SERVICES)
    for service, published in JUMPCLOUD_PPPC_SERVICES.items():
        agent = [grant for grant in services[service] if grant["Identifier"] == "/opt/jc/bin/jumpcloud-agent"]
        assert len(agent) == len(published), service
        for ours, theirs in zip(agent, published):
            for key in sorted(set(ours) | set(theirs)):
                assert ours.get(key) == theirs.get(key), (service, key)
    # The one addition: Full Disk Access for the Endpoint Security extension.
    assert services["SystemPolicyAllFiles"][1:] == [EXTENSION_GRANT]
    assert {key: profile[key] for key in JUMPCLOUD_PPPC_TOP} == JUMPCLOUD_PPPC_TOP
    assert by_type(profile)[TCC]["PayloadVersion"] == 1
    assert by_type(profile)[EXTENSIONS]["AllowedSystemExtensions"] == {"N985MXSH85": ["com.jumpcloud.jcagent-tray.EndpointSecurity"]}
    assert by_type(profile)[EXTENSIONS]["AllowedSystemExtensionTypes"] == {"N985MXSH85": ["EndpointSecurityExtension"]}
    assert by_type(profile)[LOGIN_ITEMS]["Rules"] == [{"RuleType": "TeamIdentifier", "RuleValue": "N985MXSH85"}]
    assert result["minimum_macos"] == "13.0"
    assert [payload["mdm_only"] for payload in result["payloads"]] == [True, True, True]
    assert any("deprecates granting Accessibility" in warning for warning in result["warnings"])


@pytest.mark.parametrize("module, shipped", [(NOTIFICATIONS, "jumpcloud-notifications.mobileconfig"),
                                             (ENDPOINT, "jumpcloud-endpoint-security.mobileconfig")])
def test_shipped_profiles_are_what_the_defaults_generate(defaults, module, shipped):
    with open(os.path.join(COLLECTION_ROOT, "profiles", shipped), "rb") as handle:
        assert handle.read() == open(defaults[module][1], "rb").read()


# --- determinism, check and diff mode -----------------------------------------------------------------------

@pytest.mark.parametrize("module", [NOTIFICATIONS, ENDPOINT])
def test_two_runs_give_the_same_bytes_and_the_second_changes_nothing(generate, module, out):
    first = generate(module)
    data = open(first["path"], "rb").read()
    second = generate(module)
    assert first["changed"] is True and second["changed"] is False
    assert open(second["path"], "rb").read() == data and second["sha256"] == first["sha256"]
    elsewhere = generate(module, name="again.mobileconfig")
    assert open(elsewhere["path"], "rb").read() == data
    assert os.stat(first["path"]).st_mode & 0o7777 == 0o644
    assert sorted(os.listdir(str(out))) == ["again.mobileconfig", "profile.mobileconfig"]


def test_a_wrong_mode_is_fixed(generate):
    result = generate(NOTIFICATIONS)
    os.chmod(result["path"], 0o600)
    again = generate(NOTIFICATIONS)
    assert again["changed"] is True and os.stat(result["path"]).st_mode & 0o7777 == 0o644


def test_check_and_diff_mode(generate, out):
    path = str(out / "profile.mobileconfig")
    checked = generate(NOTIFICATIONS, check=True, diff=True)
    assert checked["changed"] is True and not os.path.exists(path)
    assert checked["diff"]["before"] == "" and "<string>com.jumpcloud.jcagent-tray</string>" in checked["diff"]["after"]
    assert "com.jumpcloud.jcagent-tray" in checked["run"].output  # the diff is shown
    generate(NOTIFICATIONS)
    written = open(path, "rb").read()
    assert checked["diff"]["after"] == written.decode()
    changed = generate(NOTIFICATIONS, check=True, diff=True, apps=[{"bundle_id": "com.jumpcloud.jcagent-tray",
                                                                    "alert_type": "alert"}])
    assert changed["changed"] is True and open(path, "rb").read() == written
    before, after = changed["diff"]["before"].splitlines(), changed["diff"]["after"].splitlines()
    assert [(old, new) for old, new in zip(before, after) if old != new] == [("\t\t\t\t\t<integer>1</integer>",
                                                                              "\t\t\t\t\t<integer>2</integer>")]
    same = generate(NOTIFICATIONS, check=True, diff=True)
    assert same["changed"] is False and same["diff"]["before"] == same["diff"]["after"]


# --- each option ----------------------------------------------------------------------------------------------

def test_each_notification_option(generate):
    apps = [{"bundle_id": "com.example.one", "notifications_enabled": False, "alert_type": "alert",
             "show_in_lock_screen": False, "show_in_notification_center": False, "badges_enabled": False,
             "sounds_enabled": False, "critical_alert_enabled": True},
            {"bundle_id": "com.example.two", "alert_type": "none"}]
    result = generate(NOTIFICATIONS, apps=apps, identifier="com.example.notify", display_name="Shown name",
                      description="Why", organization="Example Corp", scope="User", removal_disallowed=False)
    profile = load(result["path"])
    assert {key: profile[key] for key in ("PayloadIdentifier", "PayloadDisplayName", "PayloadDescription",
                                          "PayloadOrganization", "PayloadScope", "PayloadRemovalDisallowed")} == {
        "PayloadIdentifier": "com.example.notify", "PayloadDisplayName": "Shown name", "PayloadDescription": "Why",
        "PayloadOrganization": "Example Corp", "PayloadScope": "User", "PayloadRemovalDisallowed": False}
    one, two = profile["PayloadContent"][0]["NotificationSettings"]
    assert one == {"BundleIdentifier": "com.example.one", "NotificationsEnabled": False, "AlertType": 2,
                   "ShowInLockScreen": False, "ShowInNotificationCenter": False, "BadgesEnabled": False,
                   "SoundsEnabled": False, "CriticalAlertEnabled": True}
    assert two == dict(JUMPCLOUD_NOTIFICATION_SETTINGS[0], BundleIdentifier="com.example.two", AlertType=0)
    assert result["identifier"] == "com.example.notify"
    assert result["payloads"][0]["identifier"] == "com.example.notify.com.apple.notificationsettings"


def test_each_endpoint_security_option(generate):
    rules = [{"rule_type": "Label", "rule_value": "com.example.daemon", "comment": "the daemon", "team_id": "ABCDE12345"}]
    result = generate(ENDPOINT, team_id="ABCDE12345", extension_bundle_id="com.example.agent.es",
                      extension_types=["EndpointSecurityExtension", "NetworkExtension"], allow_user_overrides=False,
                      extension_code_requirement='identifier "com.example.agent.es" and anchor apple generic',
                      agent_path="/usr/local/bin/example-agent", agent_code_requirement='identifier "example-agent" and anchor apple generic',
                      agent_services=["PostEvent", "AppleEvents"], apple_events_receivers=["com.apple.finder"],
                      login_item_rules=rules, identifier="com.example.es", organization="Example Corp")
    payloads = by_type(load(result["path"]))
    assert payloads[EXTENSIONS]["AllowedSystemExtensions"] == {"ABCDE12345": ["com.example.agent.es"]}
    assert payloads[EXTENSIONS]["AllowedSystemExtensionTypes"] == {"ABCDE12345": ["EndpointSecurityExtension", "NetworkExtension"]}
    assert payloads[EXTENSIONS]["AllowUserOverrides"] is False
    services = payloads[TCC]["Services"]
    assert sorted(services) == ["AppleEvents", "PostEvent", "SystemPolicyAllFiles"]
    assert services["SystemPolicyAllFiles"] == [{"Authorization": "Allow", "Comment": "", "Identifier": "com.example.agent.es",
                                                 "IdentifierType": "bundleID",
                                                 "CodeRequirement": 'identifier "com.example.agent.es" and anchor apple generic'}]
    (events,) = services["AppleEvents"]
    assert events["Identifier"] == "/usr/local/bin/example-agent" and events["AEReceiverIdentifier"] == "com.apple.finder"
    assert events["CodeRequirement"] == 'identifier "example-agent" and anchor apple generic'
    assert payloads[LOGIN_ITEMS]["Rules"] == [{"RuleType": "Label", "RuleValue": "com.example.daemon", "Comment": "the daemon",
                                               "TeamIdentifier": "ABCDE12345"}]


PARTS = [
    ({"system_extension": False}, [TCC, LOGIN_ITEMS]),
    ({"privacy": False}, [EXTENSIONS, LOGIN_ITEMS]),
    ({"login_items": False}, [EXTENSIONS, TCC]),
    ({"agent_path": "", "login_items": False, "system_extension": False}, [TCC]),
    ({"extension_full_disk_access": False, "agent_services": ["SystemPolicyAllFiles"]}, [EXTENSIONS, TCC, LOGIN_ITEMS]),
]


@pytest.fixture(scope="module")
def parts(ansible_module, tmp_path_factory):
    return run_cases(ansible_module, tmp_path_factory.mktemp("parts"), ENDPOINT, [options for options, _present in PARTS])


@pytest.mark.parametrize("case", range(len(PARTS)))
def test_endpoint_security_parts_switch_off(parts, case):
    (options, present), (result, path) = PARTS[case], parts[case]
    profile = load(path)
    assert [payload["PayloadType"] for payload in profile["PayloadContent"]] == present, result
    if TCC in present:
        grants = [grant["Identifier"] for grants in by_type(profile)[TCC]["Services"].values() for grant in grants]
        assert ("com.jumpcloud.jcagent-tray.EndpointSecurity" in grants) == options.get("extension_full_disk_access", True)
        assert ("/opt/jc/bin/jumpcloud-agent" in grants) == (options.get("agent_path") != "")
    if "login_items" in options:
        assert result["minimum_macos"] == "11.0"


# --- validation errors: a clear message and nothing written ---------------------------------------------------

REFUSALS = [
    (NOTIFICATIONS, {"apps": [{"bundle_id": "JumpCloud tray"}]}, "'JumpCloud tray' is not a bundle id"),
    (NOTIFICATIONS, {"apps": [{"bundle_id": "com.x.y", "alert_type": "loud"}]}, "alert_type must be one of: none, banner, alert"),
    (NOTIFICATIONS, {"apps": [{"bundle_id": "com.x.y", "preview_type": 0}]}, "PreviewType is not supported on macOS"),
    (NOTIFICATIONS, {"apps": [{"bundle_id": "com.x.y", "show_in_carplay": True}]}, "ShowInCarPlay is not supported on macOS"),
    (NOTIFICATIONS, {"apps": [{"bundle_id": "com.x.y"}, {"bundle_id": "com.x.y"}]}, "com.x.y is listed more than once"),
    (NOTIFICATIONS, {"identifier": " "}, "identifier must not be blank"),
    (NOTIFICATIONS, {"signing_certificate": "/nonexistent.pem"}, "parameters are required together"),
    (ENDPOINT, {"team_id": "n985mxsh85"}, "'n985mxsh85' is not an Apple team id"),
    (ENDPOINT, {"extension_bundle_id": "EndpointSecurity"}, "'EndpointSecurity' is not a bundle id"),
    (ENDPOINT, {"agent_code_requirement": 'identifier "jumpcloud-agent" and'}, "is not a code requirement: it ends too early"),
    (ENDPOINT, {"extension_code_requirement": 'designated => identifier "x.y"'}, "without the 'designated' => prefix"),
    (ENDPOINT, {"apple_events_receivers": ["Finder"]}, "AEReceiverIdentifier: 'Finder' is not a bundle id"),
    (ENDPOINT, {"agent_path": "jumpcloud-agent"}, "'jumpcloud-agent' is not an absolute path"),
    (ENDPOINT, {"login_item_rules": [{"rule_type": "TeamIdentifier", "rule_value": "JumpCloud"}]}, "RuleValue: 'JumpCloud' is not an Apple team id"),
    (ENDPOINT, {"scope": "User"}, "only installs on the device channel"),
    (ENDPOINT, {"system_extension": False, "privacy": False, "login_items": False}, "no payload"),
    (ENDPOINT, {"agent_path": "", "extension_full_disk_access": False}, "privacy is on but grants nothing"),
    (ENDPOINT, {"extension_types": ["KernelExtension"]}, "extension_types must be one or more of"),
]


@pytest.fixture(scope="module")
def refusals(ansible_module, tmp_path_factory):
    """Each refused case as a pseudo-host of its own, one run per module; every file held b"previous"."""
    found = {}
    for module in (NOTIFICATIONS, ENDPOINT):
        indexes = [index for index, case in enumerate(REFUSALS) if case[0] == module]
        results = run_cases(ansible_module, tmp_path_factory.mktemp("refused"), module,
                            [REFUSALS[index][1] for index in indexes], previous=b"previous")
        found.update(zip(indexes, results))
    return found


@pytest.mark.parametrize("case", range(len(REFUSALS)))
def test_validation_errors_write_nothing(refusals, case):
    (result, path), message = refusals[case], REFUSALS[case][2]
    assert result["failed"] and message in result["msg"], result["msg"]
    with open(path, "rb") as handle:
        assert handle.read() == b"previous"
    assert os.listdir(os.path.dirname(path)) == [os.path.basename(path)]


def test_a_missing_directory_is_an_error(generate, out):
    result = generate(NOTIFICATIONS, path=str(out / "nowhere" / "p.mobileconfig"), name=None)
    assert result["failed"] and "does not exist" in result["msg"]


# --- independent parsers ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("module", [NOTIFICATIONS, ENDPOINT])
def test_round_trip_through_python39_and_an_xml_parser(defaults, module):
    path = defaults[module][1]
    proc = run_on_python39("import json, plistlib\nprint(json.dumps(plistlib.load(open(%r, 'rb'))))" % path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == load(path)
    root = ElementTree.parse(path).getroot()
    assert root.tag == "plist" and root.get("version") == "1.0" and root[0].tag == "dict"
    assert open(path, "rb").read().startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist')


# --- signing -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key_type", ["rsa", "ec"])
def test_signed_profiles_verify_with_openssl_and_stay_unchanged(generate, tmp_path, key_type):
    pki = make_pki(str(tmp_path), key_type=key_type, passphrase="Signing-Pass-7")
    signing = dict(signing_certificate=pki.cert, signing_key=pki.key, signing_key_passphrase="Signing-Pass-7",
                   signing_chain=pki.chain)
    plain = generate(ENDPOINT, name="plain.mobileconfig")
    signed = generate(ENDPOINT, name="signed.mobileconfig", verbosity=3, **signing)
    assert signed["changed"] and signed["signed"] is True and signed["sha256"] == plain["sha256"]
    assert "Signing-Pass-7" not in signed["run"].output and "Signing-Pass-7" not in json.dumps(signed, default=str)
    verified = str(tmp_path / "verified.plist")
    proc = openssl_verify(signed["path"], pki.ca, verified)
    assert proc.returncode == 0, proc.stderr
    assert open(verified, "rb").read() == open(plain["path"], "rb").read()
    data = open(signed["path"], "rb").read()
    again = generate(ENDPOINT, name="signed.mobileconfig", diff=True, **signing)
    assert again["changed"] is False and open(signed["path"], "rb").read() == data
    assert again["diff"]["before_header"].endswith("(signed)") and again["diff"]["before"] == again["diff"]["after"]
    unsigned = generate(ENDPOINT, name="signed.mobileconfig")
    assert unsigned["changed"] is True and open(signed["path"], "rb").read() == open(plain["path"], "rb").read()


def test_another_signer_re_signs(generate, tmp_path):
    first = make_pki(str(tmp_path), name="first")
    second = make_pki(str(tmp_path), name="second")
    generate(NOTIFICATIONS, signing_certificate=first.cert, signing_key=first.key, signing_chain=first.chain)
    result = generate(NOTIFICATIONS, signing_certificate=second.cert, signing_key=second.key, signing_chain=second.chain)
    assert result["changed"] is True
    assert openssl_verify(result["path"], second.ca, str(tmp_path / "verified")).returncode == 0
    assert openssl_verify(result["path"], first.ca, str(tmp_path / "verified")).returncode != 0


def test_a_key_of_another_certificate_is_refused(generate, tmp_path, out):
    first = make_pki(str(tmp_path), name="first")
    second = make_pki(str(tmp_path), name="second")
    result = generate(NOTIFICATIONS, signing_certificate=first.cert, signing_key=second.key)
    assert result["failed"] and "does not belong to signing_certificate" in result["msg"]
    assert os.listdir(str(out)) == []


# --- mdm_profile against the JumpCloud stand-in ---------------------------------------------------------------------

@pytest.fixture
def jumpcloud():
    with JumpCloudSim() as sim:
        yield sim
        assert sim.internal_errors == []


@pytest.fixture
def upload(ansible, controller, jumpcloud):
    def _upload(check=False, diff=False, **options):
        options = dict({"base_url": jumpcloud.url, "api_key": jumpcloud.api_key, "timeout": 10}, **options)
        run = ansible([controller], MDM, options, check=check, diff=diff, verbosity=3)
        assert jumpcloud.api_key not in run.output, "the API key leaked"
        return dict(run["controller"], run=run)
    return _upload


def _policy(sim, name):
    (policy,) = [policy for policy in sim.app.policies.policies() if policy["name"] == name]
    values = {field["name"]: value["value"] for value in policy["values"] for field in policy["configFields"]
              if field["id"] == value["configFieldID"]}
    return policy, values


def test_upload_is_idempotent_and_updates_on_change(generate, upload, jumpcloud):
    first_profile = generate(NOTIFICATIONS, name="n.mobileconfig")["path"]
    created = upload(name="Agent notifications", src=first_profile, notes="generated")
    assert created["changed"] and created["action"] == "created" and created["template_field"] == "payload"
    policy, values = _policy(jumpcloud, "Agent notifications")
    assert base64.b64decode(values["payload"]) == open(first_profile, "rb").read()
    assert policy["notes"] == "generated" and created["policy_id"] == policy["id"]
    assert policy["template"]["name"] == "custom_mdm_profile_darwin"
    writes = len(jumpcloud.app.policies.writes)

    again = upload(name="Agent notifications", src=first_profile, notes="generated")
    assert again["changed"] is False and again["action"] == "unchanged"
    assert len(jumpcloud.app.policies.writes) == writes

    # A value set in the console (re-apply on OS updates) survives an update of the profile.
    redispatch = [field["id"] for field in policy["configFields"] if field["name"] == "redispatchPolicy"][0]
    jumpcloud.app.policies.of(jumpcloud.directory.primary).policies[policy["id"]]["values"].append(
        {"configFieldID": redispatch, "value": "true"})
    changed_profile = generate(NOTIFICATIONS, name="n.mobileconfig", apps=[{"bundle_id": "com.jumpcloud.jcagent-tray",
                                                                            "alert_type": "alert"}])["path"]
    checked = upload(name="Agent notifications", src=changed_profile, check=True, diff=True)
    assert checked["changed"] and checked["action"] == "updated" and len(jumpcloud.app.policies.writes) == writes
    before, after = checked["diff"][0]["before"], checked["diff"][0]["after"]
    assert "<integer>1</integer>" in before and "<integer>2</integer>" in after
    updated = upload(name="Agent notifications", src=changed_profile)
    assert updated["changed"] and updated["action"] == "updated" and updated["policy_id"] == policy["id"]
    _policy_now, values = _policy(jumpcloud, "Agent notifications")
    assert base64.b64decode(values["payload"]) == open(changed_profile, "rb").read()
    assert values["redispatchPolicy"] == "true"
    assert [write["operation"] for write in jumpcloud.app.policies.writes[writes:]] == ["update"]


def test_group_binding(generate, upload, jumpcloud):
    src = generate(ENDPOINT, name="es.mobileconfig")["path"]
    group = jumpcloud.app.policies.add_group("Engineering Macs")
    checked = upload(name="Agent ES", src=src, device_group="Engineering Macs", check=True, diff=True)
    assert checked["changed"] and checked["bound"] is True and checked["policy_id"] is None
    assert jumpcloud.app.policies.policies() == []
    assert "bound to device group Engineering Macs" in checked["diff"][-1]["after"]
    bound = upload(name="Agent ES", src=src, device_group="Engineering Macs")
    assert bound["changed"] and bound["bound"] is True and bound["device_group_id"] == group
    assert jumpcloud.app.policies.bound_groups(bound["policy_id"]) == [group]
    again = upload(name="Agent ES", src=src, device_group=group)  # by id this time
    assert again["changed"] is False and again["bound"] is False and again["action"] == "unchanged"
    other = jumpcloud.app.policies.add_group("Sales Macs")
    more = upload(name="Agent ES", src=src, device_group="Sales Macs")
    assert more["changed"] and jumpcloud.app.policies.bound_groups(bound["policy_id"]) == [group, other]
    missing = upload(name="Agent ES", src=src, device_group="Nobody's Macs")
    assert missing["failed"] and "no JumpCloud device group has the id or name" in missing["msg"]


def test_absent_deletes(generate, upload, jumpcloud):
    src = generate(NOTIFICATIONS, name="n.mobileconfig")["path"]
    upload(name="Short-lived", src=src)
    checked = upload(name="Short-lived", state="absent", check=True)
    assert checked["changed"] and checked["action"] == "deleted" and len(jumpcloud.app.policies.policies()) == 1
    gone = upload(name="Short-lived", state="absent")
    assert gone["changed"] and jumpcloud.app.policies.policies() == []
    again = upload(name="Short-lived", state="absent")
    assert again["changed"] is False and again["action"] == "absent"


def test_signed_profiles_upload_as_they_are(generate, upload, jumpcloud, tmp_path):
    pki = make_pki(str(tmp_path))
    src = generate(NOTIFICATIONS, name="signed.mobileconfig", signing_certificate=pki.cert, signing_key=pki.key)["path"]
    result = upload(name="Signed", src=src, diff=True)
    assert result["changed"] and "com.jumpcloud.jcagent-tray" in result["diff"][0]["after"]
    assert base64.b64decode(_policy(jumpcloud, "Signed")[1]["payload"]) == open(src, "rb").read()


def test_template_override(generate, upload, jumpcloud):
    jumpcloud.app.policies.add_template("our_profiles", [{
        "name": "profile", "displayType": "file", "label": "Profile", "required": True, "readOnly": False,
        "sensitive": False, "position": 1}, {"name": "note", "displayType": "text", "label": "Note", "required": False,
                                             "readOnly": False, "sensitive": False, "position": 2}])
    src = generate(NOTIFICATIONS, name="n.mobileconfig")["path"]
    result = upload(name="Ours", src=src, template="our_profiles", template_field="profile")
    assert result["changed"] and result["template_field"] == "profile"
    assert _policy(jumpcloud, "Ours")[0]["template"]["name"] == "our_profiles"
    clash = upload(name="Ours", src=src)
    assert clash["failed"] and "exists with template our_profiles, not custom_mdm_profile_darwin" in clash["msg"]


UPLOAD_REFUSALS = [
    ({"template": "no_such_template"}, "no JumpCloud policy template is named 'no_such_template'"),
    ({"template": "app_notifications_darwin"}, "has 0 config fields of type file"),
    ({"template_field": "redispatch"}, "has no config field named 'redispatch'"),
    ({"src": "NOT-A-PROFILE"}, "is not a configuration profile"),
    ({"src": "MISSING"}, "does not exist"),
    ({"src": None}, "state is present but all of the following are missing: src"),
    ({"api_key": "b" * 40}, "HTTP 401"),
    ({"provider": "ad"}, "value of provider must be one of: jumpcloud"),
]


@pytest.fixture(scope="module")
def upload_refusals(ansible_module, tmp_path_factory):
    """Each refused upload on a pseudo-host of its own, all in one run against one stand-in: (results, sim)."""
    work = tmp_path_factory.mktemp("uploads")
    src = os.path.join(COLLECTION_ROOT, "profiles", "jumpcloud-notifications.mobileconfig")
    (work / "notes.txt").write_text("hello")
    special = {"NOT-A-PROFILE": str(work / "notes.txt"), "MISSING": str(work / "missing.mobileconfig")}
    with JumpCloudSim() as sim:
        hosts, args = [], {}
        for index, (options, _message) in enumerate(UPLOAD_REFUSALS):
            hosts.append(types.SimpleNamespace(name="upload%02d" % index, python=sys.executable, root=str(work)))
            case = dict({"base_url": sim.url, "api_key": sim.api_key, "timeout": 10, "name": "Refused", "src": src},
                        **options)
            if case["src"] is None:
                del case["src"]
            args[hosts[-1].name] = dict(case, src=special.get(case["src"], case["src"])) if "src" in case else case
        run = ansible_module(hosts, MDM, args, verbosity=3)
        assert sim.api_key not in run.output and sim.internal_errors == []
        return [run[host.name] for host in hosts], sim.app.policies.policies(), list(sim.app.policies.writes)


@pytest.mark.parametrize("case", range(len(UPLOAD_REFUSALS)))
def test_upload_errors_send_nothing(upload_refusals, case):
    results, policies, writes = upload_refusals
    result, message = results[case], UPLOAD_REFUSALS[case][1]
    assert result["failed"] and message in result["msg"], result["msg"]
    assert policies == [] and writes == []


# --- mdm_profile: every name resolved before the first write; no half-made policy (issue 10, point 6) --------------

def test_an_unknown_device_group_leaves_no_policy(generate, upload, jumpcloud):
    """Before the fix, the policy was created first and the group looked up after: the run failed and left a new
    policy, bound to nothing. Check mode predicts the failure."""
    src = generate(NOTIFICATIONS, name="n.mobileconfig")["path"]
    for check in (True, False):
        missing = upload(name="Fresh", src=src, device_group="Nobody's Macs", check=check)
        assert missing["failed"] and "no JumpCloud device group has the id or name" in missing["msg"], missing
        assert jumpcloud.app.policies.policies() == [] and jumpcloud.app.policies.writes == []


def test_a_failed_binding_deletes_the_policy_it_just_made_and_a_re_run_converges(generate, upload, jumpcloud):
    src = generate(NOTIFICATIONS, name="n.mobileconfig")["path"]
    group = jumpcloud.app.policies.add_group("Engineering Macs")
    jumpcloud.inject_fault("error", status=503, match=r"^POST /api/v2/policies/[0-9a-f]+/associations$")
    failed = upload(name="Bound", src=src, device_group="Engineering Macs", timeout=2)
    assert failed["failed"] and "was created, but binding it to device group Engineering Macs failed" in failed["msg"]
    assert "the policy was deleted again, so nothing is left" in failed["msg"] and failed["changed"] is False
    assert jumpcloud.app.policies.policies() == []
    assert [write["operation"] for write in jumpcloud.app.policies.writes] == ["create", "delete"]
    jumpcloud.clear_faults()
    again = upload(name="Bound", src=src, device_group="Engineering Macs")
    assert again["changed"] and again["action"] == "created" and again["bound"] is True
    assert jumpcloud.app.policies.bound_groups(again["policy_id"]) == [group]


def test_when_the_undo_fails_too_the_message_says_so_and_a_re_run_binds(generate, upload, jumpcloud):
    src = generate(NOTIFICATIONS, name="n.mobileconfig")["path"]
    group = jumpcloud.app.policies.add_group("Engineering Macs")
    jumpcloud.inject_fault("error", status=503, match=r"^POST /api/v2/policies/[0-9a-f]+/associations$")
    jumpcloud.inject_fault("error", status=503, match=r"^DELETE /api/v2/policies/[0-9a-f]+$")
    failed = upload(name="Bound", src=src, device_group="Engineering Macs", timeout=2)
    assert failed["failed"] and "deleting the policy again failed too" in failed["msg"] and failed["changed"] is True
    (policy,) = jumpcloud.app.policies.policies()
    assert failed["policy_id"] == policy["id"] and jumpcloud.app.policies.bound_groups(policy["id"]) == []
    jumpcloud.clear_faults()
    checked = upload(name="Bound", src=src, device_group="Engineering Macs", check=True)
    assert checked["changed"] and checked["action"] == "unchanged" and checked["bound"] is True
    again = upload(name="Bound", src=src, device_group="Engineering Macs")
    assert again["changed"] and again["action"] == "unchanged" and again["policy_id"] == policy["id"]
    assert jumpcloud.app.policies.bound_groups(policy["id"]) == [group]
    assert upload(name="Bound", src=src, device_group="Engineering Macs")["changed"] is False


@pytest.mark.parametrize("fault", ["error", "malformed", "reset"])
def test_a_create_whose_answer_is_lost_is_read_back_not_sent_twice(generate, upload, jumpcloud, fault):
    src = generate(NOTIFICATIONS, name="n.mobileconfig")["path"]
    jumpcloud.inject_fault(fault, status=500, phase="after", count=1, match=r"^POST /api/v2/policies$")
    created = upload(name="Lost answer", src=src, timeout=2)
    assert not created.get("failed") and created["action"] == "created", created
    (policy,) = jumpcloud.app.policies.policies()
    assert created["policy_id"] == policy["id"]
    assert [write["operation"] for write in jumpcloud.app.policies.writes] == ["create"]
    assert upload(name="Lost answer", src=src)["changed"] is False


def test_a_template_that_needs_another_field_is_refused_before_the_create(generate, upload, jumpcloud):
    jumpcloud.app.policies.add_template("two_required", [
        {"name": "payload", "displayType": "file", "label": "Profile", "required": True, "readOnly": False,
         "sensitive": False, "position": 1},
        {"name": "scope", "displayType": "text", "label": "Scope", "required": True, "readOnly": False,
         "sensitive": False, "position": 2}])
    src = generate(NOTIFICATIONS, name="n.mobileconfig")["path"]
    for check in (True, False):
        refused = upload(name="Two", src=src, template="two_required", check=check)
        assert refused["failed"] and "also requires config field scope" in refused["msg"]
    assert jumpcloud.app.policies.writes == []
