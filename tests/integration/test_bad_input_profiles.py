"""The bad-input suite for the profile modules (issue 10, point 11): notification_profile,
endpoint_security_profile and mdm_profile given malformed options through ansible-playbook.

Each case is a pseudo-host of its own in one ansible-playbook run per module (a batch). What a case wrote is
measured, not assumed: for the profile generators, every file under the case's own directory (where its
profile goes, some holding a previous profile) is compared before and after the run; for mdm_profile, each case
talks to an organisation of its own in one multi-tenant JumpCloud stand-in, and its writes are the answered
POST/PUT/DELETE calls made with its x-org-id, plus any change to that organisation's policies or bindings.
Each case records its verdict (badinput_lib) and asserts it: "refused" for bad input, "ok" for good.
"""

import copy
import hashlib
import os
import re
import sys
import types

import pytest

from badinput_lib import OK, REFUSED, Case, record, verdict
from jcsim import JumpCloudSim
from profiles_testlib import make_pki

NOTIFICATIONS = "macfleet.credsync.notification_profile"
ENDPOINT = "macfleet.credsync.endpoint_security_profile"
MDM = "macfleet.credsync.mdm_profile"
PASSPHRASE = "Profile-Signing-Pass-9"
WRONG_PASSPHRASE = "Not-The-Passphrase-4"

# Tokens in a case's options, replaced per case: @DIR@ its own directory (where its profile goes), @PKI.x@ a
# file of the throw-away PKI (cert, key, chain; ecert and ekey: another pair, the key encrypted with PASSPHRASE;
# other: a third signer's key), @FILE.x@ a prepared file (see _prepare_files).
OUT = "@DIR@/profile.mobileconfig"

GENERATOR_CASES = {NOTIFICATIONS: [
    # control characters in every free-text option that ends up in the profile
    Case("n-display-name-nul", {"display_name": "Agent\x00Notifications"}, mentions=["display_name", "control"]),
    Case("n-display-name-escape", {"display_name": "\x1b[31mAgent"}, mentions=["display_name", "control"]),
    Case("n-display-name-newline", {"display_name": "Agent\nNotifications"}, mentions=["display_name", "line"]),
    Case("n-display-name-del", {"display_name": "Agent\x7f"}, mentions=["display_name", "control"]),
    Case("n-description-bell", {"description": "Allows\x07 the agent"}, mentions=["description", "control"]),
    Case("n-description-carriage-return", {"description": "one\r\ntwo"}, mentions=["description", "carriage return"]),
    Case("n-organization-form-feed", {"organization": "Example\x0cCorp"}, mentions=["organization", "control"]),
    Case("n-organization-c1", {"organization": "Example\x85Corp"}, mentions=["organization", "control"]),
    Case("n-identifier-nul", {"identifier": "com.example\x00.notifications"}, mentions=["identifier", "control"]),
    Case("n-bundle-id-trailing-newline", {"apps": [{"bundle_id": "com.jumpcloud.jcagent-tray\n"}]},
         mentions=["apps[0].bundle_id"]),
    # wrong types
    Case("n-display-name-dict", {"display_name": {"en": "Agent"}}, mentions=["display_name", "string"]),
    Case("n-organization-list", {"organization": ["Example", "Corp"]}, mentions=["organization", "string"]),
    Case("n-description-bool", {"description": True}, mentions=["description", "string"]),
    Case("n-bundle-id-dict", {"apps": [{"bundle_id": {"id": "com.x.y"}}]}, mentions=["bundle_id", "string"]),
    Case("n-apps-string", {"apps": "com.jumpcloud.jcagent-tray"}, mentions=["apps"]),
    # empty and absurd
    Case("n-identifier-empty", {"identifier": ""}, mentions=["identifier", "empty"]),
    Case("n-display-name-empty", {"display_name": ""}, mentions=["display_name", "empty"]),
    Case("n-display-name-blank", {"display_name": "   "}, mentions=["display_name", "blank"]),
    Case("n-apps-empty", {"apps": []}, mentions=["apps", "empty"]),
    Case("n-display-name-long", {"display_name": "A" * 10000}, mentions=["display_name", "at most"]),
    Case("n-description-long", {"description": "x" * 100000}, mentions=["description", "at most"]),
    Case("n-identifier-long", {"identifier": "com.example." + "a" * 300}, mentions=["identifier", "at most"]),
    # the output path
    Case("n-path-no-directory", {"path": "@DIR@/nowhere/profile.mobileconfig"}, mentions=["does not exist"]),
    Case("n-path-parent-is-a-file", {"path": "@DIR@/profile.mobileconfig/p.mobileconfig"},
         mentions=["is not a directory"]),
    Case("n-path-is-a-directory", {"path": "@DIR@"}, mentions=["path", "not a regular file"]),
    Case("n-path-is-a-device", {"path": "/dev/null"}, mentions=["path", "not a regular file"]),
    Case("n-path-nul", {"path": "@DIR@/pro\x00file.mobileconfig"}, mentions=["path", "control"]),
    Case("n-path-empty", {"path": ""}, mentions=["path", "empty"]),
    Case("n-path-dict", {"path": {"dir": "/tmp"}}, mentions=["path", "string"]),
    # signing
    Case("n-certificate-missing", {"signing_certificate": "@DIR@/missing.pem", "signing_key": "@PKI.key@"},
         mentions=["signing_certificate", "does not exist"]),
    Case("n-certificate-garbage", {"signing_certificate": "@FILE.garbage@", "signing_key": "@PKI.key@"},
         mentions=["signing_certificate", "no readable"]),
    Case("n-certificate-is-a-key", {"signing_certificate": "@PKI.key@", "signing_key": "@PKI.key@"},
         mentions=["signing_certificate"]),
    Case("n-key-of-another-certificate", {"signing_certificate": "@PKI.cert@", "signing_key": "@PKI.other@"},
         mentions=["signing_key", "does not belong", "signing_certificate"]),
    Case("n-key-is-a-directory", {"signing_certificate": "@PKI.cert@", "signing_key": "@DIR@"},
         mentions=["signing_key", "cannot read"]),
    Case("n-key-is-a-device", {"signing_certificate": "@PKI.cert@", "signing_key": "/dev/zero"},
         mentions=["signing_key", "not a regular file"]),
    Case("n-key-damaged-pem", {"signing_certificate": "@PKI.cert@", "signing_key": "@FILE.damaged_key@"},
         mentions=["signing_key", "damaged"]),
    Case("n-key-is-a-certificate", {"signing_certificate": "@PKI.cert@", "signing_key": "@PKI.cert@"},
         mentions=["signing_key", "not a PEM private key"]),
    Case("n-key-encrypted-no-passphrase", {"signing_certificate": "@PKI.ecert@", "signing_key": "@PKI.ekey@"},
         mentions=["signing_key", "signing_key_passphrase"]),
    Case("n-key-wrong-passphrase", {"signing_certificate": "@PKI.ecert@", "signing_key": "@PKI.ekey@",
                                    "signing_key_passphrase": WRONG_PASSPHRASE},
         mentions=["signing_key_passphrase"], secrets=[WRONG_PASSPHRASE]),
    Case("n-key-passphrase-dict", {"signing_certificate": "@PKI.ecert@", "signing_key": "@PKI.ekey@",
                                   "signing_key_passphrase": {"pass": PASSPHRASE}},
         mentions=["signing_key_passphrase", "string"], secrets=[PASSPHRASE]),
    Case("n-chain-garbage", {"signing_certificate": "@PKI.cert@", "signing_key": "@PKI.key@",
                             "signing_chain": "@FILE.garbage@"}, mentions=["signing_chain"]),
    Case("n-key-without-certificate", {"signing_key": "@PKI.key@"}, mentions=["signing_certificate"]),
    # good inputs beside them
    Case("n-good-defaults", {}, bad=False),
    Case("n-good-unicode-name", {"display_name": u"Agent \u2013 Benachrichtigungen \u00e9t\u00e9 \u901a\u77e5",
                                 "organization": u"Caf\u00e9 & Co <Ltd>"}, bad=False),
    Case("n-good-multiline-description", {"description": "First line.\n\tSecond line."}, bad=False),
    Case("n-good-empty-description", {"description": "", "organization": ""}, bad=False),
    Case("n-good-signed", {"signing_certificate": "@PKI.ecert@", "signing_key": "@PKI.ekey@",
                           "signing_key_passphrase": PASSPHRASE},
         bad=False, secrets=[PASSPHRASE]),
], ENDPOINT: [
    Case("e-agent-path-newline", {"agent_path": "/opt/jc/bin/jumpcloud-agent\n"}, mentions=["agent_path", "line"]),
    Case("e-agent-code-requirement-nul", {"agent_code_requirement": 'identifier "jumpcloud-agent"\x00 and anchor apple'},
         mentions=["agent_code_requirement", "control"]),
    Case("e-extension-requirement-list", {"extension_code_requirement": ["anchor apple"]},
         mentions=["extension_code_requirement", "string"]),
    Case("e-team-id-dict", {"team_id": {"id": "N985MXSH85"}}, mentions=["team_id", "string"]),
    Case("e-team-id-trailing-newline", {"team_id": "N985MXSH85\n"}, mentions=["team_id"]),
    Case("e-receiver-newline", {"apple_events_receivers": ["com.apple.finder\n"]},
         mentions=["apple_events_receivers[0]"]),
    Case("e-receiver-dict", {"apple_events_receivers": [{"id": "com.apple.finder"}]},
         mentions=["apple_events_receivers[0]", "string"]),
    Case("e-rule-comment-escape", {"login_item_rules": [{"rule_type": "TeamIdentifier", "rule_value": "N985MXSH85",
                                                         "comment": "JumpCloud\x1b"}]},
         mentions=["login_item_rules[0].comment", "control"]),
    Case("e-rule-value-empty", {"login_item_rules": [{"rule_type": "Label", "rule_value": ""}]},
         mentions=["login_item_rules[0].rule_value", "empty"]),
    Case("e-login-item-rules-empty", {"login_item_rules": []}, mentions=["login_item_rules", "empty"]),
    Case("e-extension-types-empty", {"extension_types": []}, mentions=["extension_types", "empty"]),
    Case("e-extension-bundle-id-empty", {"extension_bundle_id": ""}, mentions=["extension_bundle_id", "empty"]),
    Case("e-display-name-tab", {"display_name": "JumpCloud\tAgent"}, mentions=["display_name", "line"]),
    Case("e-organization-long", {"organization": "O" * 5000}, mentions=["organization", "at most"]),
    Case("e-agent-path-long", {"agent_path": "/" + "a" * 2000}, mentions=["agent_path", "at most"]),
    Case("e-good-defaults", {}, bad=False),
    Case("e-good-no-agent", {"agent_path": "", "organization": u"\u00c9cole Example"}, bad=False),
]}

MDM_CASES = [
    Case("m-name-newline", {"name": "Agent\nnotifications"}, mentions=["name", "line"]),
    Case("m-name-nul", {"name": "Agent\x00notifications"}, mentions=["name", "control"]),
    Case("m-name-empty", {"name": ""}, mentions=["name", "empty"]),
    Case("m-name-dict", {"name": {"en": "Agent"}}, mentions=["name", "string"]),
    Case("m-name-long", {"name": "N" * 1000}, mentions=["name", "at most"]),
    Case("m-name-trailing-space", {"name": "Agent notifications "}, mentions=["name", "white space"]),
    Case("m-notes-escape", {"notes": "generated\x1b[0m"}, mentions=["notes", "control"]),
    Case("m-notes-list", {"notes": ["a", "b"]}, mentions=["notes", "string"]),
    Case("m-template-empty", {"template": ""}, mentions=["template", "empty"]),
    Case("m-template-unknown", {"template": "no_such_template"}, mentions=["template", "no_such_template"]),
    Case("m-template-needs-another-field", {"template": "two_required"}, mentions=["template", "requires"]),
    Case("m-template-field-unknown", {"template_field": "nope"}, mentions=["config field", "nope"]),
    Case("m-device-group-unknown", {"device_group": "Nobody's Macs"}, mentions=["device group", "Nobody's Macs"]),
    Case("m-device-group-unknown-id", {"device_group": "0123456789abcdef01234567"}, mentions=["device group"]),
    Case("m-device-group-empty", {"device_group": ""}, mentions=["device_group", "empty"]),
    Case("m-device-group-newline", {"device_group": "Engineering Macs\n"}, mentions=["device_group", "line"]),
    Case("m-src-missing", {"src": "@DIR@/missing.mobileconfig"}, mentions=["src", "does not exist"]),
    Case("m-src-directory", {"src": "@DIR@"}, mentions=["src", "cannot read"]),
    Case("m-src-device", {"src": "/dev/zero"}, mentions=["src", "not a regular file"]),
    Case("m-src-not-a-profile", {"src": "@FILE.garbage@"}, mentions=["src", "not a configuration profile"]),
    Case("m-src-nul", {"src": "@DIR@/x\x00.mobileconfig"}, mentions=["src", "control"]),
    Case("m-good-create-and-bind", {"device_group": "Engineering Macs", "notes": "line one\nline two"}, bad=False),
    Case("m-good-unicode-name", {"name": u"Agent \u2013 notifications \u00e9t\u00e9"}, bad=False),
    Case("m-good-absent", {"state": "absent", "src": None}, bad=False),
]


def _substitute(value, tokens):
    if isinstance(value, str):
        return re.sub(r"@[A-Za-z_.]+@", lambda found: tokens.get(found.group(), found.group()), value)
    if isinstance(value, list):
        return [_substitute(item, tokens) for item in value]
    if isinstance(value, dict):
        return dict((key, _substitute(item, tokens)) for key, item in value.items())
    return value


def _snapshot(directory):
    """Every file under `directory`: relative path -> (sha256, mode)."""
    found = {}
    for root, dirs, names in os.walk(directory):
        for name in dirs + names:
            path = os.path.join(root, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as handle:
                    found[os.path.relpath(path, directory)] = (hashlib.sha256(handle.read()).hexdigest(),
                                                               os.stat(path).st_mode)
            else:
                found[os.path.relpath(path, directory)] = ("dir" if os.path.isdir(path) else "other", None)
    return found


def _as_reported(result):
    """The task's result without the placeholder ansible-core 2.19+ puts in `exception` of every failed task
    ("(traceback unavailable)", tracebacks not being shown): badinput_lib.verdict would count it as a traceback.
    A real one still shows (MODULE FAILURE, module_stderr, or the traceback text itself)."""
    if result.get("exception") == "(traceback unavailable)":
        result = dict(result)
        del result["exception"]
    return result


def _host_output(output, name, names):
    """The lines of ansible-playbook's output about host `name`, and those about no host in particular."""
    others = set(names) - {name}
    return "\n".join(line for line in output.splitlines()
                     if not any("[%s]" % other in line for other in others))


def _prepare_files(work):
    pki = make_pki(str(work), name="signer")
    encrypted = make_pki(str(work), name="esigner", passphrase=PASSPHRASE)
    other = make_pki(str(work), name="other")
    (work / "garbage.txt").write_text("not a certificate, a key or a profile\n")
    lines = open(pki.key).read().splitlines()
    (work / "damaged.key").write_text("\n".join(lines[:3] + lines[-1:]) + "\n")
    return {"@PKI.cert@": pki.cert, "@PKI.key@": pki.key, "@PKI.chain@": pki.chain, "@PKI.other@": other.key,
            "@PKI.ekey@": encrypted.key, "@PKI.ecert@": encrypted.cert, "@FILE.garbage@": str(work / "garbage.txt"),
            "@FILE.damaged_key@": str(work / "damaged.key")}


@pytest.fixture(scope="module")
def generator_results(ansible_module, tmp_path_factory):
    """{case name: (result, output, wrote)} for every generator case, one run per module."""
    work = tmp_path_factory.mktemp("badinput-profiles")
    files = _prepare_files(work)
    found = {}
    for module, cases in GENERATOR_CASES.items():
        hosts, args, before = [], {}, {}
        for index, case in enumerate(cases):
            name = "case%02d" % index
            directory = work / module.rsplit(".", maxsplit=1)[-1] / name
            directory.mkdir(parents=True)
            if index % 2:  # half of them hold a profile already: it must survive a refusal
                (directory / "profile.mobileconfig").write_bytes(b"previous")
            tokens = dict(files, **{"@DIR@": str(directory)})
            options = dict({"path": OUT}, **copy.deepcopy(case.args))
            args[name] = _substitute(options, tokens)
            hosts.append(types.SimpleNamespace(name=name, python=sys.executable, root=str(directory)))
            before[name] = _snapshot(str(directory))
        run = ansible_module(hosts, module, args)
        names = [host.name for host in hosts]
        for case, host in zip(cases, hosts):
            wrote = _snapshot(host.root) != before[host.name]
            found[case.name] = (_as_reported(run[host.name]), _host_output(run.output, host.name, names), wrote)
    return found


def _policy_state(sim, org):
    return [(policy["id"], policy["name"], policy["notes"], sorted((v["configFieldID"], v["value"]) for v in policy["values"]),
             sim.app.policies.bound_groups(policy["id"], org)) for policy in sim.app.policies.policies(org)]


@pytest.fixture(scope="module")
def mdm_results(ansible_module, tmp_path_factory):
    """{case name: (result, output, wrote)}: each case with an organisation of its own in one multi-tenant stand-in."""
    work = tmp_path_factory.mktemp("badinput-mdm")
    files = _prepare_files(work)
    from credsync_testlib import COLLECTION_ROOT  # pylint: disable=import-outside-toplevel
    src = os.path.join(COLLECTION_ROOT, "profiles", "jumpcloud-notifications.mobileconfig")
    found = {}
    with JumpCloudSim(multi_tenant=True) as sim:
        sim.app.policies.add_template("two_required", [
            {"name": "payload", "displayType": "file", "label": "Profile", "required": True, "readOnly": False,
             "sensitive": False, "position": 1},
            {"name": "scope", "displayType": "text", "label": "Scope", "required": True, "readOnly": False,
             "sensitive": False, "position": 2}])
        hosts, args, orgs, before = [], {}, {}, {}
        for index, case in enumerate(MDM_CASES):
            name = "mdm%02d" % index
            directory = work / name
            directory.mkdir()
            org = sim.add_org(name="org %s" % name)
            sim.app.policies.add_group("Engineering Macs", org_id=org)
            options = dict({"base_url": sim.url, "api_key": sim.api_key, "org_id": org, "timeout": 10,
                            "name": "Agent notifications", "src": src}, **copy.deepcopy(case.args))
            options = dict((key, value) for key, value in options.items() if value is not None)
            args[name] = _substitute(options, dict(files, **{"@DIR@": str(directory)}))
            hosts.append(types.SimpleNamespace(name=name, python=sys.executable, root=str(directory)))
            orgs[name] = org
            before[name] = _policy_state(sim, org)
        run = ansible_module(hosts, MDM, args)
        assert sim.internal_errors == []
        calls = sim.calls()
        names = [host.name for host in hosts]
        for case, host in zip(MDM_CASES, hosts):
            writes = [call for call in calls if call["org_id"] == orgs[host.name] and call["method"] != "GET"
                      and call["status"] is not None and call["status"] < 300]
            wrote = bool(writes) or _policy_state(sim, orgs[host.name]) != before[host.name]
            output = _host_output(run.output, host.name, names)
            found[case.name] = (_as_reported(run[host.name]), output, wrote)
        found["__secret__"] = sim.api_key
    return found


@pytest.mark.parametrize("case", [case for cases in GENERATOR_CASES.values() for case in cases], ids=lambda case: case.name)
def test_profile_generator_bad_input(request, generator_results, case):
    result, output, wrote = generator_results[case.name]
    found = verdict(case, result, output, wrote)
    record(request, "bad input", verdict=found, bad=case.bad)
    assert found == (REFUSED if case.bad else OK), (found, result.get("msg"), wrote)


@pytest.mark.parametrize("case", MDM_CASES, ids=lambda case: case.name)
def test_mdm_profile_bad_input(request, mdm_results, case):
    result, output, wrote = mdm_results[case.name]
    case = Case(case.name, case.args, case.bad, case.mentions, list(case.secrets) + [mdm_results["__secret__"]])
    found = verdict(case, result, output, wrote)
    record(request, "bad input", verdict=found, bad=case.bad)
    assert found == (REFUSED if case.bad else OK), (found, result.get("msg"), wrote)
    if not case.bad and case.args.get("state") != "absent":
        assert wrote and result["changed"] is True
