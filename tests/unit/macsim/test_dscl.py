"""dscl stand-in: output text, streams and exit codes from the behaviour reference."""

import pytest

SCENARIO = {
    "policy": {"max_failed_logins": 3},
    "users": [
        {"name": "alice", "password": "Alice-Pass-1", "real_name": "Alice Smith"},
        {"name": "bob", "password": "Bob-Pass-1", "secure_token": False, "filevault": False},
    ],
}


@pytest.fixture
def host(make_host):
    return make_host(SCENARIO)


def test_authonly_success_is_silent(host, run):
    result = run(host, "dscl", ".", "-authonly", "alice", "Alice-Pass-1")
    assert (result.rc, result.stdout, result.stderr) == (0, "", "")


def test_authonly_failure_text_streams_and_exit(host, run):
    result = run(host, "dscl", ".", "-authonly", "alice", "wrong")
    assert result.rc == 10
    assert result.stdout == "Authentication for node /Local/Default failed. (-14090, eDSAuthFailed)\n"
    assert result.stderr == "<dscl_cmd> DS Error: -14090 (eDSAuthFailed)\n"


def test_authonly_prompts_on_stdin_without_a_terminal(host, run):
    result = run(host, "dscl", ".", "-authonly", "alice", input="Alice-Pass-1\n")
    assert result.rc == 0 and "Password:" in result.stderr


def test_prompt_with_controlling_terminal_is_refused_not_hung(host, run, monkeypatch):
    import macsim._toolkit as toolkit
    # In-process check of the guard: a terminal would make the real tool hang.
    monkeypatch.setattr(toolkit, "_has_controlling_terminal", lambda: True)
    ctx = toolkit.ToolContext(host.root, "dscl", [])
    with pytest.raises(toolkit.ToolExit) as info:
        ctx.prompt_secret("Password: ")
    assert info.value.code == toolkit.EXIT_WOULD_HANG


def test_interactive_mode_reads_stdin_and_always_exits_zero(host, run):
    result = run(host, "dscl", "-q", ".", input="authonly alice 'wrong'\n-authonly alice \"Alice-Pass-1\"\nquit\n")
    assert result.rc == 0
    assert result.stdout.count("eDSAuthFailed") == 1
    assert "> " not in result.stdout
    records = host.audit()
    assert records[-1]["argv"] == ["-q", "."]
    assert records[-1]["stdin"]["sha256"] and "Alice-Pass-1" not in open(host.root + "/audit.jsonl").read()


def test_interactive_mode_without_q_prints_prompts(host, run):
    result = run(host, "dscl", ".", input="authonly alice Alice-Pass-1\n")
    assert result.stdout.startswith("> ") and result.rc == 0


def test_read_single_and_spaced_values(host, run):
    result = run(host, "dscl", ".", "-read", "/Users/alice", "UniqueID", "RealName", "GeneratedUID")
    assert result.rc == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "UniqueID: 501"
    assert lines[1:3] == ["RealName:", " Alice Smith"]
    assert lines[3] == "GeneratedUID: %s" % host.user("alice")["GeneratedUID"]


def test_read_missing_key_is_stderr_and_exit_zero(host, run):
    result = run(host, "dscl", ".", "-read", "/Users/alice", "NoSuchThing")
    assert (result.rc, result.stdout, result.stderr) == (0, "", "No such key: NoSuchThing\n")


def test_read_missing_user(host, run):
    result = run(host, "dscl", ".", "-read", "/Users/nobody", "UniqueID")
    assert result.rc == 56 and "eDSRecordNotFound" in result.stderr


def test_authentication_authority_marks_secure_token(host, run):
    alice = run(host, "dscl", ".", "-read", "/Users/alice", "AuthenticationAuthority").stdout
    bob = run(host, "dscl", ".", "-read", "/Users/bob", "AuthenticationAuthority").stdout
    assert alice.startswith("AuthenticationAuthority: ;ShadowHash;HASHLIST:<SALTED-SHA512-PBKDF2")
    assert ";SecureToken;" in alice and ";SecureToken;" not in bob


def test_account_policy_data_plist_and_readpl(host, run):
    result = run(host, "dscl", ".", "-read", "/Users/alice", "accountPolicyData")
    assert result.stdout.startswith("dsAttrTypeNative:accountPolicyData:\n<?xml")
    assert "<key>failedLoginCount</key>" in result.stdout
    result = run(host, "dscl", ".", "-readpl", "/Users/alice", "accountPolicyData", "failedLoginCount")
    assert result.stdout == "failedLoginCount: 0\n"
    result = run(host, "dscl", ".", "-readpl", "/Users/alice", "accountPolicyData", "nope")
    assert "No such plist path: nope" in result.stderr


def test_passwd_reset_of_token_user_prompts_and_fails(host, run):
    result = run(host, "dscl", ".", "-passwd", "/Users/alice", "New-Pass-2")
    assert result.rc == 10
    assert "Permission denied. Please enter user's old password:" in result.stderr
    assert "passwd: DS error: eDSAuthFailed" in result.stdout
    assert "<dscl_cmd> DS Error: -14090 (eDSAuthFailed)" in result.stderr
    assert host.login_ok("alice", "Alice-Pass-1")


def test_passwd_reset_of_non_token_user_works(host, run):
    assert run(host, "dscl", ".", "-passwd", "/Users/bob", "Bob-New-2").rc == 0
    assert host.login_ok("bob", "Bob-New-2")


def test_passwd_with_old_keeps_filevault_in_step_but_not_preboot_or_keychain(host, run):
    result = run(host, "dscl", "-q", ".", input="passwd /Users/alice Alice-Pass-1 New-Pass-2\n")
    assert result.rc == 0 and result.stdout == ""
    assert host.login_ok("alice", "New-Pass-2")
    assert host.filevault_ok("alice", "New-Pass-2")
    assert not host.preboot_fresh("alice") and host.preboot_ok("alice", "Alice-Pass-1")
    assert host.keychain_ok("alice", "Alice-Pass-1")
    assert host.audit()[-1]["kind"] == "write" and host.audit()[-1]["mutated"]


def test_passwd_with_wrong_old_changes_nothing(host, run):
    result = run(host, "dscl", ".", "-passwd", "/Users/alice", "bad", "New-Pass-2")
    assert result.rc == 10 and "passwd: DS error: eDSAuthFailed" in result.stdout
    assert host.login_ok("alice", "Alice-Pass-1") and not host.audit()[-1]["mutated"]


def test_failed_authonly_counts_toward_lockout(host, run):
    for _attempt in range(3):
        assert run(host, "dscl", ".", "-authonly", "alice", "wrong").rc == 10
    result = run(host, "dscl", ".", "-authonly", "alice", "Alice-Pass-1")
    assert result.rc == 87 and "eDSAuthAccountDisabled" in result.stdout
    assert "not allowed to authenticate" in run(host, "pwpolicy", "-u", "alice", "-authentication-allowed").stdout
    assert run(host, "dscl", ".", "-deletepl", "/Users/alice", "accountPolicyData", "failedLoginCount").rc == 0
    assert run(host, "dscl", ".", "-authonly", "alice", "Alice-Pass-1").rc == 0


def test_success_resets_the_failure_counter(host, run):
    run(host, "dscl", ".", "-authonly", "alice", "wrong")
    run(host, "dscl", ".", "-authonly", "alice", "Alice-Pass-1")
    assert host.user("alice")["accountPolicyData"]["failedLoginCount"] == 0


def test_createpl_stores_a_string(host, run):
    assert run(host, "dscl", ".", "-createpl", "/Users/alice", "accountPolicyData", "failedLoginCount", "0").rc == 0
    assert host.user("alice")["accountPolicyData"]["failedLoginCount"] == "0"


def test_list_users_with_key(host, run):
    result = run(host, "dscl", ".", "-list", "/Users", "UniqueID")
    rows = dict(line.split() for line in result.stdout.splitlines())
    assert rows["alice"] == "501" and rows["_jumpcloudserviceaccount"] == "499"


@pytest.mark.parametrize("args", [
    ["."],
    ["-bogus", ".", "-read", "/Users/alice"],
    [".", "-read"],
    [".", "-authonly"],
    [".", "-authonly", "alice", "pw", "extra"],
    [".", "-passwd", "/Users/alice"],
    [".", "-frobnicate", "/Users/alice"],
    [".", "read", "/Users/alice"],
    ["-u", "admin", "-P", "secret", ".", "-read", "/Users/alice"],
    [".", "-create", "/Users/alice", "UserShell", "/bin/bash"],
    ["/Nope", "-read", "/Users/alice"],
])
def test_strict_usage_errors(host, run, args):
    result = run(host, "dscl", *args, input="")
    if args == ["."]:
        assert result.rc == 0  # interactive mode with empty stdin: nothing to do
        return
    assert result.rc != 0
    assert not host.audit()[-1]["mutated"]
