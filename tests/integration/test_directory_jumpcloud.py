"""directory_password, directory_unlock and directory_user_info through ansible-playbook against jcsim.

Every outcome is read back from the stand-in (passwords, write counts, lock and expiry state, the call
log), never taken from the module's word. One simulator per test module (per xdist worker) serves most
tests: each test makes its own users and starts with a clean call log, no rate limit and no fault.
Multi-tenant and TLS tests have simulators of their own. Every run is at -vvv, and its output and
result are scanned for every secret in play.
"""

import itertools
import json
import math
import secrets
import sys
import time
import types

import pytest
import requests

from jcsim import JumpCloudSim

PREFIX = "macfleet.credsync."
REDACTED = "********"
MAX_ATTEMPTS = 5  # jcsim's default maxLoginAttempts
WRITE_ROUTES = ("PUT /api/systemusers/{id}", "POST /api/systemusers/{id}/unlock", "POST /api/systemusers/{id}/expire")
PUT = "PUT /api/systemusers/{id}"
UNLOCK = "POST /api/systemusers/{id}/unlock"
EXPIRE = "POST /api/systemusers/{id}/expire"
SEARCH = "POST /api/search/systemusers"
LISTING = "GET /api/systemusers"
GET_USER = "GET /api/systemusers/{id}"
GET_ORG = "GET /api/organizations/{id}"
TOKEN = "POST /oauth2/token"
_serial = itertools.count(1)


def new_password():
    """Passes jcsim's default policy (12+, all four classes, not common) and is never used twice."""
    return "Qx-%s-%04d-z" % (secrets.token_hex(5), next(_serial))


class Harness:
    """One test's view of a simulator: make users, run a module at -vvv, read the call log."""

    def __init__(self, sim, ansible, tmp_path):
        self.sim = sim
        self.ansible = ansible
        self.root = str(tmp_path)
        self.secrets = {sim.api_key, sim.client_secret}
        self.connection = {"base_url": sim.url, "api_key": sim.api_key, "timeout": 10, "retries": 3}

    def user(self, org_id=None, **fields):
        """A new user with a known password (in .password); locked=True drives a real lockout."""
        locked = fields.pop("locked", False)
        username = fields.pop("username", None) or "u%05d-%s" % (next(_serial), secrets.token_hex(2))
        password = new_password()
        self.secrets.add(password)
        user_id = self.sim.add_user(username, password=password, org_id=org_id, **fields)
        user = types.SimpleNamespace(id=user_id, username=username, email=self.sim.user(user_id)["email"],
                                     password=password, org_id=org_id)
        if locked:
            self.lock_out(user)
        return user

    def lock_out(self, user):
        for _attempt in range(MAX_ATTEMPTS):
            self.sim.login(user.username, "not-" + user.password, org_id=user.org_id)
        assert self.sim.user_state(user.id)["account_locked"]

    def password(self):
        password = new_password()
        self.secrets.add(password)
        return password

    def run(self, module, args, check=False, diff=False, connection=None, rc=None):
        """The module's result (the run is in result["run"]); no secret may show in the output or the result."""
        result = self.run_cases(module, {"controller": args}, check, diff, connection)["controller"]
        if rc is not None:
            assert result["run"].rc == rc, result["run"]
        return result

    def run_cases(self, module, cases, check=False, diff=False, connection=None):
        """Several independent cases in one ansible-playbook run, one pseudo-host each: {name: result}."""
        options = {}
        for name, args in cases.items():
            options[name] = dict(self.connection if connection is None else connection)
            options[name].update(args)
            for option in ("api_key", "client_secret", "password"):
                if options[name].get(option):
                    self.secrets.add(options[name][option])
            self.secrets.update(entry["password"] for entry in options[name].get("passwords") or ())
        hosts = [types.SimpleNamespace(name=name, python=sys.executable, root=self.root) for name in cases]
        run = self.ansible(hosts, PREFIX + module, options, check=check, diff=diff, verbosity=3)
        results = {}
        for name in cases:
            result = dict(run[name])
            invocation = result.pop("invocation", None)
            text = json.dumps(result)
            leaked = [secret for secret in self.secrets if secret in run.output or secret in text]
            assert not leaked, "a secret shows in the output or the result: %r" % run
            # Ansible masks no_log values it finds in a result: a mask there means the module let one slip.
            assert REDACTED not in text, result
            assert invocation is None or all(
                invocation["module_args"].get(option) in (None, "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER")
                for option in ("api_key", "client_secret", "password")), invocation
            result["run"] = run
            results[name] = result
        return results

    def calls(self, *routes):
        return [call for call in self.sim.calls() if not routes or call["route"] in routes]

    def count(self, *routes):
        return len(self.calls(*routes))

    def writes(self):
        return self.calls(*WRITE_ROUTES)


@pytest.fixture(scope="module")
def sim():
    with JumpCloudSim() as server:
        server.seed_users(120, prefix="crowd")  # an organisation to page through (limit 100)
        yield server
        assert server.internal_errors == []


@pytest.fixture
def jc(sim, ansible, tmp_path):  # pylint: disable=redefined-outer-name  # pytest fixtures are named after each other
    sim.reset_controls()
    yield Harness(sim, ansible, tmp_path)
    sim.reset_controls()
    assert sim.internal_errors == []


def assert_failed(result, *fragments):
    assert result.get("failed"), result
    for fragment in fragments:
        assert fragment in result["msg"], result


def eventually(check, seconds=8.0):
    """jcsim logs a call when it has answered: a slow call the client gave up on shows up later."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within %ss" % seconds
        time.sleep(0.05)


# --- directory_password: users, forms, policy ---------------------------------------------------

def test_single_user_by_email_reset_ends_sessions(jc):
    alice = jc.user()
    jc.sim.login(alice.username, alice.password)
    password = jc.password()
    result = jc.run("directory_password", {"user": alice.email, "password": password, "provider": "jumpcloud"}, rc=0)
    assert result["changed"] and result["id"] == alice.id and result["username"] == alice.username
    assert result["expired"] is False and result["unlocked"] is False
    assert jc.sim.check_password(alice.id, password)
    state = jc.sim.user_state(alice.id)
    assert state["writes"] == 1 and state["active_sessions"] == 0 and state["sessions_ended"] == 1
    assert jc.count(PUT) == 1 and jc.count(SEARCH) == 1 and jc.count(GET_ORG) == 1
    assert [call["body_fields"] for call in jc.calls(PUT)] == [["password"]]


def test_users_by_username_email_and_id(jc):
    by_name, by_email, by_id = jc.user(), jc.user(), jc.user()
    password = jc.password()
    result = jc.run("directory_password", {"users": [by_name.username, by_email.email, by_id.id], "password": password},
                    rc=0)
    assert [(entry["user"], entry["id"], entry["changed"], entry["failed"]) for entry in result["results"]] == [
        (by_name.username, by_name.id, True, False), (by_email.email, by_email.id, True, False),
        (by_id.id, by_id.id, True, False)]
    assert result["summary"] == {"total": 3, "changed": 3, "failed": 0, "unknown": 0}
    for user in (by_name, by_email, by_id):
        assert jc.sim.check_password(user.id, password) and jc.sim.write_count(user.id) == 1
    assert jc.count(GET_ORG) == 1  # the policy is read once per run
    assert jc.count(GET_USER) == 1 and jc.count(SEARCH) == 2


def test_temporary_password_is_expired_and_must_change(jc):
    bob = jc.user()
    password = jc.password()
    result = jc.run("directory_password", {"user": bob.username, "password": password, "temporary": True}, rc=0)
    assert result["changed"] and result["expired"] is True
    assert jc.count(PUT) == 1 and jc.count(EXPIRE) == 1
    assert jc.sim.user_state(bob.id)["password_expired"] is True
    assert jc.sim.login(bob.username, password)["result"] == "password_expired"


def test_unlock_with_the_reset(jc):
    carol = jc.user(locked=True)
    password = jc.password()
    result = jc.run("directory_password", {"user": carol.id, "password": password, "unlock": True}, rc=0)
    assert result["changed"] and result["unlocked"] is True
    assert jc.count(UNLOCK) == 1
    assert jc.sim.login(carol.username, password)["result"] == "ok"
    # Not locked: unlock is not sent.
    jc.sim.clear_calls()
    result = jc.run("directory_password", {"user": carol.id, "password": jc.password(), "unlock": True}, rc=0)
    assert result["unlocked"] is False and jc.count(UNLOCK) == 0 and jc.count(PUT) == 1


def test_passwords_list_form_gives_each_user_their_own(jc):
    users = [jc.user() for _index in range(3)]
    wanted = [{"user": user.username, "password": jc.password()} for user in users]
    result = jc.run("directory_password", {"passwords": wanted, "temporary": True}, rc=0)
    assert result["summary"] == {"total": 3, "changed": 3, "failed": 0, "unknown": 0}
    for user, entry in zip(users, wanted):
        assert jc.sim.check_password(user.id, entry["password"])
        assert jc.sim.user_state(user.id)["password_expired"] is True
    assert jc.count(PUT) == 3 and jc.count(EXPIRE) == 3


def test_policy_violation_names_every_rule_and_sends_nothing(jc):
    dave = jc.user()
    results = jc.run_cases("directory_password", {
        "weak": {"user": dave.username, "password": "weakpass"},
        "with_name": {"user": dave.username, "password": "Xy-9-%s-long" % dave.username}})
    assert_failed(results["weak"], "password policy", "at least 12 characters", "an uppercase letter", "a digit",
                  "a symbol")
    assert_failed(results["with_name"], "does not contain the username")
    assert jc.count(*WRITE_ROUTES) == 0 and jc.sim.write_count(dave.id) == 0
    assert jc.sim.check_password(dave.id, dave.password)


def test_policy_violation_in_the_list_form_spares_the_others(jc):
    good, bad = jc.user(), jc.user()
    wanted = [{"user": good.username, "password": jc.password()}, {"user": bad.username, "password": "alllowercase"}]
    result = jc.run("directory_password", {"passwords": wanted}, rc=2)
    assert_failed(result, "1 of 2 users failed", bad.username)
    first, second = result["results"]
    assert first["changed"] and not first["failed"]
    assert second["failed"] and not second["changed"] and "an uppercase letter" in second["msg"]
    assert [call["user_id"] for call in jc.writes()] == [good.id]
    assert jc.sim.write_count(bad.id) == 0


def test_a_refusal_only_the_directory_can_make_is_readable(jc):
    """Password history is the server's to check: its 400 comes back as a readable error."""
    erin = jc.user()
    result = jc.run("directory_password", {"user": erin.username, "password": erin.password}, rc=2)
    assert_failed(result, "HTTP 400", "password policy", "maxHistory")
    assert jc.sim.write_count(erin.id) == 0


def test_unknown_and_ambiguous_user_single_form(jc):
    shared = "shared-%s@example.test" % secrets.token_hex(3)
    one, other = jc.user(username=shared), jc.user(email=shared)
    results = jc.run_cases("directory_password", {
        "unknown": {"user": "nobody-%s" % secrets.token_hex(3), "password": jc.password()},
        "unknown_id": {"user": "%024x" % 7, "password": jc.password()},
        "ambiguous": {"user": shared, "password": jc.password()}})
    assert_failed(results["unknown"], "no JumpCloud user with username, email or id")
    assert_failed(results["unknown_id"], "no JumpCloud user with id", "User not found")
    assert_failed(results["ambiguous"], "ambiguous", one.id, other.id)
    assert jc.count(*WRITE_ROUTES) == 0


def test_list_form_resolves_by_one_listing_and_spares_the_others(jc):
    """Over ten users: one paged listing (limit 100, sort=_id) instead of a search per user."""
    users = [jc.user() for _index in range(12)]
    shared = "dup-%s@example.test" % secrets.token_hex(3)
    jc.user(username=shared)
    jc.user(email=shared)
    unknown = "ghost-%s" % secrets.token_hex(3)
    identifiers = [users[0].email, users[1].id] + [user.username for user in users[2:]] + [unknown, shared]
    password = jc.password()
    result = jc.run("directory_password", {"users": identifiers, "password": password, "max_concurrency": 4}, rc=2)
    assert result["summary"] == {"total": 14, "changed": 12, "failed": 2, "unknown": 0}
    by_user = {entry["user"]: entry for entry in result["results"]}
    assert by_user[unknown]["failed"] and by_user[unknown]["not_found"] and "no JumpCloud user" in by_user[unknown]["msg"]
    assert by_user[shared]["failed"] and "ambiguous" in by_user[shared]["msg"]
    assert_failed(result, "2 of 14 users failed", unknown, shared)
    for user in users:
        assert jc.sim.check_password(user.id, password) and jc.sim.write_count(user.id) == 1
    listings = jc.calls(LISTING)
    assert len(listings) == math.ceil(len(jc.sim.directory.users) / 100)
    assert all("limit=100" in call["query"] and "sort=_id" in call["query"] for call in listings)
    assert jc.count(SEARCH) == 0 and jc.count(GET_USER) == 0 and jc.count(PUT) == 12


def test_fail_fast_writes_nothing_after_a_bad_user(jc):
    first, second = jc.user(), jc.user()
    identifiers = [first.username, "ghost-%s" % secrets.token_hex(3), second.username]
    result = jc.run("directory_password", {"users": identifiers, "password": jc.password(), "fail_fast": True}, rc=2)
    assert result["summary"]["changed"] == 0 and result["summary"]["failed"] == 3
    assert [entry["failed"] for entry in result["results"]] == [True, True, True]
    assert "fail_fast" in result["results"][0]["msg"] and "fail_fast" in result["results"][2]["msg"]
    assert jc.count(*WRITE_ROUTES) == 0


def test_check_mode_resolves_and_checks_but_writes_nothing(jc):
    locked, plain = jc.user(locked=True), jc.user()
    weak = jc.user()
    wanted = [{"user": locked.username, "password": jc.password()}, {"user": plain.email, "password": jc.password()},
              {"user": "ghost-%s" % secrets.token_hex(3), "password": jc.password()},
              {"user": weak.id, "password": "weak"}]
    writes_before = len(jc.sim.writes())
    result = jc.run("directory_password", {"passwords": wanted, "temporary": True, "unlock": True}, check=True, rc=2)
    assert [(entry["changed"], entry["failed"]) for entry in result["results"]] == [
        (True, False), (True, False), (False, True), (False, True)]
    assert result["results"][0]["unlocked"] is True and "at least 12 characters" in result["results"][3]["msg"]
    assert jc.count(*WRITE_ROUTES) == 0 and len(jc.sim.writes()) == writes_before
    assert jc.count(SEARCH) == 3 and jc.count(GET_USER) == 1 and jc.count(GET_ORG) == 1
    assert jc.sim.user_state(locked.id)["account_locked"] and jc.sim.check_password(plain.id, plain.password)


# --- retries, faults, time limits ---------------------------------------------------------------

def test_429_storm_writes_every_user_exactly_once(jc):
    ids = jc.sim.seed_users(150, prefix="storm")
    names = [jc.sim.user(user_id)["username"] for user_id in ids]
    password = jc.password()
    jc.sim.set_rate_limit(fraction=0.2, seed=4)
    result = jc.run("directory_password", {"users": names, "password": password, "retries": 8, "max_concurrency": 8},
                    rc=0)
    assert result["summary"] == {"total": 150, "changed": 150, "failed": 0, "unknown": 0}
    assert jc.sim.stats()["rate_limited"] >= 30
    assert [user_id for user_id in ids if not jc.sim.check_password(user_id, password)] == []
    assert [user_id for user_id in ids if jc.sim.write_count(user_id) != 1] == []
    accepted = [call for call in jc.calls(PUT) if call["status"] == 200]
    assert len(accepted) == 150 and len({call["user_id"] for call in accepted}) == 150


def test_retry_after_is_honoured(jc):
    olive = jc.user()
    jc.sim.set_rate_limit(count=1, retry_after=1, match="^POST /api/search")
    result = jc.run("directory_user_info", {"user": olive.username}, rc=0)
    assert result["users"][0]["id"] == olive.id
    first, second = jc.calls(SEARCH)
    assert first["status"] == 429 and second["status"] == 200 and second["time"] - first["time"] >= 0.95


def test_5xx_is_retried_then_succeeds(jc):
    frank = jc.user()
    password = jc.password()
    jc.sim.inject_fault("error", status=503, count=2, match="^PUT ")
    jc.sim.inject_fault("error", status=502, count=1, match="^POST /api/search")
    result = jc.run("directory_password", {"user": frank.username, "password": password}, rc=0)
    assert result["changed"] and jc.sim.check_password(frank.id, password) and jc.sim.write_count(frank.id) == 1
    assert [call["status"] for call in jc.calls(PUT)] == [503, 503, 200]
    assert [call["status"] for call in jc.calls(SEARCH)] == [502, 200]


def test_persistent_5xx_is_a_clear_error(jc):
    """Each PUT answered 500 is followed by a read back; sent again only while that shows the password not set."""
    gina = jc.user()
    jc.sim.inject_fault("error", status=500, match="^PUT ")
    result = jc.run("directory_password", {"user": gina.username, "password": jc.password(), "retries": 2}, rc=2)
    assert_failed(result, "PUT /api/systemusers/%s" % gina.id, "HTTP 500", "Internal Server Error",
                  "read back: the password is not set")
    assert result["outcome"] == "failed"
    assert jc.count(PUT) == 3 and jc.count(GET_USER) == 3 and jc.sim.write_count(gina.id) == 0


@pytest.mark.parametrize("kind", ["malformed", "truncated"])
def test_broken_answers_to_a_read_are_retried_then_a_clear_error(jc, kind):
    hank = jc.user()
    jc.sim.inject_fault(kind, count=1, match="^POST /api/search")
    password = jc.password()
    result = jc.run("directory_password", {"user": hank.username, "password": password}, rc=0)
    assert result["changed"] and jc.sim.check_password(hank.id, password)
    jc.sim.inject_fault(kind, match="^GET /api/organizations/")
    result = jc.run("directory_password", {"user": hank.username, "password": jc.password(), "retries": 1}, rc=2)
    assert_failed(result, "GET /api/organizations/%s" % jc.sim.org_id)
    assert ("not JSON" if kind == "malformed" else "cut short") in result["msg"], result
    assert jc.count(GET_ORG) == 2 + 1 and jc.sim.write_count(hank.id) == 1


@pytest.mark.parametrize("kind", ["malformed", "truncated"])
def test_a_broken_answer_to_an_accepted_write_is_not_written_again(jc, kind):
    """The change was made and answered 200, but the body came back spoiled: the write is done, not retried."""
    ivy = jc.user()
    password = jc.password()
    jc.sim.inject_fault(kind, count=1, match="^PUT ")
    result = jc.run("directory_password", {"user": ivy.username, "password": password}, rc=0)
    assert result["changed"] and jc.sim.check_password(ivy.id, password)
    assert jc.count(PUT) == 1 and jc.sim.write_count(ivy.id) == 1


def test_timeout(jc):
    judy = jc.user()
    jc.sim.inject_fault("slow", seconds=3.5, match="^POST /api/search")
    result = jc.run("directory_password", {"user": judy.username, "password": jc.password(), "timeout": 2, "retries": 0},
                    rc=2)
    assert_failed(result, "POST /api/search/systemusers", "no answer within 2s")
    eventually(lambda: jc.count(SEARCH) == 1)
    jc.sim.reset_controls()
    jc.sim.inject_fault("slow", seconds=3.5, count=1, match="^POST /api/search")
    password = jc.password()
    result = jc.run("directory_password", {"user": judy.username, "password": password, "timeout": 2, "retries": 2},
                    rc=0)
    assert jc.sim.check_password(judy.id, password)
    eventually(lambda: jc.count(SEARCH) == 2)


def test_a_write_left_unanswered_is_not_sent_again(jc):
    """A PUT the server sits on may still be applied: never sent twice; the user is read back until it shows."""
    kim = jc.user()
    jc.sim.inject_fault("slow", seconds=3.5, count=1, match="^PUT ")
    password = jc.password()
    result = jc.run("directory_password", {"user": kim.username, "password": password, "timeout": 2, "retries": 3},
                    rc=0)
    assert result["outcome"] == "set" and "no answer within 2s" in result["note"], result
    assert "read back: the password was set" in result["note"]
    assert jc.count(PUT) == 1 and jc.sim.check_password(kim.id, password) and jc.sim.write_count(kim.id) == 1


def test_a_write_never_made_while_unanswered_is_unknown_and_says_what_to_do(jc):
    """The server sits on the PUT longer than the read back waits: the outcome is unknown, and said so; then a
    re-run, refused by the history rule for a password set minutes ago, reports already_set and converges."""
    lee = jc.user()
    jc.sim.inject_fault("slow", seconds=6, count=1, match="^PUT ")
    password = jc.password()
    result = jc.run("directory_password", {"users": [lee.username], "password": password, "timeout": 2, "retries": 1},
                    rc=2)
    entry = result["results"][0]
    assert entry["outcome"] == "unknown" and "may still be under way" in entry["msg"], entry
    assert "directory_user_info" in entry["msg"] and result["summary"]["unknown"] == 1
    assert any("outcome is unknown" in warning for warning in result.get("warnings", [])), result
    eventually(lambda: jc.sim.write_count(lee.id) == 1)
    jc.sim.reset_controls()
    result = jc.run("directory_password", {"users": [lee.username], "password": password}, rc=0)
    entry = result["results"][0]
    assert entry["outcome"] == "already_set" and not entry["changed"] and "within already_set_within" in entry["note"]
    assert any("already_set_within" in warning for warning in result.get("warnings", [])), result
    assert jc.sim.check_password(lee.id, password) and jc.sim.write_count(lee.id) == 1
    # With already_set_within 0 the same refusal is a failure that says why.
    result = jc.run("directory_password", {"users": [lee.username], "password": password, "already_set_within": 0},
                    rc=2)
    assert result["results"][0]["outcome"] == "failed" and "maxHistory" in result["results"][0]["msg"]


def test_a_lost_answer_and_an_unreadable_user_is_unknown_then_a_rerun_converges(jc):
    """The PUT is made but answered 502, and the user cannot be read back: unknown, said so, nothing sent again.
    The re-run is refused by the history rule for a password set minutes ago: already_set, not failed."""
    max_ = jc.user()
    password = jc.password()
    jc.sim.inject_fault("error", status=502, phase="after", count=1, match="^PUT ")
    jc.sim.inject_fault("error", status=503, match=r"^GET /api/systemusers/[0-9a-f]{24}$")
    result = jc.run("directory_password", {"user": max_.username, "password": password, "retries": 1}, rc=2)
    assert result["outcome"] == "unknown" and not result["changed"], result
    assert_failed(result, "HTTP 502", "reading the user back failed too", "may or may not be set", "directory_user_info")
    assert jc.count(PUT) == 1 and jc.sim.write_count(max_.id) == 1 and jc.sim.check_password(max_.id, password)
    jc.sim.reset_controls()
    result = jc.run("directory_password", {"user": max_.username, "password": password}, rc=0)
    assert result["outcome"] == "already_set" and not result["changed"] and "minutes ago" in result["note"]
    assert jc.sim.write_count(max_.id) == 1


# --- connection and credentials -----------------------------------------------------------------

def test_wrong_api_key_names_the_problem_not_the_key(jc):
    wrong = secrets.token_hex(20)
    jc.secrets.add(wrong)
    result = jc.run("directory_user_info", {"user": "anyone", "api_key": wrong}, rc=2)
    assert_failed(result, "HTTP 401", "invalid API key")
    assert jc.count(SEARCH) == 1  # a refused key is not retried


def test_missing_credentials(jc, monkeypatch):
    monkeypatch.delenv("JUMPCLOUD_API_KEY", raising=False)
    monkeypatch.delenv("JUMPCLOUD_CLIENT_SECRET", raising=False)
    result = jc.run("directory_user_info", {"user": "anyone"}, connection={"base_url": jc.sim.url}, rc=2)
    assert_failed(result, "credentials missing", "JUMPCLOUD_API_KEY")
    assert jc.count() == 0


def test_api_key_from_the_environment(jc, monkeypatch):
    kate = jc.user()
    monkeypatch.setenv("JUMPCLOUD_API_KEY", jc.sim.api_key)
    result = jc.run("directory_user_info", {"user": kate.username}, connection={"base_url": jc.sim.url}, rc=0)
    assert [user["id"] for user in result["users"]] == [kate.id]
    assert all(call["api_key"] for call in jc.calls())


def _oauth(sim, **extra):
    return dict({"base_url": sim.url, "client_id": sim.client_id, "client_secret": sim.client_secret,
                 "oauth_token_url": sim.token_url}, **extra)


def test_service_account_token_is_fetched_once_per_run(jc):
    users = [jc.user() for _index in range(12)]
    password = jc.password()
    tokens = jc.sim.token_requests
    result = jc.run("directory_password", {"users": [user.username for user in users], "password": password},
                    connection=_oauth(jc.sim), rc=0)
    assert result["summary"]["changed"] == 12
    assert jc.sim.token_requests - tokens == 1 and jc.count(TOKEN) == 1
    api_calls = [call for call in jc.calls() if call["route"] != TOKEN]
    assert len(api_calls) > 12 and all(call["bearer"] and not call["api_key"] for call in api_calls)
    assert all(jc.sim.check_password(user.id, password) for user in users)


def test_service_account_secret_from_the_environment_and_a_wrong_secret(jc, monkeypatch):
    liam = jc.user()
    connection = _oauth(jc.sim)
    monkeypatch.setenv("JUMPCLOUD_CLIENT_SECRET", connection.pop("client_secret"))
    wrong = secrets.token_urlsafe(24)
    jc.secrets.add(wrong)
    results = jc.run_cases("directory_user_info", {
        "from_env": {"user": liam.username}, "wrong": {"user": liam.username, "client_secret": wrong}},
        connection=connection)
    assert not results["from_env"].get("failed") and results["from_env"]["users"][0]["id"] == liam.id
    assert_failed(results["wrong"], "OAuth2 token request refused", "HTTP 401", "invalid_client")


def test_region_picks_the_host_and_base_url_overrides_it(jc, monkeypatch):
    # A proxy nobody listens on keeps the region's real host out of reach (and the test offline).
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    mia = jc.user()
    results = jc.run_cases("directory_user_info", {
        "eu": {"user": "anyone", "region": "eu", "base_url": None, "timeout": 2, "retries": 0},
        "base_url": {"user": mia.username, "region": "in"}})
    assert_failed(results["eu"], "console.eu.jumpcloud.com")
    assert not results["base_url"].get("failed") and results["base_url"]["users"][0]["id"] == mia.id


@pytest.fixture(scope="module")
def tls_sim():
    with JumpCloudSim(tls=True) as server:
        yield server
        assert server.internal_errors == []


def test_tls_needs_the_ca(tls_sim, ansible, tmp_path, monkeypatch):  # pylint: disable=redefined-outer-name
    # A trust store from the environment (as in many CI images) must not override ca_path or validate_certs.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", requests.certs.where())
    jc = Harness(tls_sim, ansible, tmp_path)
    nina = jc.user()
    results = jc.run_cases("directory_user_info", {
        "no_ca": {"user": nina.username}, "ca_path": {"user": nina.username, "ca_path": tls_sim.ca_path},
        "unverified": {"user": nina.username, "validate_certs": False}})
    assert_failed(results["no_ca"], "TLS verification failed", "ca_path")
    for name in ("ca_path", "unverified"):
        assert not results[name].get("failed") and results[name]["users"][0]["id"] == nina.id, results[name]


@pytest.fixture(scope="module")
def msp_sim():
    with JumpCloudSim(multi_tenant=True) as server:
        yield server
        assert server.internal_errors == []


def test_multi_tenant_key_needs_the_right_org(msp_sim, ansible, tmp_path):  # pylint: disable=redefined-outer-name
    jc = Harness(msp_sim, ansible, tmp_path)
    other_org = msp_sim.add_org()
    olga = jc.user(org_id=other_org)
    unknown_org = "%024x" % 99
    results = jc.run_cases("directory_password", {
        "no_org": {"user": olga.username, "password": jc.password()},
        "unknown_org": {"user": olga.username, "password": jc.password(), "org_id": unknown_org},
        "unknown_org_by_id": {"user": olga.id, "password": jc.password(), "org_id": unknown_org},
        "malformed_org": {"user": olga.username, "password": jc.password(), "org_id": "not-an-org"},
        "other_org": {"user": olga.username, "password": jc.password(), "org_id": msp_sim.org_id}})
    assert_failed(results["no_org"], "HTTP 401", "x-org-id")
    assert_failed(results["unknown_org"], "HTTP 404", "Organization not found")
    assert_failed(results["unknown_org_by_id"], "Organization not found")
    assert_failed(results["malformed_org"], "HTTP 400", "x-org-id")
    assert_failed(results["other_org"], "no JumpCloud user")  # olga is in the other organisation
    assert jc.count(*WRITE_ROUTES) == 0
    msp_sim.clear_calls()
    password = jc.password()
    result = jc.run("directory_password", {"user": olga.username, "password": password, "org_id": other_org}, rc=0)
    assert result["id"] == olga.id and msp_sim.check_password(olga.id, password)
    assert all(call["org_id"] == other_org for call in msp_sim.calls())
    assert [call["path"] for call in jc.calls(GET_ORG)] == ["/api/organizations/" + other_org]


# --- directory_unlock ---------------------------------------------------------------------------

def test_unlock_only_a_locked_account(jc):
    pat = jc.user(locked=True)
    result = jc.run("directory_unlock", {"user": pat.username}, check=True, diff=True, rc=0)
    assert result["changed"] and result["was_locked"] and jc.count(UNLOCK) == 0
    assert jc.sim.user_state(pat.id)["account_locked"]
    result = jc.run("directory_unlock", {"user": pat.username}, diff=True, rc=0)
    assert result["changed"] and result["was_locked"] and result["id"] == pat.id
    assert result["diff"] == {"before": {"account_locked": True}, "after": {"account_locked": False}}
    assert jc.count(UNLOCK) == 1
    state = jc.sim.user_state(pat.id)
    assert not state["account_locked"] and state["badLoginAttempts"] == 0
    assert jc.sim.login(pat.username, pat.password)["result"] == "ok"
    jc.sim.clear_calls()
    result = jc.run("directory_unlock", {"user": pat.username}, rc=0)
    assert not result["changed"] and not result["was_locked"] and jc.count(UNLOCK) == 0


def test_unlock_list_form(jc):
    locked, unlocked = jc.user(locked=True), jc.user()
    ghost = "ghost-%s" % secrets.token_hex(3)
    result = jc.run("directory_unlock", {"users": [locked.email, unlocked.username, ghost]}, rc=2)
    assert [(entry["changed"], entry["failed"]) for entry in result["results"]] == [(True, False), (False, False),
                                                                                    (False, True)]
    assert result["summary"] == {"total": 3, "changed": 1, "failed": 1, "unknown": 0}
    assert_failed(result, ghost)
    assert [call["user_id"] for call in jc.calls(UNLOCK)] == [locked.id]
    assert not jc.sim.user_state(locked.id)["account_locked"]


def test_the_same_user_twice_is_refused_before_any_write_and_unlocked_once(jc):
    """By username and email, by id and name, twice by name: two racing PUTs never happen; unlock works once."""
    ann, ben = jc.user(locked=True), jc.user()
    results = jc.run_cases("directory_password", {
        "name_and_email": {"users": [ann.username, ben.username, ann.email], "password": jc.password()},
        "id_and_name_bulk": {"users": [ben.id, ann.username, ben.username], "password": jc.password(), "bulk": True},
        "passwords_twice": {"passwords": [{"user": ann.username, "password": jc.password()},
                                          {"user": ann.username, "password": jc.password()}]}})
    assert_failed(results["name_and_email"], "same user", repr(ann.username), repr(ann.email), "nothing was written")
    assert_failed(results["id_and_name_bulk"], "same user", repr(ben.id), repr(ben.username))
    assert_failed(results["passwords_twice"], "given once", repr(ann.username))
    assert jc.count(*WRITE_ROUTES) == 0 and jc.count("PATCH /api/v2/bulk/users") == 0
    result = jc.run("directory_unlock", {"users": [ann.username, ann.email, ann.id]}, rc=0)
    assert [(entry["changed"], entry.get("same_as")) for entry in result["results"]] == [
        (True, None), (False, ann.username), (False, ann.username)]
    assert [call["user_id"] for call in jc.calls(UNLOCK)] == [ann.id]
    assert not jc.sim.user_state(ann.id)["account_locked"]


def test_a_lost_unlock_answer_is_read_back_or_unknown(jc):
    """An unlock answered 500 after it was made: read back, done, not sent again. With the read back failing too,
    the outcome is unknown, and said so."""
    quinn, rose = jc.user(locked=True), jc.user(locked=True)
    jc.sim.inject_fault("error", status=500, phase="after", count=1, match="^POST /api/systemusers/[0-9a-f]+/unlock")
    result = jc.run("directory_unlock", {"user": quinn.username}, rc=0)
    assert result["changed"] and result["outcome"] == "unlocked" and jc.count(UNLOCK) == 1
    assert not jc.sim.user_state(quinn.id)["account_locked"]
    jc.sim.reset_controls()
    jc.sim.inject_fault("error", status=500, phase="after", count=1, match="^POST /api/systemusers/[0-9a-f]+/unlock")
    jc.sim.inject_fault("error", status=503, match=r"^GET /api/systemusers/[0-9a-f]{24}$")
    result = jc.run("directory_unlock", {"users": [rose.username], "retries": 1}, rc=2)
    entry = result["results"][0]
    assert entry["outcome"] == "unknown" and "may or may not be done" in entry["msg"] and jc.count(UNLOCK) == 1
    assert result["summary"]["unknown"] == 1


# --- directory_user_info ------------------------------------------------------------------------

def test_user_info_facts_of_one_user(jc):
    quinn = jc.user(locked=True, totp_enabled=True, mfa={"configured": True, "exclusion": False})
    result = jc.run("directory_user_info", {"user": quinn.username}, rc=0)
    assert not result["changed"] and result["not_found"] == []
    facts = result["users"][0]
    assert facts["id"] == quinn.id and facts["username"] == quinn.username and facts["email"] == quinn.email
    assert facts["account_locked"] is True and facts["account_locked_date"] and facts["bad_login_attempts"] == MAX_ATTEMPTS
    assert facts["state"] == "ACTIVATED" and facts["mfa_configured"] is True and facts["totp_enabled"] is True
    assert facts["password_expired"] is False and facts["password_date"]


def test_user_info_list_and_not_found(jc):
    staged = jc.user(state="STAGED", activated=False)
    expired = jc.user(password_never_expires=False)
    jc.sim.set_user_fields(expired.id, password_expired=True)
    ghost = "ghost-%s" % secrets.token_hex(3)
    results = jc.run_cases("directory_user_info", {
        "listed": {"users": [staged.id, expired.email, ghost]}, "one": {"user": ghost}}, check=True)
    listed = results["listed"]
    assert not listed.get("failed") and not listed["changed"]
    assert [facts["id"] for facts in listed["users"]] == [staged.id, expired.id]
    assert listed["not_found"] == [ghost]
    assert listed["users"][0]["state"] == "STAGED" and listed["users"][0]["activated"] is False
    assert listed["users"][1]["password_expired"] is True
    assert not results["one"].get("failed") and results["one"]["users"] == [] and results["one"]["not_found"] == [ghost]


def test_user_info_filter(jc):
    department = "dept-%s" % secrets.token_hex(3)
    members = [jc.user(department=department) for _index in range(3)]
    jc.lock_out(members[1])
    result = jc.run("directory_user_info", {"filter": ["department:$eq:%s" % department]}, rc=0)
    assert sorted(facts["id"] for facts in result["users"]) == sorted(user.id for user in members)
    result = jc.run("directory_user_info", {"filter": ["department:$eq:%s" % department, "account_locked:$eq:true"]},
                    rc=0)
    assert [facts["id"] for facts in result["users"]] == [members[1].id]
    assert jc.count(*WRITE_ROUTES) == 0
