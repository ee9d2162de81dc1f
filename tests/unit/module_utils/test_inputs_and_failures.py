"""_macos input checks (passwords through the one validator, user names as macOS short names), the sync's
failure messages and its Preboot marker: on Python 3.9 against macsim where tools run."""

import json
import os
import textwrap

import pytest

from credsync_testlib import in_collection_tree, run_on_python39

from macsim import _state

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)",
                allow_module_level=True)

# pylint: disable=wrong-import-position
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.account import short_name_problems
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.inputs import InputError, check_inputs
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.runner import ToolError, ToolResult, ToolRunner
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.sync import PasswordSync

OLD, NEW, SVC = "Previous-Pass-1", "Directory-Pass-2", "Svc-Acct-Pass-1"

GOOD_NAMES = ["alice", "_jumpcloudserviceaccount", "first.last", "a-b_c9", "A" * 255, "501"]
BAD_NAMES = [("", "empty"), ("..", "'.'"), (".hidden", "'.'"), ("../alice", "'.'"), ("a/b", "ASCII"),
             ("-alice", "'-'"), ("al ice", "ASCII"), ("alice\n", "ASCII"), ("al\nice", "ASCII"), ("al\x00", "ASCII"),
             ("alïce", "ASCII"), ("a:b", "ASCII"), ("a" * 256, "255"), ({"a": 1}, "string"), (["a"], "string"),
             (501, "string"), (True, "string"), (None, "missing")]


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_short_names_macos_allows(name):
    assert short_name_problems(name) == []


@pytest.mark.parametrize("name,rule", BAD_NAMES, ids=[repr(n)[:20] for n, _r in BAD_NAMES])
def test_names_that_cannot_be_a_short_name(name, rule):
    problems = short_name_problems(name)
    assert problems and rule in "; ".join(problems)


def test_check_inputs_names_every_option_and_never_a_value():
    with pytest.raises(InputError) as caught:
        check_inputs(passwords=(("password", "Secret\nTwo", False), ("previous_password", "", True),
                                ("admin_password", None, True)),
                     short_names=(("user", "../x", False), ("admin_user", None, True)))
    message = str(caught.value)
    assert message.startswith("password contains a line break")
    assert "previous_password is empty" in message and "; user may contain only" in message
    assert "must not start with '.'" in message
    assert "admin_password" not in message and "admin_user" not in message  # optional, not given
    assert "Secret" not in message and "nothing was checked or changed" in message


@pytest.mark.parametrize("options", [
    dict(password=""), dict(password=None), dict(password="x" * 128), dict(password={"a": "b"}),
    dict(password="lone\ud800surrogate"), dict(password=NEW, previous_password="nul\x00"),
    dict(password=NEW, previous_password=""), dict(password=NEW, admin_password="   "),
    dict(password=NEW, user="../alice"), dict(password=NEW, admin_user="-x"),
])
def test_password_sync_refuses_before_any_tool_runs(options):
    runner = ToolRunner(search_path=[])  # any tool call would fail with "not found"
    kwargs = dict(dict(user="alice", admin_user="_jumpcloudserviceaccount"), **options)
    user = kwargs.pop("user")
    password = kwargs.pop("password")
    with pytest.raises(InputError):
        PasswordSync(runner, user, password, **kwargs)


def test_runner_keeps_only_string_secrets_and_reads_plists_without_tracebacks():
    runner = ToolRunner(secrets=[{"a": "b"}, 12345, "", "Real-Secret-1"], search_path=[])
    assert runner.redact("x Real-Secret-1 y") == "x ******** y"
    garbage = ToolResult(["/usr/sbin/diskutil"], 0, "\ufffd\ufffd not a plist", "")
    with pytest.raises(ToolError) as caught:
        runner.plist(garbage)
    assert "diskutil printed no readable property list" in str(caught.value)
    with pytest.raises(ToolError):
        runner.plist(ToolResult(["/usr/sbin/diskutil"], 0, '<?xml version="1.0"?><plist><array/></plist>', ""))


# -- failures during apply: the message, and the Preboot marker ------------------------------------------------
PRELUDE = """
import json
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.runner import ToolRunner
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.account import CredentialError
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.sync import PasswordSync
"""
# Inspect, plan and apply one PasswordSync on Python 3.9; prints [plan, the error or None, *extra].
APPLY = """
sync.inspect()
plan = sync.make_plan()
try:
    sync.apply()
    message = None
except CredentialError as exc:
    message = str(exc)
print(json.dumps([plan, message] + EXTRA()))
"""


def _run_apply(host, values, setup, extra="[]"):
    script = PRELUDE + "".join("%s = %s\n" % (name, json.dumps(value)) for name, value in values.items())
    script += setup + "\nEXTRA = lambda: %s\n" % extra + textwrap.dedent(APPLY)
    proc = run_on_python39(script, env=host.env())
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def _apply(host):
    return _run_apply(host, {"OLD": OLD, "NEW": NEW}, 'runner = ToolRunner(secrets=[OLD, NEW])\n'
                      'sync = PasswordSync(runner, "alice", NEW, previous_password=OLD)')


def _marker(host):
    path = _state.preboot_info_path(host.root, host.state()["volume"]["group_uuid"])
    info = os.stat(path)
    return info.st_atime_ns, info.st_mtime_ns


def test_first_write_refused_leaves_the_preboot_marker_as_found(make_host):
    host = make_host({"users": [{"name": "alice", "password": OLD}]})
    marker = _marker(host)
    host.add_fault(mode="fail", tool="dscl", command="-passwd", kind="write")
    plan, message = _apply(host)
    assert plan["login"] == "change" and plan["preboot"] == "update"
    assert message.startswith("the local password did not change")
    assert "no store was changed" in message and "the Preboot marker is as it was" in message
    assert "not changed: the local password, FileVault, the login keychain, Preboot" in message
    assert _marker(host) == marker
    assert host.login_ok("alice", OLD) and host.filevault_ok("alice", OLD) and host.keychain_ok("alice", OLD)


def test_failure_after_a_filevault_change_says_so_and_leaves_preboot_stale(make_host):
    host = make_host({"users": [{"name": "alice", "password": OLD}]})
    host.add_fault(mode="fail", tool="security", command="set-keychain-password", kind="write")
    plan, message = _apply(host)
    assert plan["keychain"] == "rekey"
    assert "changed by this run: the local password, FileVault" in message
    assert "may have changed: the login keychain" in message and "not changed: Preboot" in message
    assert "Preboot is marked stale so a re-run refreshes it" in message
    assert "no store was changed" not in message
    assert host.login_ok("alice", NEW) and host.filevault_ok("alice", NEW) and not host.preboot_ok("alice", NEW)
    assert _marker(host)[1] == 0  # aged: the next run finds Preboot stale and refreshes it


def test_failed_update_preboot_alone_leaves_the_marker_as_found(make_host):
    # Everything in step but Preboot (stale): the one write is updatePreboot, and it fails.
    host = make_host({"users": [{"name": "alice", "password": NEW, "preboot": OLD}]})
    marker = _marker(host)
    host.add_fault(mode="fail", tool="diskutil", command="updatePreboot", kind="write")
    plan, message = _apply(host)
    assert [plan[s] for s in ("login", "filevault", "keychain", "preboot")] == ["none", "none", "none", "update"]
    assert "no store was changed" in message and "the Preboot marker is as it was" in message
    assert _marker(host) == marker


# -- the Secure Enclave's budget during apply ------------------------------------------------------------------
HISTORY = ["History-Pass-0", "History-Pass-1", "History-Pass-2", "History-Pass-3"]


def _apply_history(host):
    return _run_apply(host, {"NEW": NEW, "SVC": SVC, "HISTORY": HISTORY},
                      'runner = ToolRunner(secrets=[NEW, SVC] + HISTORY)\n'
                      'sync = PasswordSync(runner, "alice", NEW, previous_passwords=HISTORY, '
                      'admin_user="_jumpcloudserviceaccount", admin_password=SVC)',
                      extra="[sync.filevault.budget.failures]")


def _wrong_passphrases(host):
    return len([r for r in host.audit() if r["tool"] == "diskutil" and "unlockVolume" in r["argv"] and r["exit"]])


@pytest.mark.parametrize("reset_fails", [False, True])
def test_filevault_admin_reset_stays_inside_the_secure_enclave_budget(make_host, reset_fails):
    """No candidate opens FileVault: inspect() spends three wrong passphrases (one of the four kept back). The admin
    reset is then checked with the one kept back, with no wrong "is it carried already?" check before it: a reset
    that did not take costs the fourth, never a fifth (the Secure Enclave delays the fifth)."""
    host = make_host({"users": [{"name": "alice", "password": NEW, "filevault": "Lost-Pass-9"}]})
    if reset_fails:
        host.add_fault(mode="fail", tool="sysadminctl", command="-resetPasswordFor", kind="write")
    plan, message, failures = _apply_history(host)
    assert plan["login"] == "none" and plan["filevault"] == "admin_reset"
    if reset_fails:
        assert message.startswith("FileVault still does not open with the new password after sysadminctl")
        assert "changed by this run" not in message  # the check just made says so: no guess, no further check
        assert not host.filevault_ok("alice", NEW)
    else:
        assert message is None and host.filevault_ok("alice", NEW)
    assert _wrong_passphrases(host) == failures == (4 if reset_fails else 3)
