"""macsim's keychains moved aside (scenario key keychains_aside): files next to the login keychain that `security`
opens, tests and re-keys by path like any keychain, locked until a tool unlocks them."""

import os

import pytest

JAN = "login_replaced_20260101T000000Z.keychain-db"
RENAMED = "login_renamed_1.keychain-db"


def _host(make_host):
    return make_host({"users": [{"name": "alice", "password": "P-2", "keychain": {"password": "P-2", "items": 0},
                                 "keychains_aside": [{"name": JAN, "password": "P-1", "items": 2},
                                                     {"name": RENAMED, "password": "P-0", "owner": "root"}]}]})


def test_seeded_next_to_the_login_keychain_locked_with_their_items(make_host):
    host = _host(make_host)
    folder = os.path.dirname(host.keychain_path("alice"))
    jan = os.path.join(folder, JAN)
    assert [os.path.basename(p) for p in host.keychain_files("alice")] == sorted(["login.keychain-db", JAN, RENAMED])
    assert host.keychain_ok("alice", "P-1", path=jan) and host.keychain_locked("alice", path=jan)
    assert len(host.keychain_items("alice")) == 2 + 3
    labels = [item["label"] for item in host.keychain_items("alice") if item["service"].startswith("aside-0-")]
    assert len(labels) == 2 and all(" aside %s " % JAN in label for label in labels)
    assert os.stat(jan).st_mode & 0o777 == 0o644
    if os.geteuid() == 0:
        assert os.stat(jan).st_uid == host.user("alice")["UniqueID"]
        assert os.stat(os.path.join(folder, RENAMED)).st_uid == 0


def test_security_tests_and_rekeys_one_by_path(make_host, run):
    host = _host(make_host)
    jan = os.path.join(os.path.dirname(host.keychain_path("alice")), JAN)
    assert run(host, "security", "unlock-keychain", jan, input="wrong\n").rc == 51
    assert run(host, "security", "unlock-keychain", jan, input="P-1\n").rc == 0
    assert run(host, "security", "lock-keychain", jan).rc == 0
    # Wrong old password: errSecAuthFailed, unchanged; right one: re-keyed, items kept, left unlocked.
    assert run(host, "security", "set-keychain-password", jan, input="P-9\nP-2\nP-2\n").rc == 51
    assert run(host, "security", "set-keychain-password", jan, input="P-1\nP-2\nP-2\n").rc == 0
    assert host.keychain_ok("alice", "P-2", path=jan) and not host.keychain_locked("alice", path=jan)
    assert len(host.keychain_items("alice")) == 5
    # Strict as for any keychain: the keychain after an option is a usage error.
    assert run(host, "security", "unlock-keychain", jan, "-p", "P-2").rc == 2


@pytest.mark.parametrize("name", ["../escape.keychain-db", "sub/x.keychain-db", ""])
def test_names_must_be_file_names_in_the_folder(make_host, name):
    with pytest.raises(ValueError):
        make_host({"users": [{"name": "alice", "password": "P-2", "keychains_aside": [{"name": name, "password": "x"}]}]})
