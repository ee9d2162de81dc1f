"""directory_password generate=true and the progress of long runs, through ansible-playbook against jcsim.

The passwords are read back from the vault file with `ansible-vault view`, as the help desk would, and checked
against jcsim (the password each user now has). No generated password may show in the output or the result.
"""

import os
import secrets
import stat
import subprocess
import sys
import types

import pytest
import yaml

import badinput_lib
from badinput_lib import Case
from jcsim import JumpCloudSim

MODULE = "macfleet.credsync.directory_password"
BIN = os.path.dirname(sys.executable)
PUT = "PUT /api/systemusers/{id}"
WRITES = (PUT, "POST /api/systemusers/{id}/unlock", "POST /api/systemusers/{id}/expire")


@pytest.fixture(scope="module", name="sim")
def _sim():
    with JumpCloudSim() as server:
        yield server
        assert server.internal_errors == []


class Generate:
    """One test's users, vault password file, password file and runs."""

    def __init__(self, sim, ansible, tmp_path):
        self.sim = sim
        self.ansible = ansible
        self.tmp = tmp_path
        self.vault_pass = tmp_path / "vault-pass"
        self.vault_pass.write_text("correct horse %s\n" % secrets.token_hex(4))
        self.vault_pass.chmod(0o600)
        self.file = tmp_path / "helpdesk" / "passwords.vault.yml"
        self.file.parent.mkdir()
        self.connection = {"base_url": sim.url, "api_key": sim.api_key, "timeout": 10, "retries": 2}
        sim.reset_controls()

    def users(self, count, **fields):
        names = []
        for _index in range(count):
            name = "g%s" % secrets.token_hex(4)
            self.sim.add_user(name, password="Start-Pass-%s-9" % secrets.token_hex(3), **fields)
            names.append(name)
        return names

    def run(self, check=False, **args):
        options = dict(self.connection, generate=True, password_file=str(self.file),
                       vault_password_file=str(self.vault_pass))
        options.update(args)
        host = types.SimpleNamespace(name="controller", python=sys.executable, root=str(self.tmp))
        run = self.ansible([host], MODULE, {"controller": options}, check=check, verbosity=3)
        return run, run["controller"]

    def view(self):
        """The file as the help desk sees it (ansible-vault view)."""
        proc = subprocess.run([os.path.join(BIN, "ansible-vault"), "view", "--vault-password-file", str(self.vault_pass),
                               str(self.file)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False,
                              env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
        assert proc.returncode == 0, proc.stderr
        return yaml.safe_load(proc.stdout)

    def assert_secret(self, run, entries):
        """No generated password in the output or the result."""
        text = run.output + repr(run.results)
        leaked = [user for user, entry in entries.items() if entry["password"] in text]
        assert not leaked, "the passwords of %s show in the output or the result" % leaked

    def writes(self):
        return [call for call in self.sim.calls() if call["route"] in WRITES]

    def has_password(self, user, password):
        return self.sim.check_password(self.sim.user_id(user), password)


@pytest.fixture(name="gen")
def _gen(sim, ansible, tmp_path):
    yield Generate(sim, ansible, tmp_path)
    sim.reset_controls()


def test_passwords_are_made_kept_in_the_vault_file_and_set(gen):
    users = gen.users(3)
    gen.sim.set_user_fields(gen.sim.user_id(users[1]), account_locked=True)
    run, result = gen.run(users=users, unlock=True, temporary=True)
    assert run.rc == 0, run
    assert result["changed"] and result["generated"] == users
    assert stat.S_IMODE(os.stat(gen.file).st_mode) == 0o600
    assert gen.file.read_bytes().startswith(b"$ANSIBLE_VAULT;")
    entries = gen.view()
    assert sorted(entries) == sorted(users)
    for user in users:
        assert entries[user]["state"] == "set"
        assert len(entries[user]["password"]) == 20
        assert not set("{}%#") & set(entries[user]["password"])
        assert gen.has_password(user, entries[user]["password"])
        assert gen.sim.user_state(gen.sim.user_id(user))["password_expired"]
    assert not gen.sim.user_state(gen.sim.user_id(users[1]))["account_locked"]
    assert len({entry["password"] for entry in entries.values()}) == 3
    gen.assert_secret(run, entries)
    assert [entry["outcome"] for entry in result["results"]] == ["set"] * 3


def test_a_rerun_keeps_the_passwords_of_users_done_and_makes_only_new_ones(gen):
    users = gen.users(3)
    first, _result = gen.run(users=users[:2])
    assert first.rc == 0, first
    before = gen.view()
    gen.sim.clear_calls()
    run, result = gen.run(users=users)
    assert run.rc == 0, run
    assert result["generated"] == [users[2]]
    after = gen.view()
    for user in users[:2]:
        assert after[user] == before[user]
        assert gen.has_password(user, before[user]["password"])
    assert gen.has_password(users[2], after[users[2]]["password"])
    assert len(gen.sim.calls(PUT)) == 1  # only the new user is sent a password
    done = [entry for entry in result["results"] if entry["user"] in users[:2]]
    assert all(not entry["changed"] and entry["outcome"] == "set" for entry in done)
    gen.assert_secret(run, after)


def test_single_user_and_check_mode(gen):
    user, = gen.users(1)
    run, result = gen.run(check=True, user=user)
    assert run.rc == 0, run
    assert result["changed"] and not gen.file.exists() and not gen.writes()
    run, result = gen.run(user=user)
    assert run.rc == 0 and result["outcome"] == "set" and result["generated"] == [user], run
    entries = gen.view()
    assert gen.has_password(user, entries[user]["password"])
    gen.assert_secret(run, entries)
    again, result = gen.run(user=user)
    assert again.rc == 0 and not result["changed"] and result["generated"] == [], again


def test_a_user_whose_reset_failed_is_sent_the_same_password_again(gen):
    users = gen.users(2)
    gen.sim.inject_fault("error", status=400, match="PUT /api/systemusers/%s$" % gen.sim.user_id(users[1]))
    run, result = gen.run(users=users)
    assert run.rc != 0 and result["summary"]["failed"] == 1, run
    first = gen.view()
    assert first[users[0]]["state"] == "set" and first[users[1]]["state"] == "failed"
    gen.sim.clear_faults()
    run, result = gen.run(users=users)
    assert run.rc == 0 and result["generated"] == [], run
    second = gen.view()
    assert second[users[1]]["password"] == first[users[1]]["password"] and second[users[1]]["state"] == "set"
    assert gen.has_password(users[1], first[users[1]]["password"])
    gen.assert_secret(run, second)


def test_a_password_the_policy_refuses_is_never_sent_nor_kept(gen):
    users = gen.users(1)
    gen.sim.set_password_policy(minLength=24)
    try:
        run, result = gen.run(users=users, generate_length=20)
        assert run.rc != 0, run
        entry = result["results"][0]
        assert entry["failed"] and entry["policy_rules"] and result["generated"] == []
        assert not gen.writes()
        assert gen.view() == {}
        run, result = gen.run(users=users, generate_length=28)
        assert run.rc == 0 and result["generated"] == users, run
        assert gen.has_password(users[0], gen.view()[users[0]]["password"])
    finally:
        gen.sim.set_password_policy(minLength=12)


BAD = [
    Case("plain-file", {}, mentions=("password_file", "not encrypted")),
    Case("wrong-secret", {}, mentions=("password_file", "vault secret")),
    Case("with-password", {"password": "Some-Pass-123-x"}, mentions=("generate", "password"),
         secrets=["Some-Pass-123-x"]),
    Case("no-file-option", {"password_file": ""}, mentions=("password_file",)),
    Case("short", {"generate_length": 8}, mentions=("generate_length",)),
    Case("length-not-a-number", {"generate_length": "long"}, mentions=("generate_length",)),
    Case("no-folder", {"password_file": "<tmp>/nowhere/p.yml"}, mentions=("password_file", "directory")),
    Case("file-without-generate", {"generate": False, "password": "Some-Pass-123-x"},
         mentions=("password_file", "generate"), secrets=["Some-Pass-123-x"]),
    Case("users-a-string", {"users": "<user>"}, mentions=("users",)),
    Case("users-twice", {"users": ["<user>", "<user>"]}, mentions=("each user may be given once",)),
    Case("user-and-users", {"user": "<user>"}, mentions=("user", "users")),
    Case("unknown-vault-id", {"vault_password_file": "", "vault_id": "helpdesk"}, mentions=("vault_id", "helpdesk")),
    Case("no-vault-secret", {"vault_password_file": ""}, mentions=("vault",)),
]


@pytest.mark.parametrize("case", BAD, ids=[case.name for case in BAD])
def test_bad_input_is_refused_and_nothing_is_sent(request, gen, case):
    user, = gen.users(1)
    if case.name == "plain-file":
        gen.file.write_text("alice: not encrypted\n")
    elif case.name == "wrong-secret":
        gen.run(users=gen.users(1))
        gen.vault_pass.write_text("another secret\n")
    placeholders = {"<user>": user, "<tmp>/nowhere/p.yml": str(gen.tmp / "nowhere" / "p.yml")}
    args = {"users": [user]}
    for name, value in case.args.items():
        args[name] = [placeholders.get(v, v) for v in value] if isinstance(value, list) else placeholders.get(value, value)
    before = gen.file.read_bytes() if gen.file.exists() else None
    gen.sim.clear_calls()
    run, result = gen.run(**args)
    wrote = bool(gen.writes()) or (gen.file.read_bytes() if gen.file.exists() else None) != before
    verdict = badinput_lib.verdict(case, result, run.output, wrote)
    badinput_lib.record(request, "bad input", verdict=verdict, bad=case.bad)
    assert verdict == badinput_lib.REFUSED, "%s: %s\n%s" % (case.name, verdict, run.output[-2500:])


def test_a_long_list_shows_its_progress_and_a_single_user_does_not(gen):
    users = gen.users(120)
    gen.sim.inject_fault("slow", seconds=0.15, match="PUT /api/systemusers/")
    run, result = gen.run(users=users, progress_interval=1, max_concurrency=4)
    assert run.rc == 0, run
    lines = [line for line in run.output.splitlines() if "users done" in line]
    assert lines and "of 120 users done" in lines[-1] and "120 of 120" in lines[-1], run.output[-3000:]
    assert all("failed so far" in line for line in lines)
    gen.assert_secret(run, gen.view())
    one, _result = gen.run(user=gen.users(1)[0], progress_interval=1)
    assert one.rc == 0 and "users done" not in one.output, one
