"""macsim as strict as the real tools about what a password can be: byte limits and C strings.

- diskutil apfs refuses passphrases over 127 bytes (not characters: 64 two-byte characters are 128 bytes).
- The tools keep what they read as a C string: a NUL in a prompted line ends the password there.
- security's prompts use getpass(3), which keeps at most 128 bytes and silently drops the rest.
"""

import pytest

ALICE = "Alice-Pass-1"


@pytest.fixture
def host(make_host):
    return make_host({"users": [{"name": "alice", "password": ALICE}]})


def _verify(host, run, passphrase):
    guid = host.user("alice")["GeneratedUID"]
    return run(host, "diskutil", "apfs", "unlockVolume", "/", "-user", guid, "-stdinpassphrase", "-verify",
               input=passphrase + "\n")


@pytest.mark.parametrize("passphrase", ["x" * 128, "é" * 64, "é" * 63 + "xx"], ids=["128-ascii", "64-two-byte", "127-chars-128-bytes"])
def test_diskutil_refuses_passphrases_over_127_bytes(host, run, passphrase):
    result = _verify(host, run, passphrase)
    assert result.rc == 1 and "longer than 127 bytes" in result.stderr


@pytest.mark.parametrize("passphrase", ["x" * 127, "é" * 63 + "x"], ids=["127-ascii", "63-two-byte-plus-one"])
def test_diskutil_takes_127_bytes(host, run, passphrase):
    result = _verify(host, run, passphrase)
    assert "longer than" not in result.stderr and result.rc == 1  # a wrong passphrase, not a refused length


def test_diskutil_change_passphrase_refuses_a_128_byte_new_one_and_changes_nothing(host, run):
    guid = host.user("alice")["GeneratedUID"]
    result = run(host, "diskutil", "apfs", "changePassphrase", "/", "-user", guid,
                 input="%s\n%s\n%s\n" % (ALICE, "é" * 64, "é" * 64))
    assert result.rc == 1 and "127 bytes" in result.stderr
    assert host.filevault_ok("alice", ALICE)


def test_a_nul_ends_a_prompted_password(host, run):
    """dscl -authonly's prompt: 'Alice-Pass-1\\0junk' is read as 'Alice-Pass-1'."""
    result = run(host, "dscl", ".", "-authonly", "alice", input=ALICE + "\0junk\n")
    assert result.rc == 0
    wrong = run(host, "dscl", ".", "-authonly", "alice", input="Alice\0-Pass-1\n")
    assert wrong.rc == 10


def test_a_nul_ends_a_passphrase_read_from_stdin(host, run):
    assert _verify(host, run, ALICE + "\0anything").rc == 0


def test_security_getpass_keeps_128_bytes(make_host, run):
    host = make_host({"users": [{"name": "alice", "password": ALICE, "keychain": False}]})
    path = host.keychain_path("alice")
    long_password = "k" * 128 + "dropped"
    created = run(host, "security", "create-keychain", path, input="%s\n%s\n" % (long_password, long_password))
    assert created.rc == 0, created.stderr
    assert host.keychain_ok("alice", "k" * 128) and not host.keychain_ok("alice", long_password)
    run(host, "security", "lock-keychain", path)
    # Any password with the same first 128 bytes opens it: what was typed past them was never kept.
    assert run(host, "security", "unlock-keychain", path, input="k" * 128 + "other\n").rc == 0
