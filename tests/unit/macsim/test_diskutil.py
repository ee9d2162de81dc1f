"""macsim diskutil apfs: listCryptoUsers, changePassphrase, unlockVolume -verify, updatePreboot."""

import hashlib
import os
import plistlib

import pytest

from macsim import SERVICE_ACCOUNT

RECOVERY_UUID = "EBC6C064-0000-11AA-AA11-00306543ECAC"
PREBOOT_END = ("UpdatePreboot: Exiting Update Preboot operation with overall error=(ZeroMeansSuccess)=0\n"
               "Finished APFS operation\n")

# alice changed her login password to New-1; FileVault and Preboot still hold Old-1.
SCENARIO = {"filevault": True, "users": [
    {"name": "alice", "password": "New-1", "filevault": "Old-1", "preboot": True, "admin": True},
    {"name": "bob", "password": "Bob-1", "filevault": False, "secure_token": False},
]}


def _guid(host, name):
    return host.user(name)["GeneratedUID"]


def _crypto_state(host):
    state = host.state()
    return state["crypto_users"], state["preboot"]


def _raw_audit(host):
    with open(os.path.join(host.root, "audit.jsonl")) as handle:
        return handle.read()


# -- listCryptoUsers -----------------------------------------------------------------------
def test_list_crypto_users_text(make_host, run):
    host = make_host(SCENARIO)
    result = run(host, "diskutil", "apfs", "listCryptoUsers", "/")
    assert result.rc == 0 and result.stderr == ""
    # Open Directory users first, then recovery users, each by UUID; the last entry drops the '|' rail.
    entries = sorted(host.state()["crypto_users"].items(),
                     key=lambda item: (item[1]["type"] != "Local Open Directory User", item[0]))
    assert set(guid for guid, _record in entries) == set([_guid(host, SERVICE_ACCOUNT), _guid(host, "alice"), RECOVERY_UUID])
    expected = ["Cryptographic users for disk3s5 (3 found)"]
    for index, (guid, record) in enumerate(entries):
        rail = "    " if index == len(entries) - 1 else "|   "
        expected += ["|", "+-- %s" % guid, rail + "Type: %s" % record["type"], rail + "Volume Owner: Yes"]
    assert result.stdout == "\n".join(expected) + "\n"
    assert "    Type: " in result.stdout and "|   Type: Local Open Directory User" in result.stdout
    assert result.stdout.count("Type: Local Open Directory User") == 2
    assert result.stdout.count("Type: Personal Recovery User") == 1
    assert host.audit()[-1]["commands"] == [{"name": "listCryptoUsers", "kind": "read"}]


def test_list_crypto_users_layout_matches_the_reference(make_host, run):
    """The reference's two-user example, character for character."""
    host = make_host({"service_account": None, "users": [{"name": "alice", "password": "A-1"}]})
    result = run(host, "diskutil", "apfs", "listCryptoUsers", "/")
    assert result.stdout == (
        "Cryptographic users for disk3s5 (2 found)\n"
        "|\n"
        "+-- %s\n"
        "|   Type: Local Open Directory User\n"
        "|   Volume Owner: Yes\n"
        "|\n"
        "+-- EBC6C064-0000-11AA-AA11-00306543ECAC\n"
        "    Type: Personal Recovery User\n"
        "    Volume Owner: Yes\n" % _guid(host, "alice"))


@pytest.mark.parametrize("words", [
    ("apfs", "listCryptoUsers", "/System/Volumes/Data"),
    ("apfs", "listCryptoUsers", "disk3s5"),
    ("apfs", "listCryptoUsers", "/dev/disk3s5"),
    ("apfs", "listUsers", "/"),
    ("apfs", "listcryptousers", "/"),
    ("ap", "listCryptoUsers", "/"),
])
def test_list_crypto_users_volume_names_and_aliases(make_host, run, words):
    host = make_host(SCENARIO)
    expected = run(host, "diskutil", "apfs", "listCryptoUsers", "/").stdout
    result = run(host, "diskutil", *words)
    assert (result.rc, result.stdout) == (0, expected)


def test_list_crypto_users_none(make_host, run):
    result = run(make_host({"filevault": False}), "diskutil", "apfs", "listCryptoUsers", "/")
    assert (result.rc, result.stdout, result.stderr) == (0, "No cryptographic users for disk3s5\n", "")


@pytest.mark.parametrize("words", [("-plist", "/"), ("/", "-plist")])
def test_list_crypto_users_plist(make_host, run, words):
    host = make_host(SCENARIO)
    result = run(host, "diskutil", "apfs", "listCryptoUsers", *words)
    assert result.rc == 0 and result.stderr == ""
    users = plistlib.loads(result.stdout.encode())["Users"]
    by_uuid = dict((u["APFSCryptoUserUUID"], u) for u in users)
    assert set(by_uuid) == set([_guid(host, "alice"), _guid(host, SERVICE_ACCOUNT), RECOVERY_UUID])
    assert by_uuid[_guid(host, "alice")] == {"APFSCryptoUserUUID": _guid(host, "alice"),
                                             "APFSCryptoUserType": "LocalOpenDirectory", "VolumeOwner": True}
    assert by_uuid[RECOVERY_UUID]["APFSCryptoUserType"] == "PersonalRecovery"


@pytest.mark.parametrize("volume", ["disk9s1", "/Volumes/Other", "disk3s5s1", "/dev/disk3", "Macintosh HD"])
def test_unknown_volume(make_host, run, volume):
    host = make_host(SCENARIO)
    result = run(host, "diskutil", "apfs", "listCryptoUsers", volume)
    assert (result.rc, result.stdout, result.stderr) == (1, "", "Could not find disk: %s\n" % volume)
    as_plist = run(host, "diskutil", "apfs", "listCryptoUsers", "-plist", volume)
    assert as_plist.rc == 1
    assert plistlib.loads(as_plist.stdout.encode()) == {"Error": True, "ErrorMessage": "Could not find disk: %s" % volume,
                                                        "ExitCode": 1}
    before = _crypto_state(host)
    changed = run(host, "diskutil", "apfs", "changePassphrase", volume, "-user", _guid(host, "alice"),
                  "-oldPassphrase", "Old-1", "-newPassphrase", "New-1")
    assert changed.rc == 1 and "Could not find disk: %s" % volume in changed.stderr
    assert _crypto_state(host) == before


# -- strictness ----------------------------------------------------------------------------
@pytest.mark.parametrize("words", [
    (),
    ("list",),
    ("info", "-bogus", "/"),
    ("apfs",),
    ("apfs", "bogus", "/"),
    ("apfs", "list"),
    ("apfs", "deleteVolume", "disk3s5"),
    ("apfs", "listCryptoUsers"),
    ("apfs", "listCryptoUsers", "/", "disk3s5"),
    ("apfs", "listCryptoUsers", "-plist", "-plist", "/"),
    ("apfs", "listCryptoUsers", "-verbose", "/"),
    ("apfs", "changePassphrase"),
    ("apfs", "changePassphrase", "/"),
    ("apfs", "changePassphrase", "/", "-user"),
    ("apfs", "changePassphrase", "/", "-user", "-oldPassphrase", "x"),
    ("apfs", "changePassphrase", "/", "-user", "U", "-bogus", "x"),
    ("apfs", "changePassphrase", "/", "-user", "U", "-oldPassphrase"),
    ("apfs", "changePassphrase", "/", "-user", "U", "-user", "V"),
    ("apfs", "changePassphrase", "-user", "U", "/"),
    ("apfs", "changePassphrase", "/", "U"),
    ("apfs", "unlockVolume", "/", "-verify", "-passphrase", "x", "-stdinpassphrase"),
    ("apfs", "unlockVolume", "/", "-verify", "-nomount"),
    ("apfs", "unlockVolume", "-verify", "/"),
    ("apfs", "updatePreboot"),
    ("apfs", "updatePreboot", "/", "-force"),
    ("apfs", "updatePreboot", "/", "/"),
])
def test_usage_errors_fail_and_change_nothing(make_host, run, words):
    host = make_host(SCENARIO)
    before = _crypto_state(host)
    result = run(host, "diskutil", *words, input="Old-1\nNew-1\nNew-1\n")
    assert result.rc != 0 and result.stdout == ""
    assert "usage" in result.stderr.lower() or "not simulated" in result.stderr
    assert _crypto_state(host) == before
    assert not any(r["mutated"] for r in host.audit())


def test_disk_user_is_refused(make_host, run):
    host = make_host(SCENARIO)
    result = run(host, "diskutil", "apfs", "changePassphrase", "/", "-user", "disk", input="a\nb\nb\n")
    assert result.rc == 1 and "not simulated" in result.stderr


# -- changePassphrase ------------------------------------------------------------------------
def test_change_passphrase_with_prompts_leaves_preboot_stale_until_update(make_host, run):
    host = make_host(SCENARIO)
    guid = _guid(host, "alice")
    stdin = "Old-1\nNew-1\nNew-1\n"
    result = run(host, "diskutil", "apfs", "changePassphrase", "/", "-user", guid, input=stdin)
    assert result.rc == 0, result
    assert "Old passphrase for user %s:" % guid in result.stderr
    assert "New passphrase:" in result.stderr and "Repeat new passphrase:" in result.stderr
    assert guid in result.stdout and "disk3s5" in result.stdout
    assert host.filevault_ok("alice", "New-1") and not host.filevault_ok("alice", "Old-1")
    # Preboot still has the old passphrase: the FileVault login window would refuse New-1.
    assert host.preboot_ok("alice", "Old-1") and not host.preboot_ok("alice", "New-1")
    assert not host.preboot_fresh("alice")

    record = host.audit()[-1]
    assert record["argv"] == ["apfs", "changePassphrase", "/", "-user", guid]
    assert record["commands"] == [{"name": "changePassphrase", "kind": "write"}]
    assert record["kind"] == "write" and record["mutated"] is True and record["exit"] == 0
    assert record["stdin"] == {"bytes": len(stdin), "sha256": hashlib.sha256(stdin.encode()).hexdigest()}
    raw = _raw_audit(host)
    assert "Old-1" not in raw and "New-1" not in raw

    update = run(host, "diskutil", "apfs", "updatePreboot", "/")
    assert update.rc == 0 and update.stdout.endswith(PREBOOT_END) and update.stderr == ""
    assert host.preboot_ok("alice", "New-1") and host.preboot_fresh("alice")
    assert host.preboot_fresh(SERVICE_ACCOUNT)


def test_change_passphrase_with_flags(make_host, run):
    host = make_host(SCENARIO)
    guid = _guid(host, "alice")
    result = run(host, "diskutil", "apfs", "changePassphrase", "disk3s5", "-newPassphrase", "New-1",
                 "-user", guid.lower(), "-oldPassphrase", "Old-1")
    assert result.rc == 0, result
    assert "passphrase" not in result.stderr.lower()  # nothing prompted
    assert host.filevault_ok("alice", "New-1") and not host.preboot_fresh("alice")


@pytest.mark.parametrize("stdin, flags, needle", [
    ("Wrong-1\nNew-1\nNew-1\n", (), "incorrect"),
    ("", ("-oldPassphrase", "Wrong-1", "-newPassphrase", "New-1"), "incorrect"),
    ("Old-1\nNew-1\nNew-2\n", (), "do not match"),
    ("Old-1\nNew-1\n", (), "No passphrase"),
    ("", (), "No passphrase"),
    ("Old-1\n" + "x" * 128 + "\n" + "x" * 128 + "\n", (), "127"),
    ("", ("-oldPassphrase", "Old-1", "-newPassphrase", ""), "empty"),
])
def test_change_passphrase_failures_change_nothing(make_host, run, stdin, flags, needle):
    host = make_host(SCENARIO)
    guid = _guid(host, "alice")
    before = _crypto_state(host)
    result = run(host, "diskutil", "apfs", "changePassphrase", "/", "-user", guid, *flags, input=stdin)
    assert result.rc == 1 and needle in result.stderr
    assert guid in result.stderr  # the error names the crypto user
    assert _crypto_state(host) == before and host.filevault_ok("alice", "Old-1")
    assert host.audit()[-1]["mutated"] is False


def test_change_passphrase_accepts_127_characters(make_host, run):
    host = make_host(SCENARIO)
    longest = "p" * 127
    result = run(host, "diskutil", "apfs", "changePassphrase", "/", "-user", _guid(host, "alice"),
                 input="Old-1\n%s\n%s\n" % (longest, longest))
    assert result.rc == 0 and host.filevault_ok("alice", longest)


def test_change_passphrase_unknown_crypto_user(make_host, run):
    host = make_host(SCENARIO)
    result = run(host, "diskutil", "apfs", "changePassphrase", "/", "-user", _guid(host, "bob"),
                 "-oldPassphrase", "Bob-1", "-newPassphrase", "Bob-2")
    assert result.rc == 1 and "not found" in result.stderr


# -- unlockVolume -verify ------------------------------------------------------------------------
@pytest.mark.parametrize("flags", [
    ("-user", "{alice}", "-stdinpassphrase", "-verify"),
    ("-verify", "-stdinpassphrase", "-user", "{alice}"),
    ("-stdinpassphrase", "-verify"),
])
def test_unlock_verify_from_stdin(make_host, run, flags):
    host = make_host(SCENARIO)
    args = [f.format(alice=_guid(host, "alice")) for f in flags]
    right = run(host, "diskutil", "apfs", "unlockVolume", "/", *args, input="Old-1\n")
    assert right.rc == 0 and right.stderr == "" and "disk3s5" in right.stdout
    wrong = run(host, "diskutil", "apfs", "unlockVolume", "/", *args, input="New-1\n")
    assert wrong.rc == 1 and "incorrect" in wrong.stderr
    records = host.audit()[-2:]
    assert all(r["kind"] == "read" and not r["mutated"] for r in records)
    assert records[0]["stdin"]["sha256"] == hashlib.sha256(b"Old-1\n").hexdigest()
    assert "Old-1" not in _raw_audit(host) and "New-1" not in _raw_audit(host)


def test_unlock_verify_with_passphrase_flag_and_prompt(make_host, run):
    host = make_host(SCENARIO)
    guid = _guid(host, "alice")
    flag = run(host, "diskutil", "apfs", "unlockVolume", "disk3s5", "-user", guid, "-passphrase", "Old-1", "-verify")
    assert flag.rc == 0
    prompted = run(host, "diskutil", "apfs", "unlockVolume", "/", "-user", guid, "-verify", input="Old-1\n")
    assert prompted.rc == 0 and prompted.stderr == "Passphrase:"
    eof = run(host, "diskutil", "apfs", "unlockVolume", "/", "-user", guid, "-verify", input="")
    assert eof.rc == 1


def test_unlock_verify_recovery_key_and_unknown_user(make_host, run):
    host = make_host(dict(SCENARIO, recovery_key="AAAA-BBBB"))
    any_user = run(host, "diskutil", "apfs", "unlockVolume", "/", "-verify", "-stdinpassphrase", input="AAAA-BBBB\n")
    assert any_user.rc == 0
    bob = run(host, "diskutil", "apfs", "unlockVolume", "/", "-user", _guid(host, "bob"), "-verify", "-stdinpassphrase",
              input="Bob-1\n")
    assert bob.rc == 1 and "incorrect" in bob.stderr


def test_unlock_verify_rejects_overlong_passphrase(make_host, run):
    host = make_host(SCENARIO)
    result = run(host, "diskutil", "apfs", "unlockVolume", "/", "-verify", "-stdinpassphrase", input="x" * 128 + "\n")
    assert result.rc == 1 and "127" in result.stderr


def test_unlock_without_verify_is_refused(make_host, run):
    host = make_host(SCENARIO)
    result = run(host, "diskutil", "apfs", "unlockVolume", "/", "-stdinpassphrase", input="Old-1\n")
    assert result.rc == 1 and "not locked" in result.stderr


# -- updatePreboot ----------------------------------------------------------------------------
def test_update_preboot_output_and_idempotence(make_host, run):
    host = make_host({"users": [{"name": "alice", "password": "A-1", "preboot": "Older-0"}]})
    assert not host.preboot_fresh("alice")
    first = run(host, "diskutil", "apfs", "updatePreboot", "/")
    assert first.rc == 0 and first.stderr == "" and first.stdout.endswith(PREBOOT_END)
    assert all(line.startswith(("UpdatePreboot: ", "Started APFS", "Finished APFS")) for line in first.stdout.splitlines())
    assert host.preboot_ok("alice", "A-1") and host.preboot_fresh("alice")
    second = run(host, "diskutil", "apfs", "updatePreboot", "/System/Volumes/Data")
    assert second.rc == 0 and second.stdout.endswith(PREBOOT_END)
    records = host.audit()
    assert [r["mutated"] for r in records] == [True, False]
    assert records[0]["commands"] == [{"name": "updatePreboot", "kind": "write"}]


def test_update_preboot_drops_removed_crypto_users(make_host, run):
    host = make_host({"users": [{"name": "alice", "password": "A-1"}]})
    guid = _guid(host, "alice")
    assert run(host, "fdesetup", "remove", "-user", "alice").rc == 0
    assert guid in host.state()["preboot"]
    assert run(host, "diskutil", "apfs", "updatePreboot", "/").rc == 0
    assert guid not in host.state()["preboot"]
    assert host.preboot_fresh(SERVICE_ACCOUNT)


# -- faults ------------------------------------------------------------------------------------
def test_die_during_change_passphrase_leaves_a_consistent_state(make_host, run):
    host = make_host(SCENARIO)
    guid = _guid(host, "alice")
    host.add_fault(mode="die", tool="diskutil", command="changePassphrase")
    before = _crypto_state(host)
    result = run(host, "diskutil", "apfs", "changePassphrase", "/", "-user", guid, input="Old-1\nNew-1\nNew-1\n")
    assert result.rc == -9
    record = host.audit()[-1]
    assert record["exit"] == -9 and record["fault"] == {"mode": "die", "command": "changePassphrase"}
    # Killed before the one re-wrap step: the old passphrase still opens the volume.
    assert _crypto_state(host) == before and host.filevault_ok("alice", "Old-1")
    assert "Old-1" not in _raw_audit(host) and "New-1" not in _raw_audit(host)
    # The fault fired once: a retry succeeds.
    retry = run(host, "diskutil", "apfs", "changePassphrase", "/", "-user", guid, input="Old-1\nNew-1\nNew-1\n")
    assert retry.rc == 0 and host.filevault_ok("alice", "New-1")


def test_die_during_update_preboot_is_repaired_by_a_rerun(make_host, run):
    host = make_host({"service_account": {"password": "Svc-1", "preboot": "Svc-0"},
                      "users": [{"name": "alice", "password": "A-1", "preboot": "Older-0"},
                                {"name": "carol", "password": "C-1", "preboot": "Older-0"}]})
    names = (SERVICE_ACCOUNT, "alice", "carol")
    old = host.state()["preboot"]
    host.add_fault(mode="die", tool="diskutil", command="updatePreboot")
    result = run(host, "diskutil", "apfs", "updatePreboot", "/")
    assert result.rc == -9 and "Finished APFS operation" not in result.stdout
    assert host.audit()[-1]["exit"] == -9
    # Each Preboot entry is whole: either its old content or a fresh copy, never a mix.
    state = host.state()
    for name in names:
        guid = _guid(host, name)
        entry = state["preboot"][guid]
        assert entry == old[guid] or entry["hash"] == state["crypto_users"][guid]["hash"]
    assert not all(host.preboot_fresh(name) for name in names)
    rerun = run(host, "diskutil", "apfs", "updatePreboot", "/")
    assert rerun.rc == 0 and rerun.stdout.endswith(PREBOOT_END)
    assert all(host.preboot_fresh(name) for name in names)


def test_info_reports_group_and_preboot_mount_point(make_host, run):
    host = make_host(SCENARIO)
    root = plistlib.loads(run(host, "diskutil", "info", "-plist", "/").stdout.encode())
    assert root["APFSVolumeGroupID"] == host.state()["volume"]["group_uuid"]
    preboot = plistlib.loads(run(host, "diskutil", "info", "-plist", "/System/Volumes/Preboot").stdout.encode())
    assert os.path.isdir(os.path.join(preboot["MountPoint"], root["APFSVolumeGroupID"], "var", "db"))
    assert run(host, "diskutil", "info").rc != 0
    assert run(host, "diskutil", "info", "-plist", "/nope").rc != 0


def test_preboot_file_time_tells_stale_from_fresh(make_host, run):
    """Read-only staleness: passwordLastSetTime newer than the Preboot file's mtime."""
    fresh = make_host({"users": [{"name": "alice", "password": "A-1"}]})
    stale = make_host({"users": [{"name": "alice", "password": "A-2", "filevault": "A-2", "preboot": "A-1"}]})
    for host, expect_stale in ((fresh, False), (stale, True)):
        state = host.state()
        path = os.path.join(host.root, "root", "System", "Volumes", "Preboot", state["volume"]["group_uuid"],
                            "var", "db", "CryptoUserInfo.plist")
        last_set = state["users"]["alice"]["accountPolicyData"]["passwordLastSetTime"]
        assert (last_set > os.path.getmtime(path)) is expect_stale
        assert host.preboot_fresh("alice") is not expect_stale
    run(stale, "diskutil", "apfs", "updatePreboot", "/")
    state = stale.state()
    path = os.path.join(stale.root, "root", "System", "Volumes", "Preboot", state["volume"]["group_uuid"],
                        "var", "db", "CryptoUserInfo.plist")
    assert state["users"]["alice"]["accountPolicyData"]["passwordLastSetTime"] < os.path.getmtime(path)
