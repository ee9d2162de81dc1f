"""macsim's GUI sessions: scutil's State:/Users/ConsoleUser, the console device, a session's unlocked keychain."""

import os


def test_nobody_logged_in_is_the_login_window(make_host, run):
    host = make_host({"users": [{"name": "alice", "password": "P-1"}]})
    result = run(host, "scutil", input="show State:/Users/ConsoleUser\n")
    assert result.rc == 0
    assert "  Name : loginwindow" in result.stdout and "SessionInfo" not in result.stdout
    assert "  UID : 0" in result.stdout
    assert host.sessions() == [] and host.keychain_locked("alice")
    if os.geteuid() == 0:
        assert os.stat(os.path.join(host.root, "root", "dev", "console")).st_uid == 0


def test_logged_in_user_is_at_the_console_and_her_keychain_is_unlocked(make_host, run):
    host = make_host({"users": [{"name": "alice", "password": "P-1", "logged_in": True}]})
    result = run(host, "scutil", input="show State:/Users/ConsoleUser\n")
    uid = host.user("alice")["UniqueID"]
    assert "  Name : alice" in result.stdout and "  UID : %d" % uid in result.stdout
    assert "      kCGSSessionUserNameKey : alice" in result.stdout
    assert "      kCGSSessionOnConsoleKey : TRUE" in result.stdout
    assert not host.keychain_locked("alice"), "securityd keeps a session's login keychain unlocked"
    if os.geteuid() == 0:
        assert os.stat(os.path.join(host.root, "root", "dev", "console")).st_uid == uid


def test_switched_out_session_is_listed_but_not_on_the_console(make_host, run):
    users = [{"name": "alice", "password": "P-1", "logged_in": True},
             {"name": "bob", "password": "P-2", "logged_in": True}]
    host = make_host({"console_user": "bob", "users": users})
    out = run(host, "scutil", input="show State:/Users/ConsoleUser\n").stdout
    assert "  Name : bob" in out and "kCGSSessionUserNameKey : alice" in out
    assert out.count("kCGSSessionOnConsoleKey : TRUE") == 1


def test_keychain_out_of_step_with_the_login_stays_locked_in_a_session(make_host):
    host = make_host({"users": [{"name": "alice", "password": "P-2", "logged_in": True,
                                 "keychain": {"password": "P-1"}}]})
    assert host.keychain_locked("alice")


def test_locking_a_sessions_keychain_is_recorded(make_host, run):
    host = make_host({"users": [{"name": "alice", "password": "P-1", "logged_in": True}]})
    assert run(host, "security", "lock-keychain", host.keychain_path("alice")).rc == 0
    assert host.keychain_locked("alice")
    assert host.session_keychain_locks() == [os.path.realpath(host.keychain_path("alice"))]


def test_other_keys_and_commands(make_host, run):
    host = make_host()
    assert "No such key" in run(host, "scutil", input="show State:/Nothing\n").stdout
    assert run(host, "scutil", "--get", "ComputerName").rc == 2


def test_keychains_are_created_as_macos_does(make_host):
    host = make_host({"users": [{"name": "alice", "password": "P-1"}]})
    info = os.stat(host.keychain_path("alice"))
    assert info.st_mode & 0o777 == 0o644
    assert os.stat(os.path.dirname(host.keychain_path("alice"))).st_mode & 0o777 == 0o700
    if os.geteuid() == 0:
        assert info.st_uid == host.user("alice")["UniqueID"]
