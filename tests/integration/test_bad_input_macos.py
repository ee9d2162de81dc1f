"""Bad input on the Mac side (issue 10, point 11): macos_password_sync, macos_credential_info, macos_account_unlock.

Each case is one simulated Mac (macsim) with its own options; the cases of one module and mode run in one
ansible-playbook call (a handful of calls in all). What a case wrote is measured on its host, never assumed:
the write commands in its audit log, and a snapshot of its credential state (password hashes, tokens, failed
login counts, crypto users, the Preboot copy and the modification time of its marker, keychain files).

Every bad case must be refused with a message naming the option and the rule, before anything is written; the
good cases beside them must succeed. Each records its verdict for the figure line (tests/badinput_lib.py).
"""

import fcntl
import hashlib
import json
import os

import pytest

import macsim
from macsim import _state

from badinput_lib import HOSTILE_PASSWORDS as SHARED_HOSTILE_PASSWORDS
from badinput_lib import OK, REFUSED, Case, record, verdict
from credsync_testlib import DIRECTORY_PASSWORD as NEW
from credsync_testlib import MAC_USER as USER
from credsync_testlib import MAX_FAILED_LOGINS as MAX_FAILED
from credsync_testlib import PREVIOUS_PASSWORD as OLD
from credsync_testlib import mac_scenario, mac_user

SYNC = "macfleet.credsync.macos_password_sync"
INFO = "macfleet.credsync.macos_credential_info"
UNLOCK = "macfleet.credsync.macos_account_unlock"
SERVICE_PASSWORD = "Svc-Acct-Pass-1"
KNOWN = (OLD, NEW, SERVICE_PASSWORD)

pytestmark = pytest.mark.xdist_group("bad_input_macos")

# The 17 shapes of hostile password: badinput_lib's 16, and a lone surrogate as the closest a playbook gets to
# one: Ansible refuses it wherever it could enter (YAML, JSON vars, from_json), so this template is refused by the
# controller before the module runs. _macos.inputs refuses one too (tests/unit/module_utils/test_inputs_and_failures.py).
HOSTILE_PASSWORDS = SHARED_HOSTILE_PASSWORDS[:9] + (
    ("surrogate", "{{ '\"Lone\\ud800Surrogate-1\"' | from_json }}", "surrogate"),) + SHARED_HOSTILE_PASSWORDS[9:]

# User names that cannot be a macOS short name, and one that is but does not exist: (id, value, word).
BAD_NAMES = (
    ("empty", "", "empty"),
    ("slash", "alice/../bob", "ASCII letters"),
    ("dotdot", "..", "'.'"),
    ("dotdot-path", "../alice", "'.'"),
    ("leading-dash", "-alice", "'-'"),
    ("space", "al ice", "ASCII letters"),
    ("trailing-newline", "alice\n", "ASCII letters"),
    ("newline", "alice\nbob", "ASCII letters"),
    ("nul", "alice\x00", "ASCII letters"),
    ("non-ascii", "alïce", "ASCII letters"),
    ("colon", "alice:admin", "ASCII letters"),
    ("too-long", "a" * 256, "255"),
    ("dict", {"name": "alice"}, "string"),
    ("list", ["alice"], "string"),
    ("int", 501, "string"),
    ("null", None, "missing"),
    ("not-on-this-mac", "bob", "not found"),
)


def _password_secret(value):
    return (value,) if isinstance(value, str) else ()


class BatchCase(Case):
    """A case and the batch (module, check mode, host scenario) it runs in."""

    def __init__(self, batch, name, args, scenario="synced_old", **kwargs):
        super(BatchCase, self).__init__(name, args, **kwargs)
        self.batch = batch
        self.scenario = scenario


def _sync_cases():
    cases = []
    for shape, value, word in HOSTILE_PASSWORDS:
        cases.append(BatchCase("sync", "sync-password-%s" % shape,
                               {"user": USER, "password": value, "previous_password": OLD},
                               mentions=("password", word), secrets=_password_secret(value) + KNOWN))
        cases.append(BatchCase("sync-check", "sync-check-password-%s" % shape,
                               {"user": USER, "password": value, "previous_password": OLD},
                               mentions=("password", word), secrets=_password_secret(value) + KNOWN))
        # null = not given: the previous password is then unknown, and with no admin the run must stop.
        previous_words = ("previous_password",) if value is None else ("previous_password", word)
        cases.append(BatchCase("sync", "sync-previous-%s" % shape,
                               {"user": USER, "password": NEW, "previous_password": value},
                               mentions=previous_words, secrets=_password_secret(value) + KNOWN))
        admin_words = ("admin_password",) if value is None else ("admin_password", word)
        cases.append(BatchCase("sync", "sync-admin-password-%s" % shape,
                               {"user": USER, "password": NEW, "admin_password": value},
                               mentions=admin_words, secrets=_password_secret(value) + KNOWN))
        # previous_passwords (issue 11): every candidate is a password like any other, named by its position.
        # (the lone surrogate is refused by the controller, which names the option but not the position)
        where = "previous_passwords" if shape == "surrogate" else "previous_passwords[1]"
        candidate_words = (where,) if value is None else (where, word)
        cases.append(BatchCase("sync", "sync-candidates-%s" % shape,
                               {"user": USER, "password": NEW, "previous_passwords": [OLD, value]},
                               mentions=candidate_words, secrets=_password_secret(value) + KNOWN))
    for shape, value, words in (("string", OLD, ("previous_passwords", "list")),
                                ("comma-string", "%s,%s" % (OLD, NEW), ("previous_passwords", "list")),
                                ("mapping", {"a": OLD}, ("previous_passwords", "list")),
                                ("number", 7, ("previous_passwords", "list"))):
        cases.append(BatchCase("sync", "sync-candidates-%s" % shape,
                               {"user": USER, "password": NEW, "previous_passwords": value},
                               mentions=words, secrets=KNOWN))
    cases.append(BatchCase("sync", "sync-candidates-and-previous",
                           {"user": USER, "password": NEW, "previous_password": OLD, "previous_passwords": [OLD]},
                           mentions=("previous_password", "previous_passwords", "mutually exclusive"), secrets=KNOWN))
    cases.append(BatchCase("sync-check", "sync-check-candidates-empty-item",
                           {"user": USER, "password": NEW, "previous_passwords": [OLD, ""]},
                           mentions=("previous_passwords[1]", "empty"), secrets=KNOWN))
    for shape, value, word in BAD_NAMES:
        cases.append(BatchCase("sync", "sync-user-%s" % shape, {"user": value, "password": NEW, "previous_password": OLD},
                               mentions=("bob",) if value == "bob" else ("user", word), secrets=KNOWN))
    for shape, value, word in BAD_NAMES[:6]:
        cases.append(BatchCase("sync-check", "sync-check-user-%s" % shape,
                               {"user": value, "password": NEW, "previous_password": OLD},
                               mentions=("user", word), secrets=KNOWN))
    for shape, value, word in (("empty", "", "empty"), ("dotdot-path", "../root", "'.'"), ("leading-dash", "-x", "'-'"),
                               ("space", "_jumpcloud service", "ASCII letters"), ("dict", {"a": 1}, "string")):
        cases.append(BatchCase("sync", "sync-admin-user-%s" % shape,
                               {"user": USER, "password": NEW, "admin_user": value, "admin_password": SERVICE_PASSWORD},
                               mentions=("admin_user", word), secrets=KNOWN))
    for option, value in (("filevault", "maybe"), ("keychain", "delete"), ("keychain_recovery", "wipe"),
                          ("state", "present"), ("update_preboot", "perhaps")):
        cases.append(BatchCase("sync", "sync-choice-%s" % option,
                               {"user": USER, "password": NEW, "previous_password": OLD, option: value},
                               mentions=(option,), secrets=KNOWN))
    # keychain_recovery: leave (issue 11): a choice like any other, case and type included.
    for shape, value in (("upper", "LEAVE"), ("list", ["leave"])):
        cases.append(BatchCase("sync", "sync-recovery-%s" % shape,
                               {"user": USER, "password": NEW, "previous_password": OLD, "keychain_recovery": value},
                               mentions=("keychain_recovery",), secrets=KNOWN))
    # Logged in, nothing opens the keychain's old password and `new` asked for: refused before any write.
    cases.append(BatchCase("sync", "sync-logged-in-recovery-new",
                           {"user": USER, "password": NEW, "admin_password": SERVICE_PASSWORD,
                            "keychain_recovery": "new"}, scenario="logged_in_old",
                           mentions=("keychain_recovery", "logged in"), secrets=KNOWN))
    cases.append(BatchCase("sync", "sync-unknown-option", {"user": USER, "password": NEW, "pasword": OLD},
                           mentions=("pasword",), secrets=KNOWN))
    cases.append(BatchCase("sync", "sync-missing-password", {"user": USER, "previous_password": OLD},
                           mentions=("password",), secrets=KNOWN))
    cases.append(BatchCase("sync", "sync-missing-user", {"password": NEW, "previous_password": OLD},
                           mentions=("user",), secrets=KNOWN))
    cases.append(BatchCase("sync", "sync-verified-128", {"user": USER, "password": "V" * 128, "state": "verified"},
                           mentions=("password", "127 bytes"), secrets=("V" * 128,) + KNOWN))
    # Good inputs beside the bad ones.
    awkward = "Sp ace 'q' \"d\" \\ $HOME ;|&* ünï-🔑"
    longest = "é" * 63 + "x"  # 127 bytes: the longest FileVault passphrase
    for name, args in (("sync-good", {"user": USER, "password": NEW, "previous_password": OLD}),
                       ("sync-good-awkward", {"user": USER, "password": awkward, "previous_password": OLD}),
                       ("sync-good-127-bytes", {"user": USER, "password": longest, "previous_password": OLD}),
                       ("sync-good-admin", {"user": USER, "password": NEW, "admin_password": SERVICE_PASSWORD}),
                       ("sync-good-candidates", {"user": USER, "password": NEW,
                                                 "previous_passwords": ["Wrong-Pass-7", OLD]}),
                       ("sync-good-leave", {"user": USER, "password": NEW, "admin_password": SERVICE_PASSWORD,
                                            "keychain_recovery": "leave"})):
        cases.append(BatchCase("sync", name, args, bad=False, secrets=(args["password"],) + KNOWN))
    cases.append(BatchCase("sync", "sync-good-logged-in", {"user": USER, "password": NEW, "previous_password": OLD},
                           scenario="logged_in_old", bad=False, secrets=KNOWN))
    cases.append(BatchCase("sync-check", "sync-check-good", {"user": USER, "password": NEW, "previous_password": OLD},
                           bad=False, secrets=KNOWN))
    return cases


def _info_cases():
    cases = []
    for shape, value, word in HOSTILE_PASSWORDS:
        if value is None:  # not given: facts only, no `accepts`
            cases.append(BatchCase("info", "info-password-null", {"user": USER, "password": None}, bad=False,
                                   secrets=KNOWN))
            continue
        cases.append(BatchCase("info", "info-password-%s" % shape, {"user": USER, "password": value},
                               mentions=("password", word), secrets=_password_secret(value) + KNOWN))
    for shape, value, word in BAD_NAMES:
        cases.append(BatchCase("info", "info-user-%s" % shape, {"user": value, "password": OLD},
                               mentions=("bob",) if value == "bob" else ("user", word), secrets=KNOWN))
    cases.append(BatchCase("info", "info-good", {"user": USER, "password": OLD}, bad=False, secrets=KNOWN))
    return cases


def _unlock_cases():
    cases = []
    for shape, value, word in BAD_NAMES:
        cases.append(BatchCase("unlock", "unlock-user-%s" % shape, {"user": value}, scenario="locked_out",
                               mentions=("bob",) if value == "bob" else ("user", word)))
    for shape, value, word in BAD_NAMES[:6]:
        cases.append(BatchCase("unlock-check", "unlock-check-user-%s" % shape, {"user": value}, scenario="locked_out",
                               mentions=("user", word)))
    cases.append(BatchCase("unlock", "unlock-good", {"user": USER}, scenario="locked_out", bad=False))
    cases.append(BatchCase("unlock-check", "unlock-check-good", {"user": USER}, scenario="locked_out", bad=False))
    return cases


CASES = _sync_cases() + _info_cases() + _unlock_cases()
BATCHES = {"sync": (SYNC, False), "sync-check": (SYNC, True), "info": (INFO, False), "unlock": (UNLOCK, False),
           "unlock-check": (UNLOCK, True)}
SCENARIOS = {
    # alice's stores all hold the previous password; the service account is a secure-token admin.
    "synced_old": mac_scenario(mac_user(OLD)),
    "logged_in_old": mac_scenario(mac_user(OLD, logged_in=True)),
    "locked_out": mac_scenario(mac_user(OLD, failed_logins=MAX_FAILED), lockout=True),
}


# -- what a host holds, to tell whether a case wrote anything -----------------------------------------------------
def marker_mtime(host):
    state = host.state()
    try:
        return os.stat(_state.preboot_info_path(host.root, state["volume"]["group_uuid"])).st_mtime_ns
    except OSError:
        return None


def snapshot(host):
    """The credential material of a host. Not the failed login count: checking which password a store holds
    counts a miss, as any login attempt does (documented); unlocking, which clears it, is a write command."""
    state = host.state()
    users = {name: [user["password"], user["AuthenticationAuthority"], user["disabled"]]
             for name, user in state["users"].items()}
    keychains = {}
    for path in host.keychain_files(USER):
        info = os.stat(path)
        with open(path, "rb") as handle:
            keychains[os.path.relpath(path, host.root)] = [hashlib.sha256(handle.read()).hexdigest(), info.st_uid,
                                                           info.st_mode]
    return {"users": users, "crypto_users": state["crypto_users"], "preboot": state["preboot"],
            "preboot_marker": marker_mtime(host), "keychains": keychains}


def write_commands(audit):
    return [(entry["tool"], command["name"]) for entry in audit for command in entry["commands"]
            if command["kind"] == "write"]


class Outcome:
    def __init__(self, result, output, writes, changed_state):
        self.result = result
        self.output = output
        self.writes = writes
        self.changed_state = changed_state

    @property
    def wrote(self):
        return bool(self.writes) or bool(self.changed_state)


def _run_batch(ansible_module, parent, batch):
    """One ansible-playbook run over the batch's cases, one fresh host each: {case name: outcome fields}."""
    module, check = BATCHES[batch]
    cases = [case for case in CASES if case.batch == batch]
    hosts = {}
    for index, case in enumerate(cases):
        hosts[case.name] = macsim.create_host(str(parent / ("h%03d" % index)),
                                              dict(SCENARIOS[case.scenario], hostname="%s-%03d" % (batch, index)))
    before = {name: snapshot(host) for name, host in hosts.items()}
    marks = {name: len(host.audit()) for name, host in hosts.items()}
    run = ansible_module(list(hosts.values()), module, {hosts[case.name].name: case.args for case in cases}, check=check)
    outcomes = {}
    for case in cases:
        host = hosts[case.name]
        after = snapshot(host)
        outcomes[case.name] = {"result": run[host.name], "output": run.output,
                               "writes": write_commands(host.audit()[marks[case.name]:]),
                               "changed_state": sorted(key for key in after if after[key] != before[case.name][key])}
    return outcomes


@pytest.fixture(scope="module")
def outcomes(ansible_module, tmp_path_factory, worker_id):
    """outcomes(batch) -> {case name: Outcome}. Each batch is one ansible-playbook run, made once per session
    even when xdist spreads the cases over workers: the first worker runs it under a lock and leaves the
    outcomes (or its failure) in a file the others read."""
    shared = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    done = {}

    def _outcome(batch):
        if batch not in done:
            path = shared / ("bad_input_macos-%s.json" % batch)
            with open(str(shared / "bad_input_macos.lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not path.exists():
                    try:
                        data = {"outcomes": _run_batch(ansible_module, tmp_path_factory.mktemp(batch), batch)}
                    except Exception as exc:  # pylint: disable=broad-except
                        data = {"error": "%s: %s" % (type(exc).__name__, exc)}
                    path.write_text(json.dumps(data, default=str))
                done[batch] = json.loads(path.read_text())
        data = done[batch]
        assert "error" not in data, "the %s batch did not run: %s" % (batch, data.get("error", "")[-3000:])
        return {name: Outcome(**fields) for name, fields in data["outcomes"].items()}

    return _outcome


# ansible-core 2.19+ gives every failed task result an error summary, which the callback renders as this
# placeholder when tracebacks are not displayed: it is not a traceback. A module that crashed still shows one
# (MODULE FAILURE, module_stderr with "Traceback"), which verdict() catches.
NO_TRACEBACK = "(traceback unavailable)"


def _without_placeholder(result):
    return {key: value for key, value in result.items() if not (key == "exception" and value == NO_TRACEBACK)}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_macos(outcomes, request, case):
    outcome = outcomes(case.batch)[case.name]
    # A good case writes (that is its job); a bad one must not have.
    case_verdict = verdict(case, _without_placeholder(outcome.result), outcome.output, wrote=case.bad and outcome.wrote)
    record(request, "bad input", verdict=case_verdict, bad=case.bad)
    expected = REFUSED if case.bad else OK
    assert case_verdict == expected, "%s: %s (writes %s, state changed %s): %s" % (
        case.name, case_verdict, outcome.writes, outcome.changed_state, json.dumps(outcome.result, default=str)[:1500])


def test_good_cases_did_their_job(outcomes):
    """The good inputs are not refused for nothing: the sync synced, the unlock unlocked, info told the truth."""
    sync = outcomes("sync")
    assert sync["sync-good"].result["changed"] is True and sync["sync-good"].wrote
    assert sync["sync-good-127-bytes"].result["stores"]["filevault"]["after"] == "in_sync"
    assert outcomes("sync-check")["sync-check-good"].writes == []
    info = outcomes("info")
    assert info["info-good"].result["accepts"] == {"login": True, "filevault": True, "keychain": True}
    assert "accepts" not in info["info-password-null"].result
    assert outcomes("unlock")["unlock-good"].result["changed"] is True
    assert outcomes("unlock-check")["unlock-check-good"].writes == []


def test_enough_cases():
    assert sum(1 for case in CASES if case.bad) >= 50
