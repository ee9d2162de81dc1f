"""macsim's shared machinery: audit log, faults, prompts, strictness."""

import pytest


def test_sw_vers_and_audit(make_host, run):
    host = make_host({"os_version": "14.6.1"})
    result = run(host, "sw_vers", "-productVersion")
    assert (result.rc, result.stdout) == (0, "14.6.1\n")
    record = host.audit()[-1]
    assert record["tool"] == "sw_vers" and record["argv"] == ["-productVersion"]
    assert record["exit"] == 0 and record["kind"] == "read" and record["stdin"] is None


def test_unknown_flag_is_a_usage_error(make_host, run):
    host = make_host()
    result = run(host, "sw_vers", "-bogus")
    assert result.rc != 0 and "usage" in result.stderr.lower()


def test_stdin_is_recorded_as_a_hash_never_as_text(make_host, run):
    host = make_host({"users": [{"name": "alice", "password": "Alice-Pass-1"}]})
    run(host, "dscl", "-q", ".", input="authonly alice Alice-Pass-1\n")
    record = host.audit()[-1]
    assert record["stdin"]["bytes"] == len("authonly alice Alice-Pass-1\n")
    assert len(record["stdin"]["sha256"]) == 64
    with open(host.root + "/audit.jsonl") as handle:
        assert "Alice-Pass-1" not in handle.read()


def test_no_password_is_stored_in_the_host_state(make_host):
    host = make_host({"users": [{"name": "alice", "password": "Alice-Pass-1",
                                 "keychain": {"password": "Old-Keychain-Pass"}}]})
    for path in [host.root + "/state.json", host.keychain_path("alice")]:
        with open(path) as handle:
            text = handle.read()
        assert "Alice-Pass-1" not in text and "Old-Keychain-Pass" not in text


def test_fail_fault_hits_the_nth_matching_call_only(make_host, run):
    host = make_host({"users": [{"name": "alice", "password": "Alice-Pass-1"}]})
    host.add_fault(mode="fail", tool="dscl", nth=2, exit=7, message="injected")
    assert run(host, "dscl", ".", "-authonly", "alice", "Alice-Pass-1").rc == 0
    second = run(host, "dscl", ".", "-authonly", "alice", "Alice-Pass-1")
    assert (second.rc, second.stderr) == (7, "injected\n")
    assert run(host, "dscl", ".", "-authonly", "alice", "Alice-Pass-1").rc == 0
    assert [r["fault"] for r in host.audit()] == [None, {"command": "-authonly", "mode": "fail"}, None]


def test_fault_on_the_nth_write_of_any_tool(make_host, run):
    host = make_host({"users": [{"name": "alice", "password": "Alice-Pass-1"}]})
    host.add_fault(mode="fail", tool="*", kind="write", nth=1)
    assert run(host, "dscl", ".", "-authonly", "alice", "Alice-Pass-1").rc == 0  # a read: not counted
    result = run(host, "dscl", ".", "-passwd", "/Users/alice", "Alice-Pass-1", "Alice-New-2")
    assert result.rc == 1 and host.login_ok("alice", "Alice-Pass-1")


def test_die_fault_kills_half_way_and_is_logged(make_host, run):
    host = make_host({"users": [{"name": "alice", "password": "Alice-Pass-1"}]})
    host.add_fault(mode="die", tool="dscl", command="-passwd")
    result = run(host, "dscl", ".", "-passwd", "/Users/alice", "Alice-Pass-1", "Alice-New-2")
    assert result.rc == -9
    # First of two steps done: the local password changed, FileVault did not follow.
    assert host.login_ok("alice", "Alice-New-2") and host.filevault_ok("alice", "Alice-Pass-1")
    assert host.audit()[-1]["exit"] == -9


def test_hundreds_of_hosts_from_the_cli_quickly(tmp_path):
    import subprocess
    import sys
    import time
    from credsync_testlib import TESTS_DIR
    started = time.time()
    proc = subprocess.run([sys.executable, "-m", "macsim", "create", "--out", str(tmp_path / "fleet"),
                           "--scenario", "in_sync", "--scenario", "stale_preboot", "--count", "300",
                           "--inventory", str(tmp_path / "inventory.yml")],
                          cwd=TESTS_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    elapsed = time.time() - started
    assert proc.returncode == 0, proc.stdout
    assert len(list((tmp_path / "fleet").iterdir())) == 300
    # Generous bound: ~1 s here; the point is "hundreds in seconds", not a benchmark.
    assert elapsed < 60
    inventory = (tmp_path / "inventory.yml").read_text()
    assert "mac-300:" in inventory and "ansible_python_interpreter" in inventory


def test_scenario_stale_preboot(make_host):
    import macsim
    from macsim.__main__ import SCENARIO_DIR
    host = make_host(macsim.load_scenario(SCENARIO_DIR + "/stale_preboot.yml"))
    assert host.login_ok("alice", "Directory-Pass-2") and host.filevault_ok("alice", "Directory-Pass-2")
    assert not host.preboot_fresh("alice") and host.preboot_ok("alice", "Previous-Pass-1")
    assert host.keychain_ok("alice", "Previous-Pass-1") and len(host.keychain_items("alice")) == 5
    assert host.keychain_locked("alice")


def test_host_python_is_39_and_puts_the_tools_first_on_path(make_host):
    import subprocess
    host = make_host()
    out = subprocess.run([host.python, "-c", "import shutil, sys; print(sys.version_info[:2], shutil.which('dscl'))"],
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    assert out.strip() == "(3, 9) %s/dscl" % host.bin


@pytest.mark.parametrize("tool,args", [
    ("dscl", [".", "--bogus-flag", "/Users/alice"]),  # after -read it would be a key name, as in dscl
    ("dscl", ["--bogus-flag", ".", "-read", "/Users/alice"]),
    ("sysadminctl", ["-secureTokenStatus", "alice", "--bogus-flag"]),
    ("fdesetup", ["status", "--bogus-flag"]),
    ("diskutil", ["apfs", "listCryptoUsers", "/", "--bogus-flag"]),
    ("security", ["show-keychain-info", "--bogus-flag"]),
    ("security", ["--bogus-flag"]),
    ("pwpolicy", ["-u", "alice", "-getaccountpolicies", "--bogus-flag"]),
    ("dscacheutil", ["-flushcache", "--bogus-flag"]),
    ("sw_vers", ["--bogus-flag"]),
])
def test_an_unknown_flag_to_any_tool_fails(make_host, run, tool, args):
    host = make_host({"users": [{"name": "alice", "password": "Alice-Pass-1"}]})
    before = host.state()
    result = run(host, tool, *args)
    assert result.rc != 0, result
    assert result.stdout + result.stderr, "a failure must say something"
    after = host.state()
    assert after["users"] == before["users"] and after["crypto_users"] == before["crypto_users"]
