"""macsim fdesetup: status verbs, list, add/remove with their checks, strictness, faults, audit."""

import hashlib
import os
import plistlib

import pytest

from macsim import SERVICE_ACCOUNT

RECOVERY_UUID = "EBC6C064-0000-11AA-AA11-00306543ECAC"
SERVICE_PASSWORD = "Svc-Acct-Pass-1"  # the default service account's password

# alice: a FileVault user; bob and carol: local users not (yet) in FileVault.
SCENARIO = {"filevault": True, "users": [
    {"name": "alice", "password": "Alice-1", "admin": True},
    {"name": "bob", "password": "Bob-1", "filevault": False, "secure_token": False},
    {"name": "carol", "password": "Carol-1", "filevault": False, "secure_token": False},
]}


def _guid(host, name):
    return host.user(name)["GeneratedUID"]


def _plist(**keys):
    return plistlib.dumps(keys).decode("utf-8")


def _add_plist(user="alice", password="Alice-1", added=(("bob", "Bob-1"),)):
    return _plist(Username=user, Password=password,
                  AdditionalUsers=[{"Username": n, "Password": p} for n, p in added])


def _credential_state(host):
    """What add/remove may change: crypto users, Preboot, each user's token and password hash."""
    state = host.state()
    return (state["crypto_users"], state["preboot"],
            dict((n, (u["AuthenticationAuthority"], u["password"])) for n, u in state["users"].items()))


def _raw_audit(host):
    with open(os.path.join(host.root, "audit.jsonl")) as handle:
        return handle.read()


# -- status, isactive, haspersonalrecoverykey ---------------------------------------------
@pytest.mark.parametrize("filevault, text", [(True, "FileVault is On.\n"), (False, "FileVault is Off.\n")])
def test_status(make_host, run, filevault, text):
    host = make_host({"filevault": filevault})
    result = run(host, "fdesetup", "status")
    assert (result.rc, result.stdout, result.stderr) == (0, text, "")
    record = host.audit()[-1]
    assert record["kind"] == "read" and record["commands"] == [{"name": "status", "kind": "read"}]


@pytest.mark.parametrize("filevault, text, rc", [(True, "true\n", 0), (False, "false\n", 1)])
def test_isactive(make_host, run, filevault, text, rc):
    result = run(make_host({"filevault": filevault}), "fdesetup", "isactive")
    assert (result.rc, result.stdout, result.stderr) == (rc, text, "")


@pytest.mark.parametrize("scenario, answer", [
    ({}, "true\n"),
    ({"personal_recovery_key": False}, "false\n"),
    ({"filevault": False}, "false\n"),
])
def test_haspersonalrecoverykey(make_host, run, scenario, answer):
    result = run(make_host(scenario), "fdesetup", "haspersonalrecoverykey")
    assert (result.rc, result.stdout, result.stderr) == (0, answer, "")


# -- list ----------------------------------------------------------------------------------
def test_list_shows_open_directory_crypto_users_only(make_host, run):
    host = make_host(SCENARIO)
    result = run(host, "fdesetup", "list")
    assert result.rc == 0 and result.stderr == ""
    assert sorted(result.stdout.splitlines()) == sorted([
        "alice,%s" % _guid(host, "alice"), "%s,%s" % (SERVICE_ACCOUNT, _guid(host, SERVICE_ACCOUNT))])
    assert RECOVERY_UUID not in result.stdout and "bob" not in result.stdout


def test_list_extended_table(make_host, run):
    host = make_host(SCENARIO)
    result = run(host, "fdesetup", "list", "-extended")
    assert result.rc == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "ESCROW  UUID" + " " * 52 + "TYPE USER"
    alice = " " * 8 + _guid(host, "alice") + " " * 17 + "OS User alice"
    assert alice in lines
    # TYPE is right-aligned under the header's TYPE, as in public output.
    assert alice.index("OS User") + len("OS User") == lines[0].index("TYPE") + len("TYPE")
    recovery = [line for line in lines if RECOVERY_UUID in line]
    assert len(recovery) == 1 and recovery[0].endswith(" Personal Recovery Record")
    assert len(lines) == 4  # header, alice, service account, recovery key


def test_list_with_filevault_off_fails(make_host, run):
    result = run(make_host({"filevault": False}), "fdesetup", "list")
    assert result.rc == 1 and result.stdout == "" and "FileVault is Off" in result.stderr


# -- strictness ----------------------------------------------------------------------------
@pytest.mark.parametrize("args, rc", [
    ((), 12),
    (("bogus",), 13),
    (("Status",), 13),
    (("status", "-bogus"), 12),
    (("status", "extra"), 12),
    (("list", "-extended", "-extended"), 12),
    (("list", "-verbose"), 12),
    (("remove",), 12),
    (("remove", "-user"), 12),
    (("remove", "alice"), 12),
    (("add",), 12),
    (("add", "-usertoadd"), 12),
    (("add", "-usertoadd", "-inputplist"), 12),
    (("add", "-user", "bob"), 12),
])
def test_usage_errors_fail_and_change_nothing(make_host, run, args, rc):
    host = make_host(SCENARIO)
    before = _credential_state(host)
    result = run(host, "fdesetup", *args, input="")
    assert result.rc == rc and result.stdout == ""
    assert "Usage: fdesetup" in result.stderr
    assert _credential_state(host) == before
    assert host.write_calls() == [] or not host.write_calls()[-1]["mutated"]


@pytest.mark.parametrize("verb", ["enable", "disable", "changerecovery", "sync"])
def test_unsimulated_verbs_are_refused(make_host, run, verb):
    host = make_host(SCENARIO)
    before = _credential_state(host)
    result = run(host, "fdesetup", verb, input="")
    assert result.rc == 99 and "not simulated" in result.stderr
    assert _credential_state(host) == before


def test_authrestart_is_refused(make_host, run):
    host = make_host(SCENARIO)
    before = _credential_state(host)
    result = run(host, "fdesetup", "authrestart", "-inputplist", input=_plist(Username="alice", Password="Alice-1"))
    assert result.rc == 99 and result.stdout == ""
    assert "authrestart" in result.stderr and "restart" in result.stderr
    assert _credential_state(host) == before
    assert "Alice-1" not in _raw_audit(host)


# -- add -------------------------------------------------------------------------------------
def test_add_via_inputplist(make_host, run):
    host = make_host(SCENARIO)
    stdin = _add_plist()
    result = run(host, "fdesetup", "add", "-usertoadd", "bob", "-inputplist", input=stdin)
    assert (result.rc, result.stdout, result.stderr) == (0, "", "")
    assert host.filevault_ok("bob", "Bob-1") and host.secure_token("bob")
    assert "bob,%s" % _guid(host, "bob") in run(host, "fdesetup", "list").stdout
    assert host.state()["crypto_users"][_guid(host, "bob")]["type"] == "Local Open Directory User"
    # The login window only learns about bob once Preboot is updated.
    assert not host.preboot_ok("bob", "Bob-1")
    assert run(host, "diskutil", "apfs", "updatePreboot", "/").rc == 0
    assert host.preboot_ok("bob", "Bob-1") and host.preboot_fresh("bob")

    record = [r for r in host.audit() if r["tool"] == "fdesetup" and r["argv"][0] == "add"][0]
    assert record["argv"] == ["add", "-usertoadd", "bob", "-inputplist"]
    assert record["kind"] == "write" and record["mutated"] is True and record["exit"] == 0
    assert record["stdin"] == {"bytes": len(stdin.encode()), "sha256": hashlib.sha256(stdin.encode()).hexdigest()}
    raw = _raw_audit(host)
    assert "Bob-1" not in raw and "Alice-1" not in raw


def test_add_every_additional_user_without_usertoadd(make_host, run):
    host = make_host(SCENARIO)
    result = run(host, "fdesetup", "add", "-inputplist", input=_add_plist(added=(("bob", "Bob-1"), ("carol", "Carol-1"))))
    assert result.rc == 0, result
    assert host.filevault_ok("bob", "Bob-1") and host.filevault_ok("carol", "Carol-1")
    assert host.secure_token("bob") and host.secure_token("carol")


def test_add_with_prompts(make_host, run):
    host = make_host(SCENARIO)
    result = run(host, "fdesetup", "add", "-usertoadd", "bob", input="alice\nAlice-1\nBob-1\n")
    assert result.rc == 0, result
    assert "Enter the user name:" in result.stderr
    assert "Enter the password for user 'alice':" in result.stderr
    assert "Enter the password for the added user 'bob':" in result.stderr
    assert host.filevault_ok("bob", "Bob-1") and host.secure_token("bob")
    assert "Alice-1" not in _raw_audit(host) and "Bob-1" not in _raw_audit(host)


def test_add_prompts_for_passwords_missing_from_the_plist(make_host, run):
    host = make_host(SCENARIO)
    stdin = _plist(Username="alice", Password="Alice-1", AdditionalUsers=[{"Username": "bob"}])
    result = run(host, "fdesetup", "add", "-usertoadd", "bob", "-inputplist", input=stdin)
    # The plist took all of stdin: the prompt meets end of input and the add fails.
    assert result.rc == 17 and "Enter the password for the added user 'bob':" in result.stderr
    assert not host.filevault_ok("bob", "Bob-1")


@pytest.mark.parametrize("scenario_change, args, stdin, rc, needle", [
    (None, ("-usertoadd", "bob", "-inputplist"), _add_plist(password="wrong"), 11, "authentication failed"),
    (None, ("-usertoadd", "bob", "-inputplist"), _add_plist(user="nobody"), 11, "authentication failed"),
    # carol has a login password but is no FileVault user: she cannot authorise.
    (None, ("-usertoadd", "bob", "-inputplist"), _add_plist(user="carol", password="Carol-1"), 11, "authentication failed"),
    (None, ("-usertoadd", "bob", "-inputplist"), _add_plist(added=(("bob", "wrong"),)), 17, "not correct"),
    (None, ("-usertoadd", "ghost", "-inputplist"), _add_plist(added=(("ghost", "x"),)), 30, "user record"),
    (None, ("-usertoadd", "alice", "-inputplist"),
     _add_plist(user=SERVICE_ACCOUNT, password=SERVICE_PASSWORD, added=(("alice", "Alice-1"),)), 17, "already enabled"),
    (None, ("-usertoadd", "bob", "-inputplist"), _add_plist(added=(("carol", "Carol-1"),)), 12, "AdditionalUsers"),
    (None, ("-inputplist",), _plist(Username="alice", Password="Alice-1"), 12, "No users to add"),
    (None, ("-usertoadd", "bob", "-inputplist"), "this is not a plist", 15, "plist"),
    (None, ("-usertoadd", "bob", "-inputplist"), _plist(Password="Alice-1"), 15, "user name"),
    (None, ("-usertoadd", "bob", "-inputplist"), plistlib.dumps(["alice"]).decode(), 15, "plist"),
    ("filevault_off", ("-usertoadd", "bob", "-inputplist"), _add_plist(), 1, "FileVault is Off"),
])
def test_add_rejections_change_nothing(make_host, run, scenario_change, args, stdin, rc, needle):
    scenario = dict(SCENARIO, filevault=False) if scenario_change == "filevault_off" else SCENARIO
    host = make_host(scenario)
    before = _credential_state(host)
    result = run(host, "fdesetup", "add", *args, input=stdin)
    assert result.rc == rc, result
    assert needle.lower() in result.stderr.lower() and result.stdout == ""
    assert _credential_state(host) == before
    assert host.audit()[-1]["mutated"] is False
    assert "Alice-1" not in _raw_audit(host)


def test_add_needs_the_authoriser_login_and_filevault_passwords_in_step(make_host, run):
    """An authoriser whose FileVault passphrase lags its login password cannot add anyone."""
    host = make_host({"users": [{"name": "alice", "password": "New-1", "filevault": "Old-1"},
                                {"name": "bob", "password": "Bob-1", "filevault": False, "secure_token": False}]})
    for password in ("New-1", "Old-1"):
        result = run(host, "fdesetup", "add", "-usertoadd", "bob", "-inputplist", input=_add_plist(password=password))
        assert result.rc == 11
    assert not host.filevault_ok("bob", "Bob-1")


# -- remove ----------------------------------------------------------------------------------
def test_remove_user(make_host, run):
    host = make_host(SCENARIO)
    guid = _guid(host, "alice")
    result = run(host, "fdesetup", "remove", "-user", "alice")
    assert (result.rc, result.stdout, result.stderr) == (0, "", "")
    assert guid not in host.state()["crypto_users"] and not host.secure_token("alice")
    assert "alice" not in run(host, "fdesetup", "list").stdout
    assert host.audit()[-2]["kind"] == "write" and host.audit()[-2]["mutated"] is True
    # Preboot still lists alice until it is updated.
    assert guid in host.state()["preboot"]


@pytest.mark.parametrize("scenario, user, needle", [
    (SCENARIO, "bob", "not a FileVault user"),
    (SCENARIO, "ghost", "user record"),
    ({"service_account": None, "users": [{"name": "alice", "password": "Alice-1"}]}, "alice", "last FileVault user"),
])
def test_remove_rejections(make_host, run, scenario, user, needle):
    host = make_host(scenario)
    before = _credential_state(host)
    result = run(host, "fdesetup", "remove", "-user", user)
    assert result.rc == 25 and needle in result.stderr
    assert _credential_state(host) == before


# -- faults ------------------------------------------------------------------------------------
def test_fail_fault_fails_the_second_call(make_host, run):
    host = make_host(SCENARIO)
    host.add_fault(mode="fail", tool="fdesetup", nth=2)
    first = run(host, "fdesetup", "status")
    second = run(host, "fdesetup", "status")
    third = run(host, "fdesetup", "status")
    assert first.rc == 0 and third.rc == 0
    assert second.rc == 1 and second.stdout == "" and "injected failure" in second.stderr
    records = host.audit()
    assert [r["exit"] for r in records] == [0, 1, 0]
    assert records[1]["fault"] == {"mode": "fail", "command": "status"}


def test_die_fault_during_add_is_logged_as_killed(make_host, run):
    host = make_host(SCENARIO)
    host.add_fault(mode="die", tool="fdesetup", command="add")
    result = run(host, "fdesetup", "add", "-usertoadd", "bob", "-inputplist", input=_add_plist())
    assert result.rc == -9
    record = host.audit()[-1]
    assert record["exit"] == -9 and record["fault"] == {"mode": "die", "command": "add"}
    # Killed half-way: the crypto user exists, the secure token grant never ran.
    assert host.filevault_ok("bob", "Bob-1") and not host.secure_token("bob")
    assert "Bob-1" not in _raw_audit(host)
