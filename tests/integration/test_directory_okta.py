"""directory_password, directory_unlock and directory_user_info with provider okta, through ansible-playbook
against oktasim (the Okta stand-in).

Every outcome is read back from the stand-in (passwords, statuses, write counts, the call log), never taken from
the module's word. Each run is at -vvv; its output and result are scanned for every secret in play (API token,
private key, passwords, and the temporary passwords Okta made). Independent cases share one ansible-playbook run
(one pseudo-host each) to keep the suite quick.
"""

import hashlib
import itertools
import json
import os
import secrets
import subprocess
import sys
import time
import types

import pytest
import yaml

from credsync_testlib import ansible_env
from oktasim import OktaSim

BIN = os.path.dirname(sys.executable)
PREFIX = "macfleet.credsync."
REDACTED = "********"
UPDATE = "POST /api/v1/users/{id}"
GET_USER = "GET /api/v1/users/{id}"
LIST = "GET /api/v1/users"
POLICIES = "GET /api/v1/policies"
GROUPS = "GET /api/v1/users/{id}/groups"
EXPIRE = "POST /api/v1/users/{id}/lifecycle/expire_password"
TEMP = "POST /api/v1/users/{id}/lifecycle/expire_password_with_temp_password"
UNLOCK = "POST /api/v1/users/{id}/lifecycle/unlock"
TOKEN = "POST /oauth2/v1/token"
WRITES = (UPDATE, EXPIRE, TEMP, UNLOCK)
_serial = itertools.count(1)


def new_password():
    """Passes the default policy (8+, four classes) and no login part; never used twice."""
    return "Qx-%s-%04d-Z" % (secrets.token_hex(5), next(_serial))


class Harness:
    """One test's view of oktasim: make users, run a module at -vvv, read the call log."""

    def __init__(self, sim, ansible, tmp_path):
        self.sim = sim
        self.ansible = ansible
        self.root = str(tmp_path)
        self.secrets = {sim.api_token, sim.private_key_pem.strip()}
        self.connection = {"provider": "okta", "org_url": sim.url, "api_token": sim.api_token, "timeout": 10,
                           "retries": 3}

    def user(self, locked=False, **fields):
        login = "okta%05d.%s@example.com" % (next(_serial), secrets.token_hex(2))
        password = new_password()
        self.secrets.add(password)
        self.sim.add_user(login, password=password, **fields)
        if locked:
            assert self.sim.lock_out(login) == "LOCKED_OUT"
        return types.SimpleNamespace(login=login, id=self.sim.user_id(login), password=password)

    def password(self):
        password = new_password()
        self.secrets.add(password)
        return password

    def run(self, module, args, check=False, diff=False, connection=None, rc=None):
        result = self.run_cases(module, {"controller": args}, check, diff, connection)["controller"]
        if rc is not None:
            assert result["run"].rc == rc, result["run"]
        return result

    def run_cases(self, module, cases, check=False, diff=False, connection=None):
        options = {}
        for name, args in cases.items():
            options[name] = dict(self.connection if connection is None else connection)
            options[name].update(args)
            options[name] = {key: value for key, value in options[name].items() if value is not None}
            for option in ("api_token", "private_key", "password"):
                if isinstance(options[name].get(option), str):
                    self.secrets.add(options[name][option].strip())
            self.secrets.update(entry["password"] for entry in options[name].get("passwords") or ())
        hosts = [types.SimpleNamespace(name=name, python=sys.executable, root=self.root) for name in cases]
        run = self.ansible(hosts, PREFIX + module, options, check=check, diff=diff, verbosity=3)
        temps = {self.sim.temp_password(user_id) for user_id in self._temp_users()}
        results = {}
        for name in cases:
            result = dict(run[name])
            invocation = result.pop("invocation", None)
            text = json.dumps(result)
            leaked = [s for s in self.secrets | temps if s and (s in run.output or s in text)]
            assert not leaked, "a secret shows in the output or the result: %r" % run
            assert REDACTED not in text, result
            assert invocation is None or all(
                invocation["module_args"].get(option) in (None, "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER")
                for option in ("api_token", "private_key", "password")), invocation
            result["run"] = run
            results[name] = result
        return results

    def _temp_users(self):
        return [write["user_id"] for write in self.sim.writes() if write["operation"].endswith("temp_password")]

    def calls(self, *routes):
        return [call for call in self.sim.calls() if not routes or call["route"] in routes]

    def count(self, *routes):
        return len(self.calls(*routes))


@pytest.fixture(scope="module")
def sim():
    with OktaSim() as server:
        server.seed_users(230, prefix="crowd")  # an org to page through (200 a page)
        yield server
        assert server.internal_errors == []


@pytest.fixture
def okta(sim, ansible, tmp_path):  # pylint: disable=redefined-outer-name
    sim.reset_controls()
    yield Harness(sim, ansible, tmp_path)
    sim.reset_controls()
    assert sim.internal_errors == []


def assert_failed(result, *fragments):
    assert result.get("failed"), result
    for fragment in fragments:
        assert fragment in result["msg"], result


# --- directory_password ---------------------------------------------------------------------------


def test_set_password_checks_the_policy_first_then_sets_it_strictly(okta):
    alice, bob, carol = okta.user(), okta.user(), okta.user(locked=True)
    first, second, third = okta.password(), okta.password(), okta.password()
    results = okta.run_cases("directory_password", {
        "plain": {"user": alice.login, "password": first},
        "temporary": {"user": bob.id, "password": second, "temporary": True},
        "unlocked": {"user": carol.login, "password": third, "temporary": True, "unlock": True}})
    plain, temporary, unlocked = results["plain"], results["temporary"], results["unlocked"]
    assert plain["changed"] and plain["outcome"] == "set" and plain["id"] == alice.id
    assert plain["username"] == alice.login and plain["expired"] is False
    assert okta.sim.check_password(alice.login, first) and okta.sim.user_state(alice.login)["status"] == "ACTIVE"
    assert temporary["expired"] is True and okta.sim.user_state(bob.id)["status"] == "PASSWORD_EXPIRED"
    assert okta.sim.login(bob.login, second)["result"] == "password_expired"  # the password set is kept
    assert unlocked["unlocked"] is True and okta.sim.user_state(carol.login)["status"] == "PASSWORD_EXPIRED"
    assert okta.sim.check_password(carol.login, third)
    assert [w["operation"] for w in okta.sim.writes(carol.login)] == ["unlock", "update", "expire_password"]
    updates = okta.calls(UPDATE)
    assert len(updates) == 3 and all(call["query"] == "strict=true" for call in updates)
    # Policy first: each of the three module runs read the policies once, before the first write.
    assert okta.count(POLICIES) == 3
    assert min(c["seq"] for c in okta.calls(POLICIES)) < min(c["seq"] for c in updates)
    assert okta.count(GROUPS) == 0  # only the default policy (Everyone): no group lookups


def test_a_password_breaking_the_policy_names_every_rule_and_nothing_is_sent(okta):
    dave = okta.user(firstName="Dave", lastName="Lister")
    okta.sim.set_password_policy(complexity={"excludeAttributes": ["firstName", "lastName"], "minLength": 16})
    try:
        weak = dave.login.split("@")[0].split(".")[0] + "lister"  # lowercase, short, the login's part, last name
        result = okta.run("directory_password", {"user": dave.login, "password": weak}, rc=2)
        assert_failed(result, "at least 16 characters", "an uppercase letter", "a symbol",
                      "a part of the username", "the last name", "Default Policy")
        assert result["outcome"] == "failed" and not result["changed"]
        assert okta.count(*WRITES) == 0 and okta.sim.check_password(dave.login, dave.password)
    finally:
        okta.sim.set_password_policy(complexity={"excludeAttributes": [], "minLength": 8})


def test_a_group_policy_applies_and_the_groups_are_read(okta):
    group = okta.sim.add_group("Finance %s" % secrets.token_hex(2))
    erin = okta.user(groups=[group])
    policy = okta.sim.add_password_policy("Finance", groups=[group], priority=1, complexity={"minLength": 24})
    try:
        result = okta.run("directory_password", {"user": erin.login, "password": okta.password()}, rc=2)
        assert_failed(result, "at least 24 characters (policy Finance)")
        assert okta.count(GROUPS) == 1 and okta.count(*WRITES) == 0
    finally:
        okta.sim.set_password_policy(policy, complexity={"minLength": 8})
        okta.sim.store.policies = [p for p in okta.sim.store.policies if p["id"] != policy]


def test_directory_sourced_and_unexpirable_users_are_refused_before_any_write(okta):
    ad_user = okta.user(provider="ACTIVE_DIRECTORY")
    staged = okta.user(status="STAGED")
    locked = okta.user(locked=True)
    gone = okta.user(status="DEPROVISIONED")
    results = okta.run_cases("directory_password", {
        "ad": {"user": ad_user.login, "password": okta.password()},
        "staged": {"user": staged.login, "password": okta.password(), "temporary": True},
        "locked": {"user": locked.login, "password": okta.password(), "temporary": True},
        "deprovisioned": {"user": gone.id, "password": okta.password()}})
    assert_failed(results["ad"], "ACTIVE_DIRECTORY", "provider: ad")
    assert_failed(results["staged"], "STAGED", "temporary")
    assert_failed(results["locked"], "locked out", "unlock: true")
    assert_failed(results["deprovisioned"], "DEPROVISIONED", "activate the user first")
    assert results["deprovisioned"]["outcome"] == "failed" and not results["deprovisioned"]["changed"]
    assert okta.count(*WRITES) == 0


def test_history_refusal_of_the_password_just_set_is_already_set(okta):
    frank = okta.user()
    okta.sim.set_password_policy(age={"historyCount": 4})
    try:
        password = okta.password()
        okta.run("directory_password", {"user": frank.login, "password": password}, rc=0)
        again = okta.run("directory_password", {"user": frank.login, "password": password}, rc=0)
        assert again["outcome"] == "already_set" and not again["changed"]
        stale = okta.run("directory_password", {"user": frank.login, "password": password,
                                                "already_set_within": 0}, rc=2)
        assert_failed(stale, "used too recently")
    finally:
        okta.sim.set_password_policy(age={"historyCount": 0})


def test_a_reset_refused_after_the_unlock_says_the_account_was_unlocked(okta):
    ivan, judy = okta.user(locked=True), okta.user(locked=True)
    okta.sim.set_password_policy(age={"minAgeMinutes": 60})  # their passwords were set just now: Okta refuses
    try:
        results = okta.run_cases("directory_password", {
            "one": {"user": ivan.login, "password": okta.password(), "unlock": True},
            "many": {"users": [judy.login], "password": okta.password(), "unlock": True}})
    finally:
        okta.sim.set_password_policy(age={"minAgeMinutes": 0})
    one, many = results["one"], results["many"]["results"][0]
    assert_failed(one, "the account was unlocked, but", "minimum password age")
    assert one["changed"] is True and one["outcome"] == "failed"
    assert many["failed"] and many["changed"] is True and many["outcome"] == "failed"
    assert "the account was unlocked" in many["msg"] and results["many"]["summary"]["changed"] == 1
    for user in (ivan, judy):
        assert okta.sim.user_state(user.login)["status"] == "ACTIVE"
        assert okta.sim.check_password(user.login, user.password)
        assert [w["operation"] for w in okta.sim.writes(user.login)] == ["unlock"]


def test_check_mode_resolves_and_checks_but_sends_nothing(okta):
    gina = okta.user(locked=True)
    result = okta.run("directory_password", {"user": gina.login, "password": okta.password(), "unlock": True,
                                             "temporary": True}, check=True, rc=0)
    assert result["changed"] and result["unlocked"] is True
    assert okta.count(*WRITES) == 0 and okta.count(POLICIES) == 1


# --- temporary passwords Okta makes ---------------------------------------------------------------


def test_generate_temporary_needs_no_log_and_sends_nothing_without_it(okta):
    hank = okta.user()
    result = okta.run("directory_password", {"user": hank.login, "generate_temporary": True}, rc=2)
    assert_failed(result, "no_log")
    assert okta.count(*WRITES) == 0 and okta.count() == 0


GENERATE_PLAY = """---
- name: Temporary passwords Okta makes
  hosts: all
  gather_facts: false
  tasks:
    - name: Generate
      macfleet.credsync.directory_password: "{{ okta_args }}"
      no_log: true
      register: generated
    - name: Fingerprints only
      ansible.builtin.set_fact:
        fingerprints: "{{ (generated.results | default([generated])) | map(attribute='temporary_password')
                          | map('hash', 'sha256') | list }}"
    - name: Show them
      ansible.builtin.debug:
        var: fingerprints
"""


def _play(tmp_path, name, play, variables):
    work = tmp_path / name
    (work / "tmp").mkdir(parents=True)
    (work / "play.yml").write_text(play)
    (work / "vars.json").write_text(json.dumps(variables))
    (work / "inventory.yml").write_text("all:\n  hosts:\n    controller:\n      ansible_connection: local\n"
                                        "      ansible_python_interpreter: %s\n" % json.dumps(sys.executable))
    env = ansible_env(work)
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    return subprocess.run([os.path.join(BIN, "ansible-playbook"), "-vvv", "-i", str(work / "inventory.yml"),
                           "-e", "@" + str(work / "vars.json"), str(work / "play.yml")], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300, check=False)


def test_generated_temporary_passwords_are_returned_to_a_no_log_task_and_never_shown(okta, tmp_path):
    users = [okta.user(), okta.user(locked=True)]
    args = dict(okta.connection, users=[u.login for u in users], generate_temporary=True, unlock=True)
    proc = _play(tmp_path, "generate", GENERATE_PLAY, {"okta_args": args})
    assert proc.returncode == 0, proc.stdout[-3000:]
    temps = [okta.sim.temp_password(u.login) for u in users]
    assert all(temps) and not any(temp in proc.stdout for temp in temps)
    assert okta.sim.api_token not in proc.stdout
    for temp in temps:
        assert hashlib.sha256(temp.encode()).hexdigest() in proc.stdout
    for user, temp in zip(users, temps):
        assert okta.sim.user_state(user.login)["status"] == "PASSWORD_EXPIRED"
        assert okta.sim.login(user.login, temp)["result"] == "password_expired"
    assert okta.count(TEMP) == 2 and okta.count(UNLOCK) == 1


def test_temporary_passwords_okta_makes_go_into_the_vault_file_and_are_not_returned(okta, tmp_path):
    users = [okta.user(), okta.user(locked=True)]
    vault_pass = tmp_path / "vault-pass"
    vault_pass.write_text("okta help desk\n")
    password_file = tmp_path / "okta-temporary.vault.yml"
    args = {"users": [u.login for u in users], "generate_temporary": True, "unlock": True,
            "password_file": str(password_file), "vault_password_file": str(vault_pass)}
    result = okta.run("directory_password", args, rc=0)  # no no_log: nothing secret comes back
    assert result["generated"] == [u.login for u in users]
    assert all("temporary_password" not in entry for entry in result["results"])
    temps = [okta.sim.temp_password(u.login) for u in users]
    assert all(temps) and not any(temp in result["run"].output for temp in temps)
    kept = yaml.safe_load(subprocess.run([os.path.join(BIN, "ansible-vault"), "view", "--vault-password-file",
                                          str(vault_pass), str(password_file)], stdout=subprocess.PIPE, text=True,
                                         check=True).stdout)
    for user, temp in zip(users, temps):
        assert kept[user.login]["password"] == temp and kept[user.login]["state"] == "set"
        assert okta.sim.login(user.login, temp)["result"] == "password_expired"
    again = okta.run("directory_password", args, rc=0)
    assert again["generated"] == [] and not again["changed"]
    assert okta.count(TEMP) == 2


# --- OAuth 2.0 service app ------------------------------------------------------------------------


def test_a_service_app_signs_in_with_private_key_jwt_once_per_run(okta):
    ivan, judy = okta.user(), okta.user(locked=True)
    app = {"provider": "okta", "org_url": okta.sim.url, "client_id": okta.sim.client_id,
           "private_key": okta.sim.private_key_pem, "private_key_id": okta.sim.key_id, "timeout": 10}
    results = okta.run_cases("directory_password", {
        "reset": {"users": [ivan.login, judy.login], "password": okta.password(), "unlock": True}}, connection=app)
    assert results["reset"]["summary"] == {"total": 2, "changed": 2, "failed": 0, "unknown": 0}
    assert okta.count(TOKEN) == 1 and okta.sim.stats()["tokens_issued"] >= 1
    assert {call["auth"] for call in okta.calls() if call["route"] != TOKEN} == {"bearer"}
    narrow = dict(app, scopes=["okta.users.read"])
    denied = okta.run("directory_unlock", {"user": judy.login}, connection=narrow, rc=0)
    assert not denied["changed"]  # unlocked already: nothing to send
    kay = okta.user(locked=True)
    denied = okta.run("directory_unlock", {"user": kay.login}, connection=narrow, rc=2)
    assert_failed(denied, "E0000006")
    assert okta.sim.user_state(kay.login)["status"] == "LOCKED_OUT"


# --- list form: concurrency, rate limits, paging, lost answers -------------------------------------


def test_list_form_pages_the_org_and_works_bounded(okta):
    users = [okta.user() for _unused in range(24)]
    weak = users[5]
    resets = [{"user": u.login, "password": okta.password() if u is not weak else "short"} for u in users]
    okta.secrets.add("short")
    result = okta.run("directory_password", {"passwords": resets, "max_concurrency": 6}, rc=2)
    assert result["summary"] == {"total": 24, "changed": 23, "failed": 1, "unknown": 0}
    refused = [entry for entry in result["results"] if entry["failed"]]
    assert [entry["user"] for entry in refused] == [weak.login] and "at least 8 characters" in refused[0]["msg"]
    for user, entry in zip(users, resets):
        if user is not weak:
            assert okta.sim.check_password(user.login, entry["password"]) and okta.sim.write_count(user.login) == 1
    assert okta.count(LIST) >= 2 and okta.count(GET_USER) == 0  # one paged listing (Link next), no GET each
    assert okta.count(UPDATE) == 23


def test_rate_limits_are_honoured_budget_and_429_storm(okta):
    users = [okta.user() for _unused in range(30)]
    okta.sim.set_rate_limit(fraction=0.3, seed=11, reset_seconds=0, match="POST ")
    resets = [{"user": u.login, "password": okta.password()} for u in users]
    result = okta.run("directory_password", {"passwords": resets, "max_concurrency": 8, "retries": 8}, rc=0)
    assert result["summary"]["changed"] == 30 and result["summary"]["failed"] == 0
    assert any(call["status"] == 429 for call in okta.calls(UPDATE))
    for user, entry in zip(users, resets):
        assert okta.sim.check_password(user.login, entry["password"]) and okta.sim.write_count(user.login) == 1
    okta.sim.reset_controls()
    okta.sim.set_rate_limit(per_minute=3)  # the budget of a route: the 4th call would be refused
    try:
        few = [okta.user() for _unused in range(3)]
        started = time.time()
        result = okta.run("directory_unlock", {"users": [u.login for u in few]}, rc=0)
        assert [entry["outcome"] for entry in result["results"]] == ["not_locked"] * 3
        statuses = [call["status"] for call in okta.calls(GET_USER)]
        # Remaining 0 after the third GET: no call was refused, and none went out before the reset.
        assert statuses == [200, 200, 200]
        assert time.time() - started < 90
    finally:
        okta.sim.set_rate_limit(per_minute=100000)


@pytest.mark.parametrize("kind,phase", [("error", "after"), ("error", "before"), ("reset", "before"),
                                        ("truncated", "after")])
def test_a_lost_answer_is_read_back_and_never_written_twice(okta, kind, phase):
    lena = okta.user()
    okta.sim.inject_fault(kind, status=502, phase=phase, count=1, match=r"^POST /api/v1/users/[^/]+$")
    password = okta.password()
    result = okta.run("directory_password", {"user": lena.login, "password": password, "temporary": True}, rc=0)
    assert result["outcome"] == "set" and "read back" in result["note"]
    assert okta.sim.check_password(lena.login, password)
    assert okta.sim.user_state(lena.login)["status"] == "PASSWORD_EXPIRED"
    updates = [w for w in okta.sim.writes(lena.login) if w["operation"] == "update"]
    assert len(updates) == 1  # made once: resent only when the read back showed it not made


def test_unknown_outcome_when_nothing_can_be_read_back(okta):
    mike = okta.user()
    okta.sim.inject_fault("error", status=502, phase="after", match=r"^POST /api/v1/users/[^/]+$", count=1)
    okta.sim.inject_fault("error", status=503, match=r"^GET /api/v1/users/[^/]+$", every=1)
    result = okta.run("directory_password", {"user": mike.login, "password": okta.password(), "retries": 1}, rc=2)
    # The first GET resolves the user before the write; then every read back fails.
    assert result["outcome"] in ("unknown", "failed")
    if result["outcome"] == "unknown":
        assert "may or may not be set" in result["msg"]


# --- directory_unlock and directory_user_info -------------------------------------------------------


def test_unlock_and_facts(okta):
    nina, oscar = okta.user(locked=True), okta.user()
    okta.sim.login(oscar.login, oscar.password)
    results = okta.run_cases("directory_unlock", {"locked": {"user": nina.login}, "free": {"user": oscar.login}},
                             diff=True)
    assert results["locked"]["changed"] and results["locked"]["outcome"] == "unlocked"
    assert results["locked"]["diff"] == {"before": {"account_locked": True}, "after": {"account_locked": False}}
    assert not results["free"]["changed"] and results["free"]["outcome"] == "not_locked"
    assert okta.sim.user_state(nina.login)["status"] == "ACTIVE" and okta.count(UNLOCK) == 1
    okta.sim.lock_out(nina.login)
    okta.sim.clear_calls()
    info = okta.run_cases("directory_user_info", {
        "one": {"users": [nina.login, oscar.id, "nobody@example.com"]},
        "filtered": {"filter": ['status eq "LOCKED_OUT"', 'profile.login eq "%s"' % nina.login]}})
    facts = {user["username"]: user for user in info["one"]["users"]}
    assert facts[nina.login]["status"] == "LOCKED_OUT" and facts[nina.login]["account_locked"] is True
    assert facts[oscar.login]["last_login"] and facts[oscar.login]["password_changed"]
    assert facts[oscar.login]["password_date"] == facts[oscar.login]["password_changed"]
    assert facts[oscar.login]["password_expired"] is False and facts[oscar.login]["credentials_provider"] == "OKTA"
    assert info["one"]["not_found"] == ["nobody@example.com"]
    assert [u["username"] for u in info["filtered"]["users"]] == [nina.login]
    assert okta.count(*WRITES) == 0


def test_list_form_under_lost_answers_sets_each_user_once(okta):
    users = [okta.user() for _unused in range(30)]
    okta.sim.inject_fault("error", status=502, phase="after", fraction=0.25, seed=5,
                          match=r"^POST /api/v1/users/[^/]+(/lifecycle/expire_password)?$")
    okta.sim.inject_fault("reset", phase="before", fraction=0.1, seed=6, match=r"^POST /api/v1/users/[^/]+$")
    resets = [{"user": u.login, "password": okta.password()} for u in users]
    result = okta.run("directory_password", {"passwords": resets, "temporary": True, "max_concurrency": 8}, rc=0)
    assert result["summary"] == {"total": 30, "changed": 30, "failed": 0, "unknown": 0}
    assert sum(1 for call in okta.calls() if call["fault"]) >= 5
    for user, entry in zip(users, resets):
        assert okta.sim.check_password(user.login, entry["password"])
        assert okta.sim.user_state(user.login)["status"] == "PASSWORD_EXPIRED"
        assert [w["operation"] for w in okta.sim.writes(user.login)] == ["update", "expire_password"]


ROLE_PLAY = """---
- name: Reset in Okta through the role
  hosts: all
  gather_facts: false
  tasks:
    - name: Reset
      ansible.builtin.import_role:
        name: macfleet.credsync.directory_reset
      vars:
        directory_reset_provider: okta
        directory_reset_connection: "{{ okta_connection }}"
        directory_reset_passwords: "{{ okta_resets }}"
        directory_reset_temporary: true
        directory_reset_since: "{{ okta_since }}"
"""


def test_the_directory_reset_role_with_provider_okta(okta, tmp_path):
    users = [okta.user(), okta.user(locked=True), okta.user()]
    resets = [{"user": u.login, "password": okta.password()} for u in users]
    connection = {"org_url": okta.sim.url, "api_token": okta.sim.api_token, "timeout": 10}
    started = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 1))
    first = _play(tmp_path, "first", ROLE_PLAY, {"okta_connection": connection, "okta_resets": resets,
                                                 "okta_since": ""})
    assert first.returncode == 0, first.stdout[-3000:]
    for user, entry in zip(users, resets):
        assert okta.sim.check_password(user.login, entry["password"])
        assert okta.sim.user_state(user.login)["status"] == "PASSWORD_EXPIRED"
    again = _play(tmp_path, "again", ROLE_PLAY, {"okta_connection": connection, "okta_resets": resets,
                                                 "okta_since": started})
    assert again.returncode == 0, again.stdout[-3000:]
    assert again.stdout.count("skipped: password already set since") == 3
    assert all(okta.sim.write_count(u.login) == len(okta.sim.writes(u.login)) for u in users)
    assert sum(1 for w in okta.sim.writes() if w["operation"] == "update" and
               w["user_id"] in {u.id for u in users}) == 3  # nobody reset twice
    for output in (first.stdout, again.stdout):
        assert not [s for s in okta.secrets if s in output]


def test_without_the_policy_scope_nothing_is_written(okta):
    pat = okta.user()
    app = {"provider": "okta", "org_url": okta.sim.url, "client_id": okta.sim.client_id,
           "private_key": okta.sim.private_key_pem, "private_key_id": okta.sim.key_id, "timeout": 10,
           "scopes": ["okta.users.read", "okta.users.manage"]}
    result = okta.run("directory_password", {"user": pat.login, "password": okta.password()}, connection=app, rc=2)
    assert_failed(result, "okta.policies.read", "403")
    assert okta.count(*WRITES) == 0 and okta.sim.check_password(pat.login, pat.password)
