"""Account life cycle: logins and lockout (the /__sim/login route), unlock, expire, resetmfa, activate."""

import pytest


def sim_login(api, username, password):
    """A user login driven over HTTP, as an out-of-process test would."""
    answer = api.post("/__sim/login", json={"username": username, "password": password})
    assert answer.status_code == 200
    return answer.json()["result"]


def test_login_route_counts_bad_attempts_and_locks(api, sim, alice, alice_password):
    sim.set_password_policy(maxLoginAttempts=3)
    assert sim_login(api, "alice", alice_password)["result"] == "ok"
    for attempt in (1, 2):
        outcome = sim_login(api, "alice", "Wrong-Guess-%d" % attempt)
        assert outcome == {"ok": False, "result": "bad_password", "badLoginAttempts": attempt, "account_locked": False}
    assert sim_login(api, "alice", "Wrong-Guess-3")["account_locked"] is True
    user = api.get("/api/systemusers/" + alice).json()
    assert user["account_locked"] is True and user["account_locked_date"] and user["badLoginAttempts"] == 3
    # Locked: even the right password is refused, and attempts are no longer counted.
    assert sim_login(api, "alice", alice_password)["result"] == "locked"
    assert sim.user_state(alice)["badLoginAttempts"] == 3


def test_unlock_clears_the_lock_and_the_counter(api, sim, alice, alice_password):
    sim.set_password_policy(maxLoginAttempts=2)
    for _unused in range(2):
        sim.login("alice", "Wrong-Guess-1")
    answer = api.post("/api/systemusers/%s/unlock" % alice)
    assert answer.status_code == 200 and answer.content == b""  # no body documented
    user = api.get("/api/systemusers/" + alice).json()
    assert (user["account_locked"], user["account_locked_date"], user["badLoginAttempts"]) == (False, None, 0)
    assert sim.login("alice", alice_password)["ok"]
    assert sim.writes(alice)[-1]["operation"] == "unlock"


def test_a_good_login_resets_the_counter(sim, alice, alice_password):
    sim.login("alice", "Wrong-Guess-1")
    assert sim.login("alice", alice_password)["badLoginAttempts"] == 0
    assert sim.user_state(alice)["active_sessions"] == 1


def test_no_lockout_when_disabled(sim):
    sim.set_password_policy(enableMaxLoginAttempts=False)
    for _unused in range(20):
        outcome = sim.login("alice", "Wrong-Guess-1")
    assert outcome["account_locked"] is False and outcome["badLoginAttempts"] == 20


def test_lockout_time_and_counter_reset_follow_the_clock(sim, alice, alice_password):
    sim.set_password_policy(maxLoginAttempts=2, enableLockoutTimeInSeconds=True, lockoutTimeInSeconds=300,
                            enableResetLockoutCounter=True, resetLockoutCounterMinutes=10)
    sim.login("alice", "Wrong-Guess-1")
    sim.advance_time(600)
    assert sim.user_state(alice)["badLoginAttempts"] == 0  # counter reset after 10 minutes
    sim.login("alice", "Wrong-Guess-1")
    sim.login("alice", "Wrong-Guess-2")
    assert sim.login("alice", alice_password)["result"] == "locked"
    sim.advance_time(299)
    assert sim.user_state(alice)["account_locked"] is True
    sim.advance_time(1)
    assert sim.login("alice", alice_password)["result"] == "ok"


def test_an_admin_lock_does_not_time_out(api, sim, alice, alice_password):
    sim.set_password_policy(enableLockoutTimeInSeconds=True, lockoutTimeInSeconds=300)
    assert api.put("/api/systemusers/" + alice, json={"account_locked": True}).status_code == 200
    sim.advance_time(3600)
    assert sim.login("alice", alice_password)["result"] == "locked"


def test_expire_then_unlock_keeps_the_password_expired(api, sim, alice, alice_password):
    sim.set_password_policy(maxLoginAttempts=1)
    assert api.post("/api/systemusers/%s/expire" % alice).status_code == 200
    sim.login("alice", "Wrong-Guess-1")
    user = api.get("/api/systemusers/" + alice).json()
    assert user["password_expired"] is True and user["account_locked"] is True  # both at once
    api.post("/api/systemusers/%s/unlock" % alice)
    assert sim.login("alice", alice_password)["result"] == "password_expired"
    assert api.put("/api/systemusers/" + alice, json={"password": "Fresh-Start-Pass-5"}).status_code == 200
    assert sim.login("alice", "Fresh-Start-Pass-5")["result"] == "ok"


def test_resetmfa(api, sim, alice):
    sim.set_user_fields(alice, totp_enabled=True, mfa={"configured": True, "exclusion": False})
    assert api.post("/api/systemusers/%s/resetmfa" % alice).status_code == 200
    user = sim.user(alice)
    assert user["totp_enabled"] is False and user["mfa"] == {"configured": False, "exclusion": False}
    body = {"exclusion": True, "exclusionDays": 7, "exclusionUntil": "2030-01-01T00:00:00Z"}
    assert api.post("/api/systemusers/%s/resetmfa" % alice, json=body).status_code == 200
    assert sim.user(alice)["mfa"] == dict(body, configured=False)
    assert api.post("/api/systemusers/%s/resetmfa" % alice, json={"exclusionDays": 0}).status_code == 400
    assert api.post("/api/systemusers/%s/resetmfa" % alice, json={"exclusion": "yes"}).status_code == 400


def test_activate_staged_user(api, sim):
    carol = sim.user_id("carol")
    assert sim.login("carol", "anything")["result"] == "staged"
    assert api.post("/api/systemusers/%s/state/activate" % carol, json={"email": "carol@example.test"}).status_code == 200
    user = sim.user(carol)
    assert (user["state"], user["activated"]) == ("ACTIVATED", True)
    assert api.post("/api/systemusers/%s/state/activate" % carol).status_code == 200  # again: no change


def test_activate_refuses_a_suspended_user(api, sim, alice):
    api.put("/api/systemusers/" + alice, json={"state": "SUSPENDED"})
    assert sim.login("alice", "x")["result"] == "suspended"
    assert api.post("/api/systemusers/%s/state/activate" % alice).status_code == 400
    assert api.post("/api/systemusers/%s/state/activate" % alice, json={"email": 5}).status_code == 400


@pytest.mark.parametrize("action", ["unlock", "expire", "resetmfa", "state/activate"])
def test_actions_on_missing_users(api, action):
    assert api.post("/api/systemusers/%s/%s" % ("0" * 24, action)).status_code == 404
    assert api.post("/api/systemusers/%s/%s" % ("nope", action)).status_code == 400


def test_unknown_username_login(sim):
    assert sim.login("nobody", "x") == {"ok": False, "result": "unknown_user"}
