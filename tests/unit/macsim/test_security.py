"""security stand-in: keychain commands, their text, streams and exit codes.

Exit codes are the OSStatus & 0xFF (errSecAuthFailed -25293 -> 51); usage errors exit 2.
"""

import hashlib
import os

import pytest

ALICE_PASS = "Alice-Pass-1"
BOB_PASS = "Bob-Pass-1"
AUTH_FAILED = "The user name or passphrase you entered is not correct."
NO_SUCH_KEYCHAIN = "The specified keychain could not be found."
NOT_ALLOWED = "User interaction is not allowed."


@pytest.fixture
def host(make_host):
    # alice's login keychain starts locked, bob's unlocked (a logged-in user).
    return make_host({"users": [
        {"name": "alice", "password": ALICE_PASS},
        {"name": "bob", "password": BOB_PASS, "keychain": {"locked": False}},
    ]})


def keychains_dir(host, name):
    return os.path.dirname(host.keychain_path(name))


def read_bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


# -- unlock: the trap of the already unlocked keychain ------------------------------------
def test_unlocked_keychain_accepts_any_password(host, run):
    result = run(host, "security", "unlock-keychain", "-p", "not-the-password", host.keychain_path("bob"))
    assert (result.rc, result.stdout, result.stderr) == (0, "", "")
    assert not host.keychain_locked("bob")


def test_lock_first_then_unlock_verifies_the_password(host, run):
    keychain = host.keychain_path("bob")
    assert run(host, "security", "lock-keychain", keychain).rc == 0
    assert host.keychain_locked("bob")
    wrong = run(host, "security", "unlock-keychain", "-p", "not-the-password", keychain)
    assert wrong.rc == 51
    assert host.keychain_locked("bob")
    right = run(host, "security", "unlock-keychain", "-p", BOB_PASS, keychain)
    assert right.rc == 0 and not host.keychain_locked("bob")


def test_wrong_password_on_a_locked_keychain_exact_text(host, run):
    keychain = host.keychain_path("alice")
    result = run(host, "security", "unlock-keychain", "-p", "wrong", keychain)
    assert result.rc == 51 and result.stdout == ""
    assert result.stderr == "security: SecKeychainUnlock %s: %s\n" % (keychain, AUTH_FAILED)
    assert host.keychain_locked("alice")


def test_unnamed_keychain_is_null_in_messages(host, run):
    # Root has no default keychain here: the omitted keychain cannot be found...
    result = run(host, "security", "unlock-keychain", "-p", "wrong")
    assert result.rc == 50
    assert result.stderr == "security: SecKeychainUnlock <NULL>: %s\n" % NO_SUCH_KEYCHAIN
    # ...until one is made the default; a wrong password then names it <NULL>.
    assert run(host, "security", "default-keychain", "-s", host.keychain_path("alice")).rc == 0
    result = run(host, "security", "unlock-keychain", "-p", "wrong")
    assert (result.rc, result.stderr) == (51, "security: SecKeychainUnlock <NULL>: %s\n" % AUTH_FAILED)


def test_missing_or_relative_keychain_is_not_found(host, run):
    missing = os.path.join(keychains_dir(host, "alice"), "nothing.keychain-db")
    result = run(host, "security", "unlock-keychain", "-p", ALICE_PASS, missing)
    assert result.rc == 50 and result.stderr == "security: SecKeychainUnlock %s: %s\n" % (missing, NO_SUCH_KEYCHAIN)
    result = run(host, "security", "unlock-keychain", "-p", ALICE_PASS, "login.keychain")
    assert result.rc == 50 and NO_SUCH_KEYCHAIN in result.stderr


def test_keychain_name_resolves_to_keychain_db(host, run):
    legacy_name = host.keychain_path("alice")[:-len("-db")]
    assert legacy_name.endswith("/login.keychain") and not os.path.exists(legacy_name)
    result = run(host, "security", "unlock-keychain", "-p", ALICE_PASS, legacy_name)
    assert result.rc == 0 and not host.keychain_locked("alice")
    info = run(host, "security", "show-keychain-info", legacy_name)
    assert info.stderr == 'Keychain "%s" lock-on-sleep timeout=300s\n' % legacy_name  # the name as given


def test_unlock_prompts_on_stdin_in_a_new_session(host, run):
    keychain = host.keychain_path("alice")
    result = run(host, "security", "unlock-keychain", keychain, input=ALICE_PASS + "\n")
    assert result.rc == 0 and result.stderr == "password to unlock %s: " % keychain
    assert not host.keychain_locked("alice")


def test_unlock_prompt_at_end_of_input_fails(host, run):
    result = run(host, "security", "unlock-keychain", host.keychain_path("alice"))
    assert result.rc == 255 and host.keychain_locked("alice")


# -- lock and show-keychain-info -------------------------------------------------------
def test_show_keychain_info_locked_and_unlocked(host, run):
    alice, bob = host.keychain_path("alice"), host.keychain_path("bob")
    locked = run(host, "security", "show-keychain-info", alice)
    assert locked.rc == 36 and locked.stdout == ""
    assert locked.stderr == "security: SecKeychainCopySettings %s: %s\n" % (alice, NOT_ALLOWED)
    unlocked = run(host, "security", "show-keychain-info", bob)
    assert (unlocked.rc, unlocked.stdout) == (0, "")
    assert unlocked.stderr == 'Keychain "%s" lock-on-sleep timeout=300s\n' % bob


def test_lock_all(host, run):
    assert run(host, "security", "lock-keychain", "-a").rc == 0
    assert host.keychain_locked("bob") and host.state()["unlocked_keychains"] == []


# -- set-keychain-password -------------------------------------------------------------
def test_set_keychain_password_rekeys_and_keeps_items(host, run):
    keychain = host.keychain_path("alice")
    items = host.keychain_items("alice")
    result = run(host, "security", "set-keychain-password", "-o", ALICE_PASS, "-p", "Alice-New-2", keychain)
    assert (result.rc, result.stdout, result.stderr) == (0, "", "")
    assert host.keychain_ok("alice", "Alice-New-2") and not host.keychain_ok("alice", ALICE_PASS)
    assert host.keychain_items("alice") == items
    assert not host.keychain_locked("alice")
    assert host.audit()[-1]["kind"] == "write" and host.audit()[-1]["mutated"]


def test_set_keychain_password_prompts_on_stdin(host, run):
    keychain = host.keychain_path("alice")
    result = run(host, "security", "set-keychain-password", keychain,
                 input="%s\nAlice-New-2\nAlice-New-2\n" % ALICE_PASS)
    assert result.rc == 0
    assert result.stderr == "Old Password: New Password: Retype New Password: "
    assert host.keychain_ok("alice", "Alice-New-2")


def test_set_keychain_password_retype_mismatch_is_try_again(host, run):
    keychain = host.keychain_path("alice")
    before = read_bytes(keychain)
    result = run(host, "security", "set-keychain-password", keychain, input="%s\nNew-A\nNew-B\n" % ALICE_PASS)
    assert result.rc == 1 and result.stderr.endswith("security: try again\n")
    assert read_bytes(keychain) == before


def test_set_keychain_password_wrong_old_leaves_file_unchanged(host, run):
    keychain = host.keychain_path("bob")  # unlocked does not help: the old password is checked
    before = read_bytes(keychain)
    result = run(host, "security", "set-keychain-password", "-o", "wrong", "-p", "Bob-New-2", keychain)
    assert result.rc == 51
    assert result.stderr == 'security: error changing password for "%s": %s\n' % (keychain, AUTH_FAILED)
    assert read_bytes(keychain) == before and host.keychain_ok("bob", BOB_PASS)
    assert not host.audit()[-1]["mutated"]


@pytest.mark.parametrize("after_steps", [None, 0])
def test_die_during_set_keychain_password_is_all_or_nothing(make_host, run, after_steps):
    host = make_host({"users": [{"name": "alice", "password": ALICE_PASS}]})
    items = host.keychain_items("alice")
    extra = {} if after_steps is None else {"after_steps": after_steps}
    host.add_fault(mode="die", tool="security", command="set-keychain-password", **extra)
    result = run(host, "security", "set-keychain-password", "-o", ALICE_PASS, "-p", "Alice-New-2",
                 host.keychain_path("alice"))
    assert result.rc == -9
    old, new = host.keychain_ok("alice", ALICE_PASS), host.keychain_ok("alice", "Alice-New-2")
    assert old != new  # fully old or fully new, never a broken file
    assert new if after_steps is None else old
    assert host.keychain_items("alice") == items
    record = host.audit()[-1]
    assert record["exit"] == -9 and record["fault"] == {"mode": "die", "command": "set-keychain-password"}


# -- create-keychain and delete-keychain -----------------------------------------------
def test_create_keychain_prompts_and_creates_keychain_db(host, run):
    name = os.path.join(keychains_dir(host, "alice"), "fresh.keychain")
    result = run(host, "security", "create-keychain", name, input="Fresh-1\nFresh-1\n")
    assert result.rc == 0
    assert result.stderr == "password for new keychain: retype password for new keychain: "
    assert not os.path.exists(name) and os.path.exists(name + "-db")
    assert host.keychain_ok("alice", "Fresh-1", path=name + "-db")
    assert not host.keychain_locked("alice", path=name + "-db")
    assert run(host, "security", "list-keychains").stdout == \
        '    "%s-db"\n    "/Library/Keychains/System.keychain"\n' % name


def test_create_keychain_passwords_must_match_three_times(host, run):
    name = os.path.join(keychains_dir(host, "alice"), "fresh.keychain")
    result = run(host, "security", "create-keychain", name, input="a\nb\nc\nd\ne\nf\n")
    assert result.rc == 1 and result.stderr.count("passwords don't match\n") == 3
    assert not os.path.exists(name + "-db")


def test_create_keychain_over_an_existing_one(host, run):
    keychain = host.keychain_path("alice")
    before = read_bytes(keychain)
    for name in (keychain, keychain[:-len("-db")]):
        result = run(host, "security", "create-keychain", "-p", "x", name)
        assert result.rc == 48
        assert result.stderr == "security: SecKeychainCreate %s: A keychain with the same name already exists.\n" % name
    assert read_bytes(keychain) == before


def test_create_keychain_needs_an_existing_directory_and_no_gui(host, run):
    missing_dir = os.path.join(keychains_dir(host, "alice"), "nope", "x.keychain")
    assert run(host, "security", "create-keychain", "-p", "x", missing_dir).rc == 50
    gui = run(host, "security", "create-keychain", "-P", os.path.join(keychains_dir(host, "alice"), "gui.keychain"))
    assert gui.rc == 36 and NOT_ALLOWED in gui.stderr


def test_create_keychain_asks_for_a_name_and_an_empty_one_is_a_silent_success(host, run):
    result = run(host, "security", "create-keychain", "-p", "x", input="\n")
    assert (result.rc, result.stderr) == (0, "keychain to create: ")  # the real tool's trap: nothing created
    assert host.keychain_files("alice") == [host.keychain_path("alice")]
    relative = run(host, "security", "create-keychain", "-p", "x", "other.keychain")
    assert relative.rc == 50  # root's own ~/Library/Keychains does not exist here


def test_delete_keychain_removes_the_file_and_is_a_write(host, run):
    keychain = host.keychain_path("bob")
    result = run(host, "security", "delete-keychain", keychain)
    assert result.rc == 0 and not os.path.exists(keychain)
    assert host.audit()[-1]["kind"] == "write" and host.audit()[-1]["mutated"]
    again = run(host, "security", "delete-keychain", keychain)
    assert (again.rc, again.stderr) == (50, "security: SecKeychainDelete: %s\n" % NO_SUCH_KEYCHAIN)


# -- default, login and list -------------------------------------------------------------
def test_default_login_and_list_keychains_for_root(host, run):
    default = run(host, "security", "default-keychain")
    assert (default.rc, default.stderr) == (1, "security: SecKeychainCopyDefault: A default keychain could not be found.\n")
    login = run(host, "security", "login-keychain")
    assert login.rc == 1 and NO_SUCH_KEYCHAIN in login.stderr
    assert run(host, "security", "list-keychains").stdout == '    "/Library/Keychains/System.keychain"\n'
    assert run(host, "security", "default-keychain", "-d", "system").stdout == '    "/Library/Keychains/System.keychain"\n'


def test_default_keychain_set_and_show(host, run):
    keychain = host.keychain_path("alice")
    assert run(host, "security", "default-keychain", "-s", keychain).rc == 0
    assert host.audit()[-1]["kind"] == "write"
    assert run(host, "security", "default-keychain").stdout == '    "%s"\n' % keychain
    assert run(host, "security", "default-keychain", "-s").rc == 0  # -s alone unsets it
    assert run(host, "security", "default-keychain").rc == 1


def test_login_keychain_set_does_nothing_and_fails(host, run):
    result = run(host, "security", "login-keychain", "-s", host.keychain_path("alice"))
    assert (result.rc, result.stdout, result.stderr) == (1, "", "")
    assert host.audit()[-1]["kind"] == "write" and not host.audit()[-1]["mutated"]


# -- items -------------------------------------------------------------------------------
def test_find_generic_password_attributes_and_g(host, run):
    keychain = host.keychain_path("bob")
    result = run(host, "security", "find-generic-password", "-a", "bob", "-s", "service-1.example", "-g", keychain)
    assert result.rc == 0
    lines = result.stdout.splitlines()
    assert lines[:4] == ['keychain: "%s"' % keychain, "version: 512", 'class: "genp"', "attributes:"]
    assert '    0x00000007 <blob>="bob item 1"' in lines
    assert '    "acct"<blob>="bob"' in lines and '    "svce"<blob>="service-1.example"' in lines
    assert result.stderr == 'password: "item-data-1"\n'


def test_find_generic_password_w_prints_only_the_data(host, run):
    result = run(host, "security", "find-generic-password", "-s", "service-2.example", "-w", host.keychain_path("bob"))
    assert (result.rc, result.stdout, result.stderr) == (0, "item-data-2\n", "")


def test_find_password_data_needs_an_unlocked_keychain(host, run):
    keychain = host.keychain_path("alice")
    for flag in ("-w", "-g"):
        result = run(host, "security", "find-generic-password", "-s", "service-0.example", flag, keychain)
        assert (result.rc, result.stdout, result.stderr) == (36, "", "")  # the real tool prints nothing
    attributes = run(host, "security", "find-generic-password", "-s", "service-0.example", keychain)
    assert attributes.rc == 0 and '"svce"<blob>="service-0.example"' in attributes.stdout


def test_find_generic_password_not_found(host, run):
    result = run(host, "security", "find-generic-password", "-s", "nothing.example", host.keychain_path("bob"))
    assert result.rc == 44 and result.stdout == ""
    assert result.stderr == "security: SecKeychainSearchCopyNext: The specified item could not be found in the keychain.\n"


def test_add_generic_password_then_find_it(host, run):
    keychain = host.keychain_path("bob")
    result = run(host, "security", "add-generic-password", "-a", "bob", "-s", "vpn.example", "-w", "S3cret", keychain)
    assert (result.rc, result.stdout, result.stderr) == (0, "", "")
    assert host.audit()[-1]["kind"] == "write" and host.audit()[-1]["mutated"]
    found = run(host, "security", "find-generic-password", "-a", "bob", "-s", "vpn.example", "-w", keychain)
    assert found.stdout == "S3cret\n"
    label = run(host, "security", "find-generic-password", "-a", "bob", "-s", "vpn.example", keychain)
    assert '    0x00000007 <blob>="vpn.example"' in label.stdout.splitlines()  # label defaults to the service


def test_add_generic_password_duplicate_and_update(host, run):
    keychain = host.keychain_path("bob")
    duplicate = run(host, "security", "add-generic-password", "-a", "bob", "-s", "service-0.example", "-w", "x", keychain)
    assert duplicate.rc == 45
    assert duplicate.stderr == ("security: SecKeychainItemCreateFromContent (%s): "
                                "The specified item already exists in the keychain.\n" % keychain)
    update = run(host, "security", "add-generic-password", "-U", "-a", "bob", "-s", "service-0.example", "-w", "y", keychain)
    assert update.rc == 0
    assert run(host, "security", "find-generic-password", "-s", "service-0.example", "-w", keychain).stdout == "y\n"
    assert len(host.keychain_items("bob")) == 3


def test_add_generic_password_needs_an_unlocked_keychain(host, run):
    keychain = host.keychain_path("alice")
    before = read_bytes(keychain)
    result = run(host, "security", "add-generic-password", "-a", "alice", "-s", "new.example", "-w", "x", keychain)
    assert result.rc == 36
    assert result.stderr == "security: SecKeychainItemCreateFromContent (%s): %s\n" % (keychain, NOT_ALLOWED)
    assert read_bytes(keychain) == before


def test_add_update_on_a_locked_keychain_reports_both_calls(host, run):
    keychain = host.keychain_path("alice")
    result = run(host, "security", "add-generic-password", "-U", "-a", "alice", "-s", "service-0.example", "-w", "x", keychain)
    assert result.rc == 36
    assert result.stderr == ("security: SecKeychainItemModifyContent: %s\n"
                             "security: SecKeychainItemCreateFromContent (%s): %s\n" % (NOT_ALLOWED, keychain, NOT_ALLOWED))


def test_add_generic_password_prompts_for_a_trailing_w(host, run):
    keychain = host.keychain_path("bob")
    result = run(host, "security", "add-generic-password", "-a", "bob", "-s", "typed.example", keychain, "-w",
                 input="Typed-1\nTyped-1\n")
    assert result.rc == 2  # options after the keychain are operands: a usage error
    result = run(host, "security", "add-generic-password", "-a", "bob", "-s", "typed.example", "-w",
                 input="Typed-1\nTyped-1\n")
    assert result.stderr.startswith("password data for new item: retype password for new item: ")
    assert result.rc == 50  # no keychain named and root has no default one


def test_dump_keychain_lists_items(host, run):
    result = run(host, "security", "dump-keychain", host.keychain_path("alice"))
    assert result.rc == 0 and result.stdout.count('class: "genp"') == 3 and "data:" not in result.stdout


def test_dump_keychain_data_of_a_locked_keychain_fails_per_item_but_exits_zero(host, run):
    # keychain_find.c ignores the per-item failure: the exit code does not tell.
    result = run(host, "security", "dump-keychain", "-d", host.keychain_path("alice"))
    assert result.rc == 0 and "data:" not in result.stdout
    assert result.stderr.count("security: SecKeychainItemCopyAttributesAndData: %s\n" % NOT_ALLOWED) == 3
    unlocked = run(host, "security", "dump-keychain", "-d", host.keychain_path("bob"))
    assert unlocked.rc == 0 and 'data:\n"item-data-0"\n' in unlocked.stdout


# -- interactive mode --------------------------------------------------------------------
def test_interactive_runs_commands_and_exits_with_the_last_result(host, run):
    keychain = host.keychain_path("bob")
    script = "lock-keychain %s\nunlock-keychain -p 'not it' \"%s\"\nunlock-keychain -p %s %s\n" % (
        keychain, keychain, BOB_PASS, keychain)
    result = run(host, "security", "-i", input=script)
    assert result.rc == 0 and result.stdout == ""
    assert "unlock-keychain: returned -25293\n" in result.stderr
    assert "security> " not in result.stderr  # no prompt without a terminal
    assert [c["name"] for c in host.audit()[-1]["commands"]] == ["lock-keychain", "unlock-keychain", "unlock-keychain"]
    failing_last = run(host, "security", "-i", input="lock-keychain %s\nunlock-keychain -p bad %s\n" % (keychain, keychain))
    assert failing_last.rc == 51


def test_interactive_has_no_quit_and_drops_an_unterminated_last_line(host, run):
    keychain = host.keychain_path("bob")
    result = run(host, "security", "-i", input="quit\nlock-keychain %s" % keychain)
    assert result.rc == 1  # `quit` is an unknown command; the last line has no newline and never runs
    assert result.stderr == 'security: unknown command "quit"\nquit: returned 1\n'
    assert not host.keychain_locked("bob")
    quiet = run(host, "security", "-q", "-i", input="quit\n")
    assert (quiet.rc, quiet.stderr) == (1, 'security: unknown command "quit"\n')


def test_interactive_prompts_see_end_of_input(host, run):
    # stdio has buffered the whole pipe: a prompt inside -i reads EOF, which ends the session with 0.
    result = run(host, "security", "-i", input="unlock-keychain %s\n%s\n" % (host.keychain_path("alice"), ALICE_PASS))
    assert result.rc == 0 and host.keychain_locked("alice")


def test_interactive_split_line_quoting(host, run):
    keychain = host.keychain_path("alice")
    password = "it's a \"pass\""
    run(host, "security", "set-keychain-password", "-o", ALICE_PASS, "-p", password, keychain)
    run(host, "security", "lock-keychain", keychain)
    line = "unlock-keychain -p 'it\\'s a \"pass\"' %s\n" % keychain
    assert run(host, "security", "-i", input=line).rc == 0
    assert not host.keychain_locked("alice")


# -- strictness --------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ["unlock-keychain", "-x", "/k"],                  # unknown flag
    ["unlock-keychain", "-p"],                        # missing option argument
    ["unlock-keychain", "/k1", "/k2"],                # extra argument
    ["unlock-keychain", "/k", "-p", "pw"],            # wrong order: options come first
    ["lock-keychain", "-a", "/k"],
    ["set-keychain-password", "-o"],
    ["set-keychain-password", "/k", "/k2"],
    ["show-keychain-info", "/k", "/k2"],
    ["create-keychain", "-q", "/k"],
    ["delete-keychain", "-z"],
    ["default-keychain", "/k"],
    ["default-keychain", "-d", "nowhere"],
    ["login-keychain", "/k"],
    ["list-keychains", "/k"],
    ["find-generic-password", "-s"],
    ["add-generic-password", "-s", "svc", "-w", "pw"],  # -a is required
    ["add-generic-password", "-a", "acct", "-s", "svc", "-w", "pw", "/k1", "/k2"],
    ["add-generic-password", "-a", "acct", "-s"],
    ["dump-keychain", "-z"],
])
def test_usage_errors_exit_2_with_the_command_usage(host, run, args):
    result = run(host, "security", *args)
    assert result.rc == 2 and result.stdout == ""
    assert "Usage: %s " % args[0] in result.stderr


@pytest.mark.parametrize("args, code", [
    (["no-such-command"], 1),
    (["find-internet-password", "-s", "x"], 2),     # real but not simulated: refused, never faked
    (["dump-keychain", "-a"], 2),                   # ACL dumps are not simulated
    (["list-keychains", "-s", "/k"], 2),
    ([], 2),
    (["-z"], 2),
])
def test_unknown_or_unsimulated_never_succeeds(host, run, args, code):
    result = run(host, "security", *args)
    assert result.rc == code and (result.stderr or result.stdout)


def test_commands_match_by_prefix_in_table_order(host, run):
    result = run(host, "security", "unlock", "-p", "anything", host.keychain_path("bob"))
    assert result.rc == 0
    assert host.audit()[-1]["commands"] == [{"name": "unlock-keychain", "kind": "read"}]


def test_verbose_echoes_the_command_on_stderr(host, run):
    result = run(host, "security", "-v", "lock-keychain", host.keychain_path("bob"))
    assert result.rc == 0 and result.stderr == 'lock-keychain "%s"\n' % host.keychain_path("bob")


# -- audit and kinds -------------------------------------------------------------------
def test_audit_records_argv_and_stdin_hash_never_the_password(host, run):
    keychain = host.keychain_path("alice")
    stdin = "%s\nAlice-New-2\nAlice-New-2\n" % ALICE_PASS
    assert run(host, "security", "set-keychain-password", keychain, input=stdin).rc == 0
    script = "lock-keychain %s\nunlock-keychain -p Alice-New-2 %s\n" % (keychain, keychain)
    assert run(host, "security", "-i", input=script).rc == 0
    records = host.audit()[-2:]
    assert records[0]["argv"] == ["set-keychain-password", keychain]
    assert records[0]["stdin"] == {"bytes": len(stdin), "sha256": hashlib.sha256(stdin.encode()).hexdigest()}
    assert records[1]["argv"] == ["-i"]
    assert records[1]["stdin"]["sha256"] == hashlib.sha256(script.encode()).hexdigest()
    with open(os.path.join(host.root, "audit.jsonl")) as handle:
        raw = handle.read()
    assert ALICE_PASS not in raw and "Alice-New-2" not in raw


def test_verification_only_run_has_no_write_calls(host, run):
    keychain = host.keychain_path("alice")
    for args in (["lock-keychain", keychain], ["unlock-keychain", "-p", ALICE_PASS, keychain],
                 ["show-keychain-info", keychain], ["find-generic-password", "-s", "service-0.example", keychain],
                 ["dump-keychain", keychain], ["list-keychains"], ["default-keychain"], ["lock-keychain", "-a"]):
        run(host, "security", *args)
    assert host.write_calls() == []
    assert {r["commands"][0]["kind"] for r in host.audit()} == {"read"}


def test_write_kinds(host, run):
    keychain = host.keychain_path("bob")
    run(host, "security", "set-keychain-password", "-o", BOB_PASS, "-p", "Bob-New-2", keychain)
    run(host, "security", "add-generic-password", "-a", "bob", "-s", "k.example", "-w", "v", keychain)
    run(host, "security", "create-keychain", "-p", "x", os.path.join(keychains_dir(host, "bob"), "n.keychain"))
    run(host, "security", "default-keychain", "-s", keychain)
    run(host, "security", "login-keychain", "-s", keychain)
    run(host, "security", "delete-keychain", os.path.join(keychains_dir(host, "bob"), "n.keychain"))
    names = [r["commands"][0]["name"] for r in host.write_calls()]
    assert names == ["set-keychain-password", "add-generic-password", "create-keychain", "default-keychain",
                     "login-keychain", "delete-keychain"]
