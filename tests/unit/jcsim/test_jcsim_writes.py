"""Changing users: PUT /api/systemusers/{id} (schema, password policy, history, side effects) and the
V2 bulk update job."""

import pytest

NEW_PASSWORD = "Brand-New-Secret-93"


def put(api, user_id, body):
    return api.put("/api/systemusers/" + user_id, json=body)


def test_put_returns_the_user_without_password(api, sim, alice, alice_password):
    before = sim.user(alice)
    answer = put(api, alice, {"password": NEW_PASSWORD, "jobTitle": "Engineer"})
    assert answer.status_code == 200
    user = answer.json()
    assert "password" not in user and user["jobTitle"] == "Engineer"
    assert NEW_PASSWORD not in answer.text
    assert sim.check_password(alice, NEW_PASSWORD) and not sim.check_password(alice, alice_password)
    assert user["password_date"] > before["password_date"]
    assert sim.writes(alice) == [{"seq": 1, "user_id": alice, "operation": "put", "fields": ["jobTitle", "password"]}]


def test_password_change_ends_sessions_and_clears_expiry(api, sim, alice, alice_password):
    assert sim.login("alice", alice_password)["ok"]
    assert sim.active_sessions(alice) == 1
    assert api.post("/api/systemusers/%s/expire" % alice).status_code == 200
    sim.set_user_fields(alice, account_locked=True)
    assert put(api, alice, {"password": NEW_PASSWORD}).status_code == 200
    state = sim.user_state(alice)
    assert state["sessions_ended"] == 1 and state["active_sessions"] == 0
    assert state["password_expired"] is False and state["previous_passwords"] == 1
    assert state["account_locked"] is True  # a new password does not unlock (stricter reading, unconfirmed)


@pytest.mark.parametrize("body, problem", [
    ({"nickname": "Al"}, "nickname: unknown field"),
    ({"_id": "0" * 24}, "_id: unknown field"),
    ({"password_expired": False}, "password_expired: unknown field"),
    ({"account_locked": "false"}, "account_locked: must be a boolean"),
    ({"firstname": 7}, "firstname: must be a string"),
    ({"unix_uid": 0}, "unix_uid: must be >= 1"),
    ({"unix_uid": True}, "unix_uid: must be an integer"),
    ({"state": "STAGED"}, "state: must be one of ACTIVATED, SUSPENDED"),
    ({"mfa": {"exclusion": True, "until": "x"}}, "mfa.until: unknown field"),
    ({"mfa": {"exclusionUntil": "tomorrow"}}, "mfa.exclusionUntil: must be an RFC 3339 date-time"),
    ({"addresses": [{"city": "Paris"}]}, "addresses[0].city: unknown field"),
    ({"ssh_keys": [{"name": "laptop"}]}, "ssh_keys[0].public_key: is required"),
    ({"company": "x" * 1025}, "company: must be at most 1024 characters"),
    ({"password": 12345678901234}, "password: must be a string"),
])
def test_put_schema_is_strict(api, sim, alice, body, problem):
    before = sim.user(alice)
    answer = put(api, alice, body)
    assert answer.status_code == 400
    error = answer.json()
    assert set(error) == {"code", "message", "status"} and error["code"] == 400 and error["status"] == "Bad Request"
    assert problem in error["message"]
    assert sim.user(alice) == before and sim.write_count(alice) == 0


def test_error_messages_never_echo_values(api, alice):
    answer = put(api, alice, {"password": ["Secret-In-A-List-1"]})
    assert answer.status_code == 400 and "Secret-In-A-List-1" not in answer.text


# One password per rule of the default policy (min 12, all four classes, no username, not common, history 5),
# each breaking only that rule.
@pytest.mark.parametrize("password, rule", [
    ("Sh0rt-Pass!", "minLength"),
    ("NO-LOWER-CASE-42", "needsLowercase"),
    ("no-upper-case-42", "needsUppercase"),
    ("No-Digits-Here-Ok", "needsNumeric"),
    ("NoSymbolsHere42x", "needsSymbolic"),
    ("Xalice-Password-9", "allowUsernameSubstring"),
    ("Changeme123!", "disallowCommonlyUsedPasswords"),
    ("", "password"),
])
def test_each_complexity_rule(api, sim, alice, alice_password, password, rule):
    before = sim.user(alice)
    answer = put(api, alice, {"password": password, "firstname": "Changed"})
    assert answer.status_code == 400
    body = answer.json()
    assert set(body) == {"message"}  # the older {"message"} form (status and body unconfirmed)
    assert body["message"].startswith("Password does not meet the password policy: %s:" % rule)
    assert ";" not in body["message"]  # only the one broken rule
    assert sim.user(alice) == before and sim.check_password(alice, alice_password) and sim.write_count(alice) == 0


def test_sequential_or_repetitive_characters(api, sim, alice):
    sim.set_password_policy(disallowSequentialOrRepetitiveChars=True)
    for password in ("Rock-Abc-Garden-7", "Rock-Zzz-Garden-7", "Rock-Garden-789!", "Rock-Garden-cba!7"):
        answer = put(api, alice, {"password": password})
        assert answer.status_code == 400 and "disallowSequentialOrRepetitiveChars" in answer.json()["message"]
    assert put(api, alice, {"password": "Rock-Garden-7!q"}).status_code == 200


def test_several_broken_rules_are_all_named(api, alice):
    message = put(api, alice, {"password": "short"}).json()["message"]
    for rule in ("minLength", "needsUppercase", "needsNumeric", "needsSymbolic"):
        assert rule + ":" in message
    assert "short" not in message.split(":", 1)[1].replace("minLength", "")


def test_history_refuses_current_and_recent_passwords(api, sim, alice, alice_password):
    sim.set_password_policy(maxHistory=2)
    assert "maxHistory" in put(api, alice, {"password": alice_password}).json()["message"]  # the current one
    passwords = ["History-Pass-%d!x" % number for number in range(3)]
    for password in passwords:
        assert put(api, alice, {"password": password}).status_code == 200
    # Current (History-Pass-2) and the two before it are refused; the one before those is free again.
    for password in passwords:
        answer = put(api, alice, {"password": password})
        assert answer.status_code == 400 and answer.json()["message"].startswith(
            "Password does not meet the password policy: maxHistory:")
    assert put(api, alice, {"password": alice_password}).status_code == 200
    assert sim.user_state(alice)["previous_passwords"] == 4


def test_history_off_allows_reuse(api, sim, alice, alice_password):
    sim.set_password_policy(enableMaxHistory=False)
    assert put(api, alice, {"password": alice_password}).status_code == 200


def test_minimum_change_period(api, sim, alice):
    sim.set_password_policy(enableMinChangePeriodInDays=True, minChangePeriodInDays=1)
    assert put(api, alice, {"password": NEW_PASSWORD}).status_code == 200  # set 60 days ago
    answer = put(api, alice, {"password": "Second-New-Secret-94"})
    assert answer.status_code == 400 and "minChangePeriodInDays" in answer.json()["message"]
    sim.advance_time(86400)
    assert put(api, alice, {"password": "Second-New-Secret-94"}).status_code == 200


@pytest.mark.parametrize("compliance, refused, accepted", [
    ("pci3", "onlyletters", "abc1234"),
    ("windows", "alllowercase1", "Mixed-case"),
])
def test_compliance_presets_replace_the_custom_policy(api, sim, alice, compliance, refused, accepted):
    sim.set_password_compliance(compliance)
    assert put(api, alice, {"password": refused}).status_code == 400
    assert put(api, alice, {"password": accepted}).status_code == 200


def test_password_expiration_from_policy(api, sim, alice, alice_password):
    sim.set_password_policy(enablePasswordExpirationInDays=True, passwordExpirationInDays=90)
    user = api.get("/api/systemusers/" + alice).json()
    assert user["password_expiration_date"] is not None and user["password_expired"] is False
    sim.advance_time(31 * 86400)  # the seeded password was set 60 days ago
    assert api.get("/api/systemusers/" + alice).json()["password_expired"] is True
    assert sim.login("alice", alice_password)["result"] == "password_expired"
    assert put(api, alice, {"password_never_expires": True}).json()["password_expiration_date"] is None


def test_username_and_email_must_stay_unique(api, alice):
    assert put(api, alice, {"username": "bob"}).status_code == 409
    assert put(api, alice, {"email": "bob@example.test"}).status_code == 409
    answer = put(api, alice, {"username": "alice2"})
    assert answer.status_code == 200 and answer.json()["username"] == "alice2"


def test_state_and_suspended_move_together(api, alice):
    assert put(api, alice, {"state": "SUSPENDED", "suspended": False}).status_code == 400
    user = put(api, alice, {"suspended": True}).json()
    assert (user["state"], user["suspended"]) == ("SUSPENDED", True)
    user = put(api, alice, {"state": "ACTIVATED"}).json()
    assert (user["state"], user["suspended"]) == ("ACTIVATED", False)


def test_put_account_locked(api, alice):
    user = put(api, alice, {"account_locked": True}).json()
    assert user["account_locked"] is True and user["account_locked_date"]
    user = put(api, alice, {"account_locked": False}).json()
    assert user["account_locked"] is False and user["account_locked_date"] is None


def test_put_unknown_user(api):
    assert put(api, "0" * 24, {"firstname": "X"}).status_code == 404


# --- PATCH /api/v2/bulk/users -------------------------------------------------------------------

def test_bulk_update_job_and_results(api, sim, alice):
    bob = sim.user_id("bob")
    answer = api.patch("/api/v2/bulk/users", json=[{"id": alice, "password": NEW_PASSWORD, "account_locked": False},
                                                   {"id": bob, "password": "weak"},
                                                   {"id": "0" * 24, "firstname": "Ghost"}])
    assert answer.status_code == 200
    job_id = answer.json()["jobId"]
    results_path = "/api/v2/bulk/users/%s/results" % job_id
    first = api.get(results_path)
    assert [item["status"] for item in first.json()] == ["pending"] * 3  # poll until done
    second = api.get(results_path)
    assert second.headers["X-Total-Count"] == "3"
    results = second.json()
    assert [item["status"] for item in results] == ["finished", "failed", "failed"]
    assert results[0]["persistedFields"] == {"id": alice}
    assert "minLength" in results[1]["statusMsg"] and results[2]["statusMsg"] == "User not found"
    assert set(results[0]) == {"id", "createdAt", "updatedAt", "meta", "persistedFields", "status", "statusMsg"}
    assert NEW_PASSWORD not in second.text and "weak" not in second.text
    assert sim.check_password(alice, NEW_PASSWORD) and sim.write_count(alice) == 1 and sim.write_count(bob) == 0
    assert len(api.get(results_path, params={"limit": 1, "skip": 1}).json()) == 1


@pytest.mark.parametrize("body, field", [
    ({"id": "x", "account_locked": "yes"}, "[0].account_locked"),
    ({"firstname": "NoId"}, "[0].id"),
    ({"id": "x", "shoeSize": 42}, "[0].shoeSize"),
])
def test_bulk_schema_errors_refuse_the_whole_job(api, sim, alice, body, field):
    answer = api.patch("/api/v2/bulk/users", json=[{"id": alice, "firstname": "Fine"}, body])
    assert answer.status_code == 400
    error = answer.json()
    assert error["code"] == 400 and error["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    violations = error["details"][0]["fieldViolations"]
    assert [violation["field"] for violation in violations] == [field.replace("[0]", "[1]")]
    assert sim.write_count(alice) == 0


def test_bulk_request_errors(api):
    assert api.patch("/api/v2/bulk/users", json=[]).status_code == 400
    assert api.patch("/api/v2/bulk/users", json={"id": "x"}).status_code == 400
    assert api.patch("/api/v2/bulk/users", json=[{"id": "x"}], params={"suppressEmail": "maybe"}).status_code == 400
    assert api.get("/api/v2/bulk/users/%s/results" % ("0" * 24)).status_code == 404
    assert api.post("/api/v2/bulk/users", json=[]).status_code == 405  # bulk create is not simulated
