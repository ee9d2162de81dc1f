"""Bad input for macos_keychain_restore (issue 10 point 11, issue 11 point 4).

Each case is one simulated Mac (macsim) with its own options; the cases of one mode (real run, check mode) run in
one ansible-playbook call. What a case wrote is measured on its host: the write commands in its audit log, and a
snapshot of its credential state (password hashes, and every keychain file of the user: name, content hash, owner,
mode). Every bad case must be refused with a message naming the option and the rule before anything is written;
the good cases beside them must succeed. Each records its verdict for the figure line (tests/badinput_lib.py).
"""

import hashlib
import json
import os

import pytest

import macsim
from macsim import _state

from badinput_lib import HOSTILE_PASSWORDS, OK, REFUSED, Case, record, verdict
from test_bad_input_macos import BAD_NAMES  # pylint: disable=wrong-import-order  # the same names every Mac module refuses

MODULE = "macfleet.credsync.macos_keychain_restore"
USER = "alice"
OLD, NEW, OTHER = "Previous-Pass-1", "Directory-Pass-2", "Older-Pass-0"
AWKWARD = "Sp ace 'q' \"d\" \\ $HOME ;|&* ünï-🔑"
KNOWN = (OLD, NEW, OTHER, AWKWARD)
JAN = "login_replaced_20260101T000000Z.keychain-db"
LINK = "login_replaced_20270101T000000Z.keychain-db"

pytestmark = pytest.mark.xdist_group("bad_input_keychain_restore")


def _user(password=NEW, keychain=NEW, aside=((JAN, OLD),), **extra):
    return dict(extra, name=USER, password=password, keychain={"password": keychain, "items": 0},
                keychains_aside=[{"name": name, "password": pw, "items": 2} for name, pw in aside])


SCENARIOS = {
    # alice logs in with NEW; her login keychain is the new one (NEW); the old one (OLD) was moved aside.
    "moved_aside": {"filevault": False, "users": [_user()]},
    "logged_in": {"filevault": False, "users": [_user(logged_in=True)]},
    "nothing_opens": {"filevault": False, "users": [_user(keychain=OTHER, aside=((JAN, OTHER),))]},
    "awkward": {"filevault": False, "users": [_user(password=AWKWARD, keychain=AWKWARD)]},
    # A link named like a keychain moved aside, to a keychain file outside the folder (set up after creation).
    "link": {"filevault": False, "users": [_user(aside=())]},
}


def _secret(value):
    return (value,) if isinstance(value, str) else ()


class BatchCase(Case):
    def __init__(self, batch, name, args, scenario="moved_aside", **kwargs):
        super(BatchCase, self).__init__(name, args, **kwargs)
        self.batch = batch
        self.scenario = scenario


def _cases():
    cases = []
    for shape, value, word in HOSTILE_PASSWORDS:
        for option, other in (("password", "previous_password"), ("previous_password", "password")):
            args = {"user": USER, option: value, other: NEW if option == "previous_password" else OLD}
            words = (option,) if value is None else (option, word)
            cases.append(BatchCase("restore", "restore-%s-%s" % (option.replace("_", "-"), shape), args,
                                   mentions=words, secrets=_secret(value) + KNOWN))
        cases.append(BatchCase("restore-check", "restore-check-password-%s" % shape,
                               {"user": USER, "password": value, "previous_password": OLD},
                               mentions=("password",) if value is None else ("password", word),
                               secrets=_secret(value) + KNOWN))
    for shape, value, word in BAD_NAMES:
        cases.append(BatchCase("restore", "restore-user-%s" % shape,
                               {"user": value, "password": NEW, "previous_password": OLD},
                               mentions=("bob",) if value == "bob" else ("user", word), secrets=KNOWN))
    outside = "/var/tmp/" + JAN
    for shape, value, word in (
            ("empty", "", "empty"), ("dotdot", "../" + JAN, "'..'"), ("dot", "./" + JAN, "'.'"),
            ("relative-dir", "old/" + JAN, "absolute path"), ("outside", outside, "must be a file in"),
            ("other-user", "/Users/bob/Library/Keychains/" + JAN, "must be a file in"),
            ("etc-passwd", "/etc/passwd", ".keychain-db"), ("login", "login.keychain-db", "itself"),
            ("hidden", ".x.keychain-db", "hidden"), ("nul", "x\x00.keychain-db", "NUL"),
            ("newline", "x\n.keychain-db", "control character"), ("tab", "x\t.keychain-db", "control character"),
            ("dict", {"path": JAN}, "string"), ("list", [JAN], "string"), ("int", 20260101, "string"),
            ("suffix-only", ".keychain-db", ".keychain-db")):
        cases.append(BatchCase("restore", "restore-keychain-%s" % shape,
                               {"user": USER, "password": NEW, "previous_password": OLD, "keychain": value},
                               mentions=("keychain", word), secrets=KNOWN))
    for shape, value, word in (("outside", outside, "must be a file in"), ("dotdot", "../" + JAN, "'..'"),
                               ("nul", "x\x00.keychain-db", "NUL")):
        cases.append(BatchCase("restore-check", "restore-check-keychain-%s" % shape,
                               {"user": USER, "password": NEW, "previous_password": OLD, "keychain": value},
                               mentions=("keychain", word), secrets=KNOWN))
    cases += [
        BatchCase("restore", "restore-keychain-symlink", {"user": USER, "password": NEW, "previous_password": OLD,
                                                          "keychain": LINK}, scenario="link",
                  mentions=("keychain", "symbolic link"), secrets=KNOWN),
        BatchCase("restore", "restore-keychain-missing", {"user": USER, "password": NEW, "previous_password": OLD,
                                                          "keychain": "login_renamed_7.keychain-db"},
                  scenario="nothing_opens", mentions=("keychain", "does not exist"), secrets=KNOWN),
        BatchCase("restore", "restore-same-passwords", {"user": USER, "password": NEW, "previous_password": NEW},
                  mentions=("previous_password", "same as password"), secrets=KNOWN),
        BatchCase("restore", "restore-not-her-password", {"user": USER, "password": OTHER, "previous_password": OLD},
                  mentions=("password", "not the local password"), secrets=KNOWN),
        BatchCase("restore", "restore-nothing-opens", {"user": USER, "password": NEW, "previous_password": OLD},
                  scenario="nothing_opens", mentions=("previous_password", "nothing to restore"), secrets=KNOWN),
        BatchCase("restore", "restore-logged-in", {"user": USER, "password": NEW, "previous_password": OLD},
                  scenario="logged_in", mentions=("logged in", "log the user out"), secrets=KNOWN),
        BatchCase("restore-check", "restore-check-logged-in", {"user": USER, "password": NEW, "previous_password": OLD},
                  scenario="logged_in", mentions=("logged in",), secrets=KNOWN),
        BatchCase("restore", "restore-unknown-option", {"user": USER, "password": NEW, "previous_password": OLD,
                                                        "keychian": JAN}, mentions=("keychian",), secrets=KNOWN),
        BatchCase("restore", "restore-missing-previous", {"user": USER, "password": NEW},
                  mentions=("previous_password",), secrets=KNOWN),
        BatchCase("restore", "restore-missing-user", {"password": NEW, "previous_password": OLD},
                  mentions=("user",), secrets=KNOWN),
    ]
    # Good inputs beside the bad ones.
    for name, args, scenario in (
            ("restore-good", {"user": USER, "password": NEW, "previous_password": OLD}, "moved_aside"),
            ("restore-good-named", {"user": USER, "password": NEW, "previous_password": OLD, "keychain": JAN},
             "moved_aside"),
            ("restore-good-awkward", {"user": USER, "password": AWKWARD, "previous_password": OLD}, "awkward"),
            ("restore-good-in-step", {"user": USER, "password": NEW, "previous_password": OTHER}, "moved_aside"),
            # A link named like a keychain moved aside, to a file the previous password opens: ignored, not followed.
            ("restore-good-link-ignored", {"user": USER, "password": NEW, "previous_password": OTHER}, "link")):
        cases.append(BatchCase("restore", name, args, scenario=scenario, bad=False, secrets=KNOWN))
    cases.append(BatchCase("restore-check", "restore-check-good", {"user": USER, "password": NEW,
                                                                   "previous_password": OLD}, bad=False, secrets=KNOWN))
    return cases


CASES = _cases()
BATCHES = {"restore": False, "restore-check": True}


def snapshot(host):
    state = host.state()
    folder = os.path.dirname(host.keychain_path(USER))
    files = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        info = os.lstat(path)
        digest = None
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, "rb") as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()
        files[name] = [digest, info.st_uid, info.st_mode]
    return {"users": {name: user["password"] for name, user in state["users"].items()}, "keychains": files}


def _prepare(host, scenario, parent):
    if scenario == "link":
        folder = os.path.dirname(host.keychain_path(USER))
        target = os.path.join(parent, host.name + "-outside.keychain-db")
        _state.write_keychain(target, _state.new_keychain(OTHER))
        os.symlink(target, os.path.join(folder, LINK))


@pytest.fixture(scope="module")
def outcomes(ansible_module, tmp_path_factory):
    done = {}

    def _outcome(batch):
        if batch not in done:
            parent = tmp_path_factory.mktemp(batch)
            cases = [case for case in CASES if case.batch == batch]
            hosts = {}
            for index, case in enumerate(cases):
                host = macsim.create_host(str(parent / ("h%03d" % index)),
                                          dict(SCENARIOS[case.scenario], hostname="%s-%03d" % (batch, index)))
                _prepare(host, case.scenario, str(parent))
                hosts[case.name] = host
            before = {name: snapshot(host) for name, host in hosts.items()}
            marks = {name: len(host.audit()) for name, host in hosts.items()}
            run = ansible_module(list(hosts.values()), MODULE, {hosts[c.name].name: c.args for c in cases},
                                 check=BATCHES[batch])
            done[batch] = {}
            for case in cases:
                host = hosts[case.name]
                writes = [(r["tool"], c["name"]) for r in host.audit()[marks[case.name]:] for c in r["commands"]
                          if c["kind"] == "write"]
                done[batch][case.name] = dict(result=run[host.name], output=run.output, writes=writes,
                                              changed_state=snapshot(host) != before[case.name])
        return done[batch]

    return _outcome


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_keychain_restore(outcomes, request, case):
    outcome = outcomes(case.batch)[case.name]
    wrote = bool(outcome["writes"]) or outcome["changed_state"]
    result = {k: v for k, v in outcome["result"].items() if not (k == "exception" and v == "(traceback unavailable)")}
    case_verdict = verdict(case, result, outcome["output"], wrote=case.bad and wrote)
    record(request, "bad input", verdict=case_verdict, bad=case.bad)
    expected = REFUSED if case.bad else OK
    assert case_verdict == expected, "%s: %s (writes %s, state changed %s): %s" % (
        case.name, case_verdict, outcome["writes"], outcome["changed_state"],
        json.dumps(outcome["result"], default=str)[:1500])


def test_good_cases_did_their_job(outcomes):
    restore = outcomes("restore")
    for name in ("restore-good", "restore-good-named", "restore-good-awkward"):
        result = restore[name]["result"]
        assert result["changed"] is True and result["action"] == "restore" and result["restored_from"].endswith(JAN)
    assert restore["restore-good-in-step"]["result"]["changed"] is False
    assert restore["restore-good-in-step"]["writes"] == []
    ignored = restore["restore-good-link-ignored"]
    assert ignored["result"]["changed"] is False and ignored["result"]["states"]["before"][LINK] == "ignored"
    check = outcomes("restore-check")["restore-check-good"]
    assert check["result"]["changed"] is True and check["writes"] == [] and not check["changed_state"]


def test_enough_cases():
    assert sum(1 for case in CASES if case.bad) >= 60
