"""_macos/restore.py (KeychainRestore, behind macos_keychain_restore) on Python 3.9 against macsim.

Every outcome is read back from macsim (keychain files, their passwords and items, lock state, the audit log),
never taken from the backend's word.
"""

import json
import os
import textwrap

import pytest

from credsync_testlib import TESTS_DIR, in_collection_tree, run_on_python39

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)",
                allow_module_level=True)

# pylint: disable=wrong-import-position
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.inputs import InputError
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.restore import (
    KeychainRestore, keychain_option_problems)

OLD, NEW, OTHER = "Previous-Pass-1", "Directory-Pass-2", "Older-Pass-0"
JAN = "login_replaced_20260101T000000Z.keychain-db"
MAR = "login_replaced_20260301T000000Z.keychain-db"
RENAMED = "login_renamed_1.keychain-db"
LOGIN = "login.keychain-db"

PRELUDE = """
import json, sys
sys.path.insert(0, TESTS_DIR)
import macsim
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.runner import ToolRunner
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.account import CredentialError
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.restore import KeychainRestore

def restore(password, previous, keychain=None, check=False, fault=None):
    runner = ToolRunner(secrets=[password, previous])
    job = KeychainRestore(runner, "alice", password, previous, keychain=keychain)
    out = {"warnings": job.warnings}
    try:
        job.inspect()
        job.make_plan()
        out.update(action=job.action, before=job.before)
        if check or job.action == "none":
            out.update(after=job.predicted_after(), restored_from=job.predicted_restored_from(),
                       replaced_moved_to=job.predicted_replaced_moved_to())
        else:
            if fault:
                macsim.Host(HOST).add_fault(**fault)
            job.apply()
            out.update(after=job.verify(), restored_from=job.restored_from, replaced_moved_to=job.replaced_moved_to)
    except CredentialError as exc:
        out["error"] = str(exc)
    return out

print(json.dumps(restore(PASSWORD, PREVIOUS, KEYCHAIN, CHECK, FAULT)))
"""


def scenario(login=NEW, keychain=NEW, aside=((JAN, OLD),), logged_in=False, **user):
    """alice: login password `login`, login keychain password `keychain` (False: none, 0 items as a new keychain
    the sync made), keychains moved aside as (name, password[, extra keys])."""
    spec = dict(user, name="alice", password=login, logged_in=logged_in,
                keychain=keychain is not False and {"password": keychain, "items": 0},
                keychains_aside=[dict(entry[2] if len(entry) > 2 else {}, name=entry[0], password=entry[1], items=3)
                                 for entry in aside])
    return {"filevault": False, "users": [spec]}


def restore(host, password=NEW, previous=OLD, keychain=None, check=False, fault=None):
    values = dict(TESTS_DIR=TESTS_DIR, HOST=host.root, PASSWORD=password, PREVIOUS=previous, KEYCHAIN=keychain,
                  CHECK=check, FAULT=fault)
    script = "import json\nglobals().update(json.loads(%r))\n" % json.dumps(values) + textwrap.dedent(PRELUDE)
    proc = run_on_python39(script, env=host.env())
    assert proc.returncode == 0, proc.stderr.decode()
    out = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    secrets = [s for s in (password, previous) if isinstance(s, str)]
    assert not any(s in proc.stdout.decode() + proc.stderr.decode() for s in secrets)
    return out


def folder(host):
    return os.path.dirname(host.keychain_path("alice"))


def files(host):
    return sorted(os.path.basename(path) for path in host.keychain_files("alice"))


def items_of(host, name):
    return len(_read(host, name)["items"])


def _read(host, name):
    with open(os.path.join(folder(host), name)) as handle:
        return json.load(handle)


def all_locked(host):
    return all(host.keychain_locked("alice", path=path) for path in host.keychain_files("alice"))


def no_secret_on_argv(host):
    return all(s not in json.dumps(record["argv"]) for record in host.audit() for s in (OLD, NEW, OTHER))


# -- logged out ---------------------------------------------------------------------------------------------------
def test_restores_the_keychain_moved_aside_and_keeps_the_replaced_one(make_host):
    host = make_host(scenario())
    predicted = restore(host, check=True)
    assert host.write_calls() == [] and files(host) == sorted([LOGIN, JAN])
    out = restore(host)
    assert out["action"] == predicted["action"] == "restore"
    assert out["before"] == predicted["before"] == {LOGIN: "in_sync", JAN: "previous"}
    replaced = os.path.basename(out["replaced_moved_to"])
    assert out["restored_from"] == predicted["restored_from"] == os.path.join(folder(host), JAN)
    assert out["after"] == {LOGIN: "in_sync", replaced: "in_sync"}
    assert set(predicted["after"]) - {LOGIN} and set(predicted["after"].values()) == {"in_sync"}
    # The old keychain, with its items, is the login keychain, re-keyed; the replaced one is kept.
    assert files(host) == sorted([LOGIN, replaced]) and replaced.startswith("login_replaced_")
    assert host.keychain_ok("alice", NEW) and items_of(host, LOGIN) == 3
    assert host.keychain_ok("alice", NEW, path=os.path.join(folder(host), replaced)) and items_of(host, replaced) == 0
    assert all_locked(host) and no_secret_on_argv(host)
    # Idempotent: the replaced keychain opens with password, not previous_password.
    again = restore(host)
    assert again["action"] == "none" and again["before"] == {LOGIN: "in_sync", replaced: "in_sync"}
    assert len(host.write_calls()) == 1  # the one set-keychain-password


def test_newest_first_and_stops_at_the_first_that_opens(make_host):
    host = make_host(scenario(aside=((JAN, OLD), (MAR, OLD), (RENAMED, OTHER))))
    out = restore(host)
    assert out["action"] == "restore" and out["restored_from"].endswith(MAR)
    # login_renamed_1 has no time in its name: its status change time (now) makes it the newest.
    assert out["before"] == {LOGIN: "in_sync", RENAMED: "unknown", MAR: "previous", JAN: "not_tried"}
    assert _read(host, LOGIN)["items"][0]["service"].startswith("aside-1-")  # MAR's items (the second aside)
    assert host.keychain_ok("alice", OLD, path=os.path.join(folder(host), JAN))  # untouched


def test_named_keychain_wins_over_newer_ones(make_host):
    host = make_host(scenario(aside=((JAN, OLD), (MAR, OLD))))
    out = restore(host, keychain=os.path.join(folder(host), JAN))
    assert out["restored_from"].endswith(JAN) and list(out["before"]) == [LOGIN, JAN]
    assert host.keychain_ok("alice", OLD, path=os.path.join(folder(host), MAR))
    by_name = make_host(scenario(aside=((RENAMED, OTHER), (MAR, OLD))))
    out = restore(by_name, previous=OTHER, keychain=RENAMED)
    assert out["action"] == "restore" and out["restored_from"].endswith(RENAMED)
    assert by_name.keychain_ok("alice", NEW) and by_name.keychain_ok("alice", OLD, path=os.path.join(folder(by_name), MAR))


def test_login_keychain_that_opens_with_previous_is_rekeyed_in_place(make_host):
    host = make_host(scenario(keychain=OLD, aside=((JAN, OLD),)))
    out = restore(host)
    assert out["action"] == "rekey" and out["restored_from"] is None and out["replaced_moved_to"] is None
    assert out["before"] == {LOGIN: "previous", JAN: "not_tried"} and out["after"][LOGIN] == "in_sync"
    assert files(host) == sorted([LOGIN, JAN]) and host.keychain_ok("alice", NEW) and all_locked(host)


def test_restore_done_stops_at_the_replaced_keychain_even_with_older_old_ones(make_host):
    host = make_host(scenario(aside=((JAN, OLD), (MAR, OLD))))
    first = restore(host)
    assert first["restored_from"].endswith(MAR)
    again = restore(host)
    replaced = os.path.basename(first["replaced_moved_to"])
    assert again["action"] == "none" and again["before"] == {LOGIN: "in_sync", replaced: "in_sync", JAN: "not_tried"}


def test_named_keychain_is_not_restored_over_a_login_keychain_that_opens_with_previous(make_host):
    host = make_host(scenario(keychain=OLD))
    out = restore(host, keychain=JAN)
    assert "omit keychain" in out["error"] and host.write_calls() == []


def test_no_login_keychain_renames_the_old_one_into_place(make_host):
    host = make_host(scenario(keychain=False))
    out = restore(host)
    assert out["action"] == "restore" and out["replaced_moved_to"] is None
    assert out["before"] == {LOGIN: "absent", JAN: "previous"} and out["after"] == {LOGIN: "in_sync"}
    assert files(host) == [LOGIN] and host.keychain_ok("alice", NEW) and items_of(host, LOGIN) == 3


def test_nothing_opens_fails_and_changes_nothing(make_host):
    host = make_host(scenario(keychain=OTHER, aside=((JAN, OTHER),)))
    out = restore(host)
    assert "nothing to restore" in out["error"] and "nothing was changed" in out["error"]
    assert JAN in out["error"] and host.write_calls() == []
    host = make_host(scenario(keychain=NEW))
    out = restore(host, previous=OTHER)
    assert out["action"] == "none" and out["before"] == {LOGIN: "in_sync", JAN: "unknown"}


def test_password_that_is_not_the_users_is_refused_before_any_write(make_host):
    host = make_host(scenario(login=NEW, keychain=NEW))
    out = restore(host, password="Not-Her-Pass-5")
    assert "not the local password" in out["error"] and host.write_calls() == []
    assert host.keychain_ok("alice", OLD, path=os.path.join(folder(host), JAN))


def test_links_and_other_files_are_ignored_or_refused(make_host, tmp_path):
    host = make_host(scenario(aside=((MAR, OTHER),)))
    outside = tmp_path / "elsewhere.keychain-db"
    outside.write_text(open(os.path.join(folder(host), MAR)).read())
    os.symlink(str(outside), os.path.join(folder(host), "login_replaced_20270101T000000Z.keychain-db"))
    os.mkdir(os.path.join(folder(host), "login_renamed_9.keychain-db"))
    out = restore(host, previous=OTHER)
    assert out["before"]["login_replaced_20270101T000000Z.keychain-db"] == "ignored"
    assert out["before"]["login_renamed_9.keychain-db"] == "ignored"
    link = os.path.join(folder(host), "login_replaced_20270101T000000Z.keychain-db")
    assert out["restored_from"].endswith(MAR) and os.path.islink(link)
    named = make_host(scenario())
    os.symlink(str(outside), os.path.join(folder(named), "link.keychain-db"))
    out = restore(named, previous=OTHER, keychain="link.keychain-db")
    assert "symbolic link" in out["error"] and named.write_calls() == []
    out = restore(named, keychain=str(outside))
    assert "must be a file in" in out["error"] and named.write_calls() == []


def test_named_keychain_gone_after_a_restore_is_a_warning_not_a_change(make_host):
    host = make_host(scenario())
    assert restore(host, keychain=JAN)["action"] == "restore"
    again = restore(host, keychain=JAN)
    assert again["action"] == "none" and "does not exist" in again["warnings"][0]
    host = make_host(scenario(keychain=OTHER))
    out = restore(host, keychain="login_replaced_20991231T000000Z.keychain-db")
    assert "does not exist" in out["error"] and host.write_calls() == []


# -- crashes: every keychain stays on disk and a re-run finishes ----------------------------------------------------
def _lock_calls(host):
    """lock-keychain commands, on their own or inside a `security -i` call."""
    return sum(1 for record in host.audit() if record["tool"] == "security"
               for command in record.get("commands", []) if command["name"] == "lock-keychain")


def test_failure_between_the_two_renames_then_rerun(make_host):
    host = make_host(scenario())
    restore(host, check=True)
    inspect_locks = _lock_calls(host)
    # The lock of the old keychain before its rename: the current one is already aside.
    out = restore(host, fault=dict(mode="fail", tool="security", command="lock-keychain", nth=2))
    assert "moved to" in out["error"] and "run again" in out["error"] and "is where it was" in out["error"]
    assert inspect_locks > 0 and not os.path.exists(host.keychain_path("alice"))
    assert len(files(host)) == 2 and all(items_of(host, name) in (0, 3) for name in files(host))
    again = restore(host)
    assert again["action"] == "restore" and again["before"][LOGIN] == "absent"
    assert again["replaced_moved_to"] is None and host.keychain_ok("alice", NEW) and items_of(host, LOGIN) == 3
    assert restore(host)["action"] == "none"


@pytest.mark.parametrize("mode, after_steps", [("fail", None), ("die", 0), ("die", 1)])
def test_rekey_failure_after_the_swap_then_rerun(make_host, mode, after_steps):
    host = make_host(scenario())
    fault = dict(mode=mode, tool="security", command="set-keychain-password")
    if after_steps is not None:
        fault["after_steps"] = after_steps
    out = restore(host, fault=fault)
    assert "is the login keychain now" in out["error"] and "run again" in out["error"]
    assert len(files(host)) == 2
    again = restore(host)
    # Killed after its write: the re-keyed keychain opens with password already, nothing left to do.
    assert again["action"] == ("none" if after_steps == 1 else "rekey")
    assert host.keychain_ok("alice", NEW) and items_of(host, LOGIN) == 3
    assert restore(host)["action"] == "none"


def test_failure_moving_the_current_one_aside_changes_nothing(make_host):
    host = make_host(scenario())
    restore(host, check=True)
    out = restore(host, fault=dict(mode="fail", tool="security", command="lock-keychain", nth=1))
    assert "nothing was changed" in out["error"] and files(host) == sorted([LOGIN, JAN])
    assert host.write_calls() == [] and host.keychain_ok("alice", NEW) and items_of(host, LOGIN) == 0


# -- logged in ---------------------------------------------------------------------------------------------------
def test_logged_in_restore_is_refused_before_any_write(make_host):
    host = make_host(scenario(logged_in=True))
    assert not host.keychain_locked("alice")  # the session unlocked it
    out = restore(host)
    assert "logged in" in out["error"] and "Log the user out" in out["error"]
    assert host.write_calls() == [] and host.session_keychain_locks() == [] and not host.keychain_locked("alice")
    assert files(host) == sorted([LOGIN, JAN])


def test_logged_in_with_nothing_to_restore_is_unchanged_and_never_locks_the_session(make_host):
    host = make_host(scenario(logged_in=True, aside=((JAN, OTHER),)))
    out = restore(host)
    assert out["action"] == "none" and out["before"] == {LOGIN: "unverified_in_session", JAN: "unknown"}
    assert host.session_keychain_locks() == [] and not host.keychain_locked("alice")


def test_logged_in_locked_old_keychain_is_rekeyed_in_place(make_host):
    host = make_host(scenario(logged_in=True, keychain=OLD))
    assert host.keychain_locked("alice")  # the login password did not open it
    out = restore(host)
    assert out["action"] == "rekey" and out["after"][LOGIN] == "in_sync"
    assert host.keychain_ok("alice", NEW) and host.session_keychain_locks() == []


# -- input --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, rule", [
    ("", "empty"), ("a\x00.keychain-db", "control character"), ("x\n.keychain-db", "control character"),
    ("../other/login_replaced_1.keychain-db", "'..'"), ("sub/x.keychain-db", "absolute path"),
    ("login.keychain-db", "login keychain itself"), ("/Users/alice/Library/Keychains/login.keychain-db", "itself"),
    ("notes.txt", ".keychain-db"), (".keychain-db", ".keychain-db"), (".hidden.keychain-db", "hidden"),
    (["x.keychain-db"], "string"), ({"a": 1}, "string"), (7, "string"),
])
def test_keychain_option_rules(value, rule):
    problems = keychain_option_problems(value)
    assert problems and rule in "; ".join(problems)


@pytest.mark.parametrize("value", [None, JAN, RENAMED, "/Users/alice/Library/Keychains/" + JAN, "old copy.keychain-db"])
def test_keychain_option_accepts(value):
    assert keychain_option_problems(value) == []


@pytest.mark.parametrize("options, words", [
    (dict(password=NEW, previous_password=NEW), ["same as password"]),
    (dict(password="", previous_password=OLD), ["password is empty"]),
    (dict(password=NEW, previous_password=None), ["previous_password is missing"]),
    (dict(password=NEW, previous_password={"a": 1}), ["previous_password must be a string"]),
    (dict(password=NEW, previous_password=OLD, user="../bob"), ["user"]),
    (dict(password="x\ny", previous_password=OLD, keychain="../x.keychain-db"), ["password contains a line break",
                                                                                 "keychain must not"]),
])
def test_bad_input_is_refused_before_anything_runs(options, words):
    runner = object()  # never used: refused before any tool runs
    user = options.pop("user", "alice")
    with pytest.raises(InputError) as caught:
        KeychainRestore(runner, user, options["password"], options["previous_password"], keychain=options.get("keychain"))
    message = str(caught.value)
    assert all(word in message for word in words) and "nothing was checked or changed" in message
    assert message.count("nothing was checked") == 1 and NEW not in message and OLD not in message
