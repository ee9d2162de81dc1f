"""macfleet.credsync.macos_keychain_restore through ansible-playbook, on simulated Macs (macsim).

One fleet, one host per flow (logged out and logged in), goes through check mode (--diff), the real run (--diff
-vvv) and a second run; the tests read each flow's record back from macsim (keychain files, their passwords and
items, lock state, the audit log of tool calls), never from the module's word alone. Crashes: a tool call fails or
is killed at each step of the restore, then a re-run finishes the job.
"""

import dataclasses
import hashlib
import json
import os

import pytest

import macsim

MODULE = "macfleet.credsync.macos_keychain_restore"
USER = "alice"
OLD, NEW, OTHER, WRONG = "Previous-Pass-1", "Directory-Pass-2", "Older-Pass-0", "Not-Her-Pass-5"
PASSWORDS = (OLD, NEW, OTHER, WRONG)
JAN = "login_replaced_20260101T000000Z.keychain-db"
MAR = "login_replaced_20260301T000000Z.keychain-db"
RENAMED = "login_renamed_1.keychain-db"
LOGIN = "login.keychain-db"
ITEMS = 3
VERBOSE = 3

pytestmark = pytest.mark.xdist_group("keychain_restore")


def scenario(keychain=NEW, aside=((JAN, OLD),), logged_in=False):
    """alice, login password NEW; her login keychain holds `keychain` (False: none) and no item (a new one, as the
    sync makes it); keychains moved aside as (file name, password), ITEMS items each."""
    user = {"name": USER, "password": NEW, "logged_in": logged_in,
            "keychain": keychain is not False and {"password": keychain, "items": 0},
            "keychains_aside": [{"name": name, "password": password, "items": ITEMS} for name, password in aside]}
    return {"filevault": False, "users": [user]}


@dataclasses.dataclass(frozen=True)
class Flow:
    name: str
    scenario: dict
    action: str                      # "restore", "rekey", "none", or "refused"
    before: dict                     # states.before
    restored: str = None             # the file name restored
    replaced: bool = False           # the current login keychain moved aside
    previous: str = OLD
    keychain: str = None             # the keychain option

    def args(self):
        args = {"user": USER, "password": NEW, "previous_password": self.previous}
        if self.keychain:
            args["keychain"] = self.keychain
        return args


FLOWS = (
    Flow("restore", scenario(), "restore", {LOGIN: "in_sync", JAN: "previous"}, restored=JAN, replaced=True),
    Flow("restore_newest_of_three", scenario(aside=((JAN, OLD), (MAR, OLD), (RENAMED, OTHER))), "restore",
         {LOGIN: "in_sync", RENAMED: "unknown", MAR: "previous", JAN: "not_tried"}, restored=MAR, replaced=True),
    Flow("restore_named", scenario(aside=((JAN, OLD), (MAR, OLD), (RENAMED, OTHER))), "restore",
         {LOGIN: "in_sync", RENAMED: "previous"}, restored=RENAMED, replaced=True, previous=OTHER, keychain=RENAMED),
    Flow("restore_unknown_login", scenario(keychain=OTHER), "restore", {LOGIN: "unknown", JAN: "previous"},
         restored=JAN, replaced=True),
    Flow("restore_no_login_keychain", scenario(keychain=False), "restore", {LOGIN: "absent", JAN: "previous"},
         restored=JAN),
    Flow("rekey_in_place", scenario(keychain=OLD, aside=((JAN, OTHER),)), "rekey", {LOGIN: "previous", JAN: "not_tried"}),
    Flow("in_step", scenario(aside=((JAN, OTHER),)), "none", {LOGIN: "in_sync", JAN: "unknown"}),
    # Logged in: the session holds login.keychain-db (unlocked when the login password opens it).
    Flow("session_restore_refused", scenario(logged_in=True), "refused", {}),
    Flow("session_in_step", scenario(aside=((JAN, OTHER),), logged_in=True), "none",
         {LOGIN: "unverified_in_session", JAN: "unknown"}),
    Flow("session_rekey_locked_old", scenario(keychain=OLD, aside=((JAN, OTHER),), logged_in=True), "rekey",
         {LOGIN: "previous", JAN: "not_tried"}),
    Flow("session_nothing_aside", scenario(aside=(), logged_in=True), "none", {LOGIN: "unverified_in_session"}),
)
FLOW_NAMES = [flow.name for flow in FLOWS]
CHANGING = [flow.name for flow in FLOWS if flow.action in ("restore", "rekey")]


# -- reading macsim back -------------------------------------------------------------------------------------------
def keychains(host):
    """{file name: (sha256, owner, mode)} of alice's keychain files."""
    found = {}
    for path in host.keychain_files(USER):
        info = os.stat(path)
        with open(path, "rb") as handle:
            found[os.path.basename(path)] = (hashlib.sha256(handle.read()).hexdigest(), info.st_uid, info.st_mode)
    return found


def items(host, name=None):
    paths = [os.path.join(os.path.dirname(host.keychain_path(USER)), name)] if name else host.keychain_files(USER)
    found = []
    for path in paths:
        with open(path) as handle:
            found += [json.dumps(item, sort_keys=True) for item in json.load(handle)["items"]]
    return sorted(found)


def writes(audit):
    return [record for record in audit if record["kind"] == "write"]


def leaks(text):
    return [password for password in PASSWORDS if password in text]


@dataclasses.dataclass
class Record:
    host: object
    flow: Flow
    files_before: dict
    items_before: list
    check: dict = None
    check_audit: list = None
    files_after_check: dict = None
    real: dict = None
    real_audit: list = None
    files_after: dict = None
    again: dict = None
    again_audit: list = None


def _run(ansible, hosts_and_args, runs, **kwargs):
    hosts = [host for host, _args in hosts_and_args]
    marks = {host.name: len(host.audit()) for host in hosts}
    run = ansible(hosts, MODULE, {host.name: args for host, args in hosts_and_args}, **kwargs)
    runs.append(run)
    return run, {host.name: host.audit()[marks[host.name]:] for host in hosts}


@pytest.fixture(scope="module")
def fleet(ansible_module, tmp_path_factory):
    parent = tmp_path_factory.mktemp("restore-fleet")
    records, runs = {}, []
    for flow in FLOWS:
        host = macsim.create_host(str(parent / flow.name), dict(flow.scenario, hostname=flow.name))
        records[flow.name] = Record(host, flow, keychains(host), items(host))
    batch = [(record.host, record.flow.args()) for record in records.values()]
    check, audits = _run(ansible_module, batch, runs, check=True, diff=True, verbosity=VERBOSE)
    for record in records.values():
        record.check, record.check_audit = check[record.host.name], audits[record.host.name]
        record.files_after_check = keychains(record.host)
    real, audits = _run(ansible_module, batch, runs, diff=True, verbosity=VERBOSE)
    for record in records.values():
        record.real, record.real_audit = real[record.host.name], audits[record.host.name]
        record.files_after = keychains(record.host)
    again, audits = _run(ansible_module, batch, runs, verbosity=VERBOSE)
    for record in records.values():
        record.again, record.again_audit = again[record.host.name], audits[record.host.name]
    return {"records": records, "runs": runs}


@pytest.mark.parametrize("name", FLOW_NAMES)
def test_check_mode_predicts_and_writes_nothing(fleet, name):
    record = fleet["records"][name]
    check, real = record.check, record.real
    assert writes(record.check_audit) == [] and record.files_after_check == record.files_before
    assert check.get("failed", False) == real.get("failed", False)
    if record.flow.action == "refused":
        assert check["msg"] == real["msg"]
        return
    for key in ("changed", "action", "restored_from", "logged_in", "folder"):
        assert check[key] == real[key], key
    assert check["states"]["before"] == real["states"]["before"] == record.flow.before
    assert (check["replaced_moved_to"] is None) == (real["replaced_moved_to"] is None)
    # The replaced keychain's name carries the time of the run: the states match but for that name.
    assert sorted(check["states"]["after"].values()) == sorted(real["states"]["after"].values())
    assert check["diff"]["before"] == record.flow.before


@pytest.mark.parametrize("name", FLOW_NAMES)
def test_real_run(fleet, name):
    record, flow = fleet["records"][name], fleet["records"][name].flow
    host, result = record.host, record.real
    folder = os.path.dirname(host.keychain_path(USER))
    assert host.session_keychain_locks() == []
    if flow.action == "refused":
        assert result["failed"] and "logged in" in result["msg"] and "Log the user out" in result["msg"]
        assert writes(record.real_audit) == [] and record.files_after == record.files_before
        assert not host.keychain_locked(USER), "the session's keychain was locked"
        return
    assert not result.get("failed"), result
    assert result["changed"] is (flow.action != "none") and result["action"] == flow.action
    assert result["logged_in"] is flow.scenario["users"][0]["logged_in"] and result["folder"] == folder
    assert result["states"]["before"] == flow.before
    assert result["diff"] == {"before": result["states"]["before"], "after": result["states"]["after"]}
    # Nothing deleted: as many keychain files, every item still somewhere.
    assert len(record.files_after) == len(record.files_before) and items(host) == record.items_before
    if flow.action == "none":
        assert writes(record.real_audit) == [] and record.files_after == record.files_before
        assert result["restored_from"] is None and result["replaced_moved_to"] is None
        return
    assert host.keychain_ok(USER, NEW), "the login keychain does not open with the password"
    assert result["states"]["after"][LOGIN] == "in_sync"
    if flow.action == "rekey":
        assert result["restored_from"] is None and result["replaced_moved_to"] is None
        assert set(record.files_after) == set(record.files_before)
        return
    assert result["restored_from"] == os.path.join(folder, flow.restored)
    assert items(host, LOGIN) == items_of_aside(record, flow.restored)
    assert flow.restored not in record.files_after
    if flow.replaced:
        moved = result["replaced_moved_to"]
        assert os.path.dirname(moved) == folder and os.path.basename(moved).startswith("login_replaced_")
        assert record.files_after[os.path.basename(moved)] == record.files_before[LOGIN]  # the same file, moved
        assert result["states"]["after"][os.path.basename(moved)] == flow.before[LOGIN]
    else:
        assert result["replaced_moved_to"] is None
    assert all(host.keychain_locked(USER, path=path) for path in host.keychain_files(USER))
    if os.geteuid() == 0:
        info = os.stat(host.keychain_path(USER))
        assert info.st_uid == host.user(USER)["UniqueID"] and info.st_mode & 0o022 == 0


def items_of_aside(record, name):
    """The items the aside keychain `name` held before the run (its labels name it)."""
    return sorted(item for item in record.items_before if " aside %s " % name in item)


@pytest.mark.parametrize("name", CHANGING)
def test_second_run_changes_nothing(fleet, name):
    record = fleet["records"][name]
    again = record.again
    assert not again.get("failed") and again["changed"] is False and again["action"] == "none", again
    assert writes(record.again_audit) == []


@pytest.mark.parametrize("name", FLOW_NAMES)
def test_no_password_on_argv_or_in_files(fleet, name):
    host = fleet["records"][name].host
    assert [r["argv"] for r in host.audit() if leaks(json.dumps(r["argv"]))] == []
    for directory, _dirs, names in os.walk(host.root):
        for file_name in names:
            with open(os.path.join(directory, file_name), "rb") as handle:
                assert leaks(handle.read().decode("utf-8", "replace")) == [], file_name


def test_no_password_in_ansible_output(fleet):
    runs = fleet["runs"]
    assert "+++ after" in runs[1].output and "ESTABLISH LOCAL CONNECTION" in runs[1].output
    assert [leaks(run.output + json.dumps(run.results)) for run in runs] == [[]] * len(runs)


# -- crashes: a tool call fails or is killed at each step; the re-run finishes -------------------------------------
CRASHES = (
    # (id, fault, what the failed run left: "nothing", "aside" (login moved aside only), "swapped" (renamed, not
    # re-keyed), "done" (re-keyed, then killed))
    ("move-aside-lock-fails", dict(mode="fail", command="lock-keychain", nth=1), "nothing"),
    ("between-the-renames", dict(mode="fail", command="lock-keychain", nth=2), "aside"),
    ("between-the-renames-killed", dict(mode="die", command="lock-keychain", nth=2), "aside"),
    ("rekey-fails", dict(mode="fail", command="set-keychain-password"), "swapped"),
    ("rekey-killed-before-its-write", dict(mode="die", command="set-keychain-password", after_steps=0), "swapped"),
    ("rekey-killed-after-its-write", dict(mode="die", command="set-keychain-password", after_steps=1), "done"),
)


@pytest.fixture(scope="module")
def crashes(ansible_module, tmp_path_factory):
    """Each crash on its own host: the locks of the inspection are counted in a check-mode run first, so the fault's
    nth counts from the first write-side call of the real run."""
    parent = tmp_path_factory.mktemp("restore-crash")
    hosts = {}
    for name, _fault, _left in CRASHES:
        hosts[name] = macsim.create_host(str(parent / name), dict(scenario(), hostname="crash-" + name))
    args = {host.name: Flow("x", {}, "", {}).args() for host in hosts.values()}
    ansible_module(list(hosts.values()), MODULE, args, check=True)
    for name, fault, _left in CRASHES:
        host = hosts[name]
        locks = sum(1 for record in host.audit() if record["tool"] == "security"
                    for command in record.get("commands", []) if command["name"] == "lock-keychain")
        fault = dict(fault, tool="security")
        if fault["command"] == "lock-keychain":
            fault["nth"] += locks  # the real run repeats the check run's inspection first
        host.add_fault(**fault)
    first = ansible_module(list(hosts.values()), MODULE, args)
    left = {name: {"files": sorted(keychains(host)), "login_opens": {
        pw: os.path.exists(host.keychain_path(USER)) and host.keychain_ok(USER, pw) for pw in (OLD, NEW)}}
        for name, host in hosts.items()}
    for host in hosts.values():
        host.clear_faults()
    second = ansible_module(list(hosts.values()), MODULE, args)
    third = ansible_module(list(hosts.values()), MODULE, args)
    return {name: dict(host=host, first=first[host.name], left=left[name], second=second[host.name],
                       third=third[host.name], output=first.output + second.output) for name, host in hosts.items()}


@pytest.mark.parametrize("name, left", [(name, left) for name, _fault, left in CRASHES],
                         ids=[name for name, _fault, _left in CRASHES])
def test_crash_then_rerun_finishes(crashes, name, left):
    crash = crashes[name]
    host, first, state = crash["host"], crash["first"], crash["left"]
    assert first.get("failed"), first
    assert ("nothing was changed" in first["msg"]) is (left == "nothing")
    if left != "nothing":
        assert "run again" in first["msg"], first["msg"]
    assert len(state["files"]) == 2, state  # every keychain still on disk
    expected = {"nothing": (LOGIN in state["files"], {OLD: False, NEW: True}),
                "aside": (LOGIN not in state["files"], {OLD: False, NEW: False}),
                "swapped": (True, {OLD: True, NEW: False}),
                "done": (True, {OLD: False, NEW: True})}[left]
    assert expected[0] and state["login_opens"] == expected[1], state
    second = crash["second"]
    assert not second.get("failed"), second
    assert second["action"] == {"nothing": "restore", "aside": "restore", "swapped": "rekey", "done": "none"}[left]
    # Finished: the old keychain (its items) is the login keychain, opens with the password; nothing lost.
    assert host.keychain_ok(USER, NEW) and len(items(host, LOGIN)) == ITEMS and len(host.keychain_files(USER)) == 2
    assert crash["third"]["changed"] is False
    assert leaks(crash["output"]) == []
