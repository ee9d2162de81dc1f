"""macos_credential_info and macos_account_unlock through ansible-playbook on simulated Macs (macsim).

Facts are compared with what macsim's own state says; the audit log proves the info module writes nothing
and that no password reaches any argv or the -vvv output.
"""

import json

from credsync_testlib import DIRECTORY_PASSWORD as NEW
from credsync_testlib import MAC_USER as USER
from credsync_testlib import MAX_FAILED_LOGINS as MAX_FAILED
from credsync_testlib import PREVIOUS_PASSWORD as OLD
from credsync_testlib import mac_scenario, mac_user

INFO = "macfleet.credsync.macos_credential_info"
UNLOCK = "macfleet.credsync.macos_account_unlock"
WRONG = "Wrong-Pass-7"
PASSWORDS = (OLD, NEW, WRONG)


def alice(**user):
    return mac_user(NEW, **user)


def assert_no_secret(run, *hosts):
    for secret in PASSWORDS:
        assert secret not in run.output, "a password reached ansible-playbook's output"
        assert secret not in json.dumps(run.results)
    for host in hosts:
        assert host.calls_with_secret(PASSWORDS) == []


def lock_out(host, run_tool):
    """Fail `authonly` until pwpolicy refuses alice, as repeated wrong passwords at the login window would."""
    for _attempt in range(MAX_FAILED):
        run_tool(host, "dscl", ".", "-authonly", USER, input=WRONG + "\n")
    result = run_tool(host, "pwpolicy", "-u", USER, "-authentication-allowed")
    assert "is not allowed to authenticate" in result.stdout, result


# -- macos_credential_info -------------------------------------------------------------------------------


def test_info_reports_each_store_and_writes_nothing(ansible, make_host):
    in_sync = make_host({"hostname": "in-sync", "users": [alice()]})
    drift = make_host({"hostname": "drift", "users": [alice(filevault=OLD, preboot=OLD,
                                                            keychain={"password": OLD, "items": 2})]})
    no_fv = make_host({"hostname": "fv-off", "filevault": False, "users": [alice()]})
    no_token = make_host({"hostname": "no-token", "users": [alice(secure_token=False, filevault=False,
                                                                  keychain=False)]})
    hosts = [in_sync, drift, no_fv, no_token]
    run = ansible(hosts, INFO, {"user": USER, "password": NEW}, verbosity=3)
    assert run.rc == 0, run
    assert_no_secret(run, *hosts)
    for host in hosts:
        assert run[host.name]["changed"] is False
        assert host.write_calls() == [], "the info module wrote on %s" % host.name

    facts = run[in_sync.name]
    assert facts["secure_token"] is True and facts["filevault"] is True and facts["crypto_user"] is True
    assert facts["preboot_stale"] is False and facts["failed_login_count"] == 0 and facts["locked_out"] is False
    assert facts["keychain"] == {"path": in_sync.keychain_path(USER), "present": True, "locked": True}
    assert facts["accepts"] == {"login": True, "filevault": True, "keychain": True}

    facts = run[drift.name]
    assert facts["accepts"] == {"login": True, "filevault": False, "keychain": False}
    assert facts["preboot_stale"] is (not drift.preboot_fresh(USER))

    facts = run[no_fv.name]
    assert facts["filevault"] is False and facts["crypto_user"] is None and facts["preboot_stale"] is None
    assert facts["accepts"]["filevault"] is None and facts["accepts"]["login"] is True

    facts = run[no_token.name]
    assert facts["secure_token"] is False and facts["crypto_user"] is False
    assert facts["keychain"]["present"] is False and facts["keychain"]["locked"] is None
    assert facts["accepts"]["keychain"] is None


def test_info_without_password_returns_no_accepts(ansible, make_host):
    host = make_host({"hostname": "plain", "users": [alice()]})
    run = ansible([host], INFO, {"user": USER})
    assert run.rc == 0, run
    assert "accepts" not in run[host.name]
    assert host.write_calls() == []


def test_info_leaves_an_unlocked_keychain_unlocked(ansible, make_host):
    logged_in = alice(keychain={"password": NEW, "items": 2, "locked": False})
    host = make_host({"hostname": "logged-in", "users": [logged_in]})
    run = ansible([host], INFO, {"user": USER, "password": WRONG})
    assert run.rc == 0, run
    facts = run[host.name]
    assert facts["keychain"]["locked"] is False and facts["accepts"]["keychain"] is None
    assert not host.keychain_locked(USER), "the info module locked the keychain of a logged-in user"


def test_info_logged_in_and_logged_out(ansible, make_host):
    """Both states: a session (keychain unlocked by it, never locked to test), a locked keychain under a session
    (tested and left locked), a user switched out behind another, and nobody logged in."""
    at_console = make_host({"hostname": "at-console", "users": [alice(logged_in=True)]})
    locked_in_session = make_host({"hostname": "locked-in-session", "users": [
        alice(logged_in=True, keychain={"password": OLD, "items": 2})]})
    switched_out = make_host({"hostname": "switched-out", "console_user": "bob", "users": [
        alice(logged_in=True), {"name": "bob", "password": OLD, "logged_in": True}]})
    logged_out = make_host({"hostname": "logged-out", "users": [alice()]})
    hosts = [at_console, locked_in_session, switched_out, logged_out]
    run = ansible(hosts, INFO, {"user": USER, "password": NEW}, verbosity=3)
    assert run.rc == 0, run
    assert_no_secret(run, *hosts)
    facts = {host.name: run[host.name] for host in hosts}
    assert [(facts[h.name]["logged_in"], facts[h.name]["console_user"]) for h in hosts] == [
        (True, USER), (True, USER), (True, "bob"), (False, None)]
    assert facts[at_console.name]["keychain"]["locked"] is False
    assert facts[at_console.name]["accepts"] == {"login": True, "filevault": True, "keychain": None}
    assert facts[locked_in_session.name]["keychain"]["locked"] is True
    assert facts[locked_in_session.name]["accepts"]["keychain"] is False
    assert facts[switched_out.name]["accepts"]["keychain"] is None
    assert facts[logged_out.name]["accepts"]["keychain"] is True
    for host in hosts:
        assert host.write_calls() == [] and host.session_keychain_locks() == []
    assert not at_console.keychain_locked(USER) and not switched_out.keychain_locked(USER)
    assert locked_in_session.keychain_locked(USER) and logged_out.keychain_locked(USER)


def test_info_check_mode_is_the_same_read(ansible, make_host):
    host = make_host({"hostname": "checked", "users": [alice()]})
    run = ansible([host], INFO, {"user": USER, "password": NEW}, check=True)
    assert run.rc == 0, run
    assert run[host.name]["accepts"] == {"login": True, "filevault": True, "keychain": True}
    assert host.write_calls() == []


def test_info_unknown_user_is_a_clear_error(ansible, make_host):
    host = make_host({"hostname": "nobody", "users": [alice()]})
    run = ansible([host], INFO, {"user": "mallory"})
    assert run.rc != 0 and run[host.name]["failed"]
    assert "mallory" in run[host.name]["msg"] and "not found" in run[host.name]["msg"].lower()


def test_info_reports_a_lockout(ansible, make_host, run):
    host = make_host(mac_scenario(alice(), hostname="locked", lockout=True))
    lock_out(host, run)
    result = ansible([host], INFO, {"user": USER})
    assert result.rc == 0, result
    assert result[host.name]["locked_out"] is True
    assert result[host.name]["failed_login_count"] == MAX_FAILED


# -- macos_account_unlock --------------------------------------------------------------------------------


def test_unlock_clears_a_lockout_check_then_real_then_idempotent(ansible, make_host, run):
    host = make_host(mac_scenario(alice(), hostname="unlock-me", lockout=True))
    lock_out(host, run)

    checked = ansible([host], UNLOCK, {"user": USER}, check=True, diff=True)
    assert checked.rc == 0 and checked[host.name]["changed"] is True, checked
    assert checked[host.name]["locked_before"] is True
    assert host.write_calls() == [], "check mode wrote"
    assert host.user(USER)["accountPolicyData"]["failedLoginCount"] == MAX_FAILED

    done = ansible([host], UNLOCK, {"user": USER}, diff=True, verbosity=3)
    assert done.rc == 0 and done[host.name]["changed"] is True, done
    assert done[host.name]["locked_before"] is True and done[host.name]["failed_login_count"] == MAX_FAILED
    assert done[host.name]["diff"]["before"] != done[host.name]["diff"]["after"]
    assert host.user(USER)["accountPolicyData"].get("failedLoginCount", 0) == 0  # dscl -deletepl drops the key
    allowed = run(host, "pwpolicy", "-u", USER, "-authentication-allowed")
    assert allowed.rc == 0 and "Policy allows user <alice> to authenticate" in allowed.stdout, allowed
    # The user logs in with the password they had: nothing was reset.
    assert run(host, "dscl", ".", "-authonly", USER, input=NEW + "\n").rc == 0
    assert host.login_ok(USER, NEW)
    assert_no_secret(done, host)

    writes = len(host.write_calls())
    again = ansible([host], UNLOCK, {"user": USER})
    assert again.rc == 0 and again[host.name]["changed"] is False, again
    assert again[host.name]["locked_before"] is False
    assert len(host.write_calls()) == writes, "an unlocked account was written to"


def test_unlock_of_an_account_that_was_never_locked_writes_nothing(ansible, make_host):
    host = make_host(mac_scenario(alice(failed_logins=1), hostname="fine", lockout=True))
    result = ansible([host], UNLOCK, {"user": USER}, diff=True)
    assert result.rc == 0 and result[host.name]["changed"] is False, result
    assert host.write_calls() == []
    assert host.user(USER)["accountPolicyData"]["failedLoginCount"] == 1


def test_unlock_refuses_a_disabled_account_and_says_so(ansible, make_host):
    host = make_host(mac_scenario(alice(disabled=True, failed_logins=MAX_FAILED), hostname="disabled", lockout=True))
    result = ansible([host], UNLOCK, {"user": USER})
    assert result.rc != 0 and result[host.name]["failed"], result
    assert "disabled" in result[host.name]["msg"].lower()
    assert host.user(USER)["disabled"] is True


def test_unlock_unknown_user_is_a_clear_error(ansible, make_host):
    host = make_host({"hostname": "unknown", "users": [alice()]})
    result = ansible([host], UNLOCK, {"user": "mallory"})
    assert result.rc != 0 and "mallory" in result[host.name]["msg"]
    assert host.write_calls() == []
