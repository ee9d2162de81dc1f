"""sysadminctl and pwpolicy stand-ins."""

import plistlib
import re

import pytest

from macsim import SERVICE_ACCOUNT

SVC_PASS = "Svc-Acct-Pass-1"
NSLOG = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} sysadminctl\[\d+:\d+\] ")


@pytest.fixture
def host(make_host):
    return make_host({"users": [
        {"name": "alice", "password": "Alice-Pass-1"},
        {"name": "bob", "password": "Bob-Pass-1", "secure_token": False, "filevault": False},
        {"name": "carol", "password": "Carol-Pass-1", "admin": True, "secure_token": False, "filevault": False},
    ]})


def test_secure_token_status_on_stderr_with_nslog_prefix(host, run):
    result = run(host, "sysadminctl", "-secureTokenStatus", "alice")
    assert result.rc == 0 and result.stdout == ""
    assert NSLOG.match(result.stderr)
    assert result.stderr.split()[6] == "ENABLED"
    assert run(host, "sysadminctl", "-secureTokenStatus", "bob").stderr.split()[6] == "DISABLED"


def test_admin_reset_keeps_filevault_but_not_keychain_or_preboot(host, run):
    result = run(host, "sysadminctl", "-resetPasswordFor", "alice", "-newPassword", "-",
                 "-adminUser", SERVICE_ACCOUNT, "-adminPassword", "-", input="Alice-New-2\n%s\n" % SVC_PASS)
    assert result.rc == 0, result
    assert host.login_ok("alice", "Alice-New-2") and host.filevault_ok("alice", "Alice-New-2")
    assert host.keychain_ok("alice", "Alice-Pass-1")
    assert not host.preboot_fresh("alice")
    record = host.audit()[-1]
    assert record["kind"] == "write" and record["stdin"]["bytes"] > 0
    assert "Alice-New-2" not in str(record) and SVC_PASS not in str(record)


def test_reset_of_token_user_without_token_admin_is_refused_with_exit_zero(host, run):
    result = run(host, "sysadminctl", "-resetPasswordFor", "alice", "-newPassword", "-",
                 "-adminUser", "carol", "-adminPassword", "-", input="Alice-New-2\nCarol-Pass-1\n")
    assert result.rc == 0
    assert "Operation is not permitted without secure token unlock." in result.stderr
    assert host.login_ok("alice", "Alice-Pass-1") and not host.audit()[-1]["mutated"]


def test_reset_with_wrong_admin_password_is_refused(host, run):
    result = run(host, "sysadminctl", "-resetPasswordFor", "alice", "-newPassword", "-",
                 "-adminUser", SERVICE_ACCOUNT, "-adminPassword", "-", input="Alice-New-2\nwrong\n")
    assert result.rc == 0 and "### Error:-14090" in result.stderr
    assert host.login_ok("alice", "Alice-Pass-1")


def test_reset_of_non_token_user_needs_no_admin(host, run):
    assert run(host, "sysadminctl", "-resetPasswordFor", "bob", "-newPassword", "-", input="Bob-New-2\n").rc == 0
    assert host.login_ok("bob", "Bob-New-2")


def test_secure_token_on_adds_crypto_user(host, run):
    result = run(host, "sysadminctl", "-secureTokenOn", "carol", "-password", "-", "-adminUser", SERVICE_ACCOUNT,
                 "-adminPassword", "-", input="Carol-Pass-1\n%s\n" % SVC_PASS)
    assert result.rc == 0 and host.secure_token("carol") and host.filevault_ok("carol", "Carol-Pass-1")


def test_die_half_way_through_reset_leaves_filevault_behind(host, run):
    host.add_fault(mode="die", tool="sysadminctl", command="-resetPasswordFor")
    result = run(host, "sysadminctl", "-resetPasswordFor", "alice", "-newPassword", "-",
                 "-adminUser", SERVICE_ACCOUNT, "-adminPassword", "-", input="Alice-New-2\n%s\n" % SVC_PASS)
    assert result.rc == -9
    assert host.login_ok("alice", "Alice-New-2") and host.filevault_ok("alice", "Alice-Pass-1")
    assert host.audit()[-1]["exit"] == -9 and host.audit()[-1]["fault"]["mode"] == "die"


@pytest.mark.parametrize("args", [
    [],
    ["-secureTokenStatus"],
    ["-resetPasswordFor", "alice"],
    ["-resetPasswordFor", "alice", "-newPassword"],
    ["-newPassword", "x", "-resetPasswordFor", "alice"],
    ["-resetPasswordFor", "alice", "-newPassword", "x", "-adminUser", "carol"],
    ["-resetPasswordFor", "alice", "-newPassword", "x", "-bogus", "1"],
    ["-secureTokenStatus", "alice", "extra"],
])
def test_usage_errors(host, run, args):
    result = run(host, "sysadminctl", *args)
    assert result.rc != 0 and "Usage: sysadminctl" in result.stderr
    assert host.audit()[-1]["kind"] == "read" and not host.audit()[-1]["mutated"]


def test_pwpolicy_accountpolicies_roundtrip(host, run, tmp_path):
    document = {"policyCategoryAuthentication": [{
        "policyContent": "(policyAttributeFailedAuthentications < policyAttributeMaximumFailedAuthentications)",
        "policyIdentifier": "com.apple.maximumFailedLoginAttempts",
        "policyParameters": {"policyAttributeMaximumFailedAuthentications": 2}}]}
    path = tmp_path / "policy.plist"
    path.write_bytes(plistlib.dumps(document))
    assert run(host, "pwpolicy", "-setaccountpolicies", str(path)).rc == 0
    result = run(host, "pwpolicy", "-u", "alice", "-getaccountpolicies")
    assert result.stdout.startswith("Getting account policies for user <alice>\n")
    result = run(host, "pwpolicy", "-getaccountpolicies")
    assert "policyAttributeMaximumFailedAuthentications" in result.stdout
    for _attempt in range(2):
        run(host, "dscl", ".", "-authonly", "alice", "wrong")
    assert run(host, "dscl", ".", "-authonly", "alice", "Alice-Pass-1").rc == 87
    assert "Policy allows" not in run(host, "pwpolicy", "-u", "alice", "-authentication-allowed").stdout


def test_pwpolicy_disable_and_enable(host, run):
    assert run(host, "pwpolicy", "-u", "bob", "-disableuser").rc == 0
    assert run(host, "dscl", ".", "-authonly", "bob", "Bob-Pass-1").rc == 87
    assert run(host, "pwpolicy", "-u", "bob", "-enableuser").rc == 0
    assert run(host, "dscl", ".", "-authonly", "bob", "Bob-Pass-1").rc == 0


@pytest.mark.parametrize("args", [[], ["-u"], ["-u", "alice"], ["-authentication-allowed"],
                                  ["-u", "alice", "-bogus"], ["-setaccountpolicies"],
                                  ["-u", "alice", "-setglobalpolicy", "maxFailedLoginAttempts=3"]])
def test_pwpolicy_usage_errors(host, run, args):
    assert run(host, "pwpolicy", *args).rc != 0


def test_dscacheutil(host, run):
    assert run(host, "dscacheutil", "-flushcache").stdout == ""
    result = run(host, "dscacheutil", "-q", "user", "-a", "name", "alice")
    assert "name: alice" in result.stdout and "uid: 501" in result.stdout
    assert run(host, "dscacheutil", "-q").rc != 0


@pytest.mark.parametrize("global_limit, user_limit", [(2, 10), (10, 2)])
def test_pwpolicy_global_and_user_policies_both_apply(host, run, tmp_path, global_limit, user_limit):
    """A user policy does not replace the global one: Open Directory refuses when any policy fails, so the lowest
    threshold locks, whichever level sets it."""
    assert run(host, "pwpolicy", "-setglobalpolicy", "maxFailedLoginAttempts=%d" % global_limit).rc == 0
    document = {"policyCategoryAuthentication": [{
        "policyContent": "(policyAttributeFailedAuthentications < policyAttributeMaximumFailedAuthentications)",
        "policyIdentifier": "com.apple.maximumFailedLoginAttempts",
        "policyParameters": {"policyAttributeMaximumFailedAuthentications": user_limit}}]}
    path = tmp_path / "policy.plist"
    path.write_bytes(plistlib.dumps(document))
    assert run(host, "pwpolicy", "-u", "alice", "-setaccountpolicies", str(path)).rc == 0
    run(host, "dscl", ".", "-authonly", "alice", "wrong")
    assert "Policy allows" in run(host, "pwpolicy", "-u", "alice", "-authentication-allowed").stdout
    run(host, "dscl", ".", "-authonly", "alice", "wrong")
    assert run(host, "dscl", ".", "-authonly", "alice", "Alice-Pass-1").rc == 87
    assert "Policy allows" not in run(host, "pwpolicy", "-u", "alice", "-authentication-allowed").stdout
