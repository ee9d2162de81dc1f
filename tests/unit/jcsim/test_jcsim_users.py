"""Reading users: GET /api/systemusers (paging, sort, fields, filter, search), the search body,
GET /api/systemusers/{id}, and the organisation with its password policy."""

import json
import re

import pytest

# Every field of the spec's systemuserreturn: the simulator returns them all by default.
USER_FIELDS = {
    "_id", "account_locked", "account_locked_date", "activated", "addresses", "admin", "allow_public_key",
    "alternateEmail", "attributes", "badLoginAttempts", "company", "costCenter", "created", "creationSource",
    "delegatedAuthority", "department", "description", "disableDeviceMaxLoginAttempts", "displayname", "email",
    "employeeIdentifier", "employeeType", "enable_managed_uid", "enable_user_portal_multifactor", "external_dn",
    "external_password_expiration_date", "external_source_type", "externally_managed", "firstname", "jobTitle",
    "lastname", "ldap_binding_user", "location", "managedAppleId", "manager", "mfa", "mfaEnrollment", "middlename",
    "organization", "password_date", "password_expiration_date", "password_expired", "password_never_expires",
    "passwordless_sudo", "phoneNumbers", "public_key", "recoveryEmail", "relationships", "restrictedFields",
    "samba_service_user", "ssh_keys", "state", "sudo", "suspended", "totp_enabled", "unix_guid", "unix_uid", "username",
}


@pytest.fixture
def crowd(sim):
    """25 more users (user00004..user00028 after alice, bob and carol)."""
    return sim.seed_users(25)


def names(body):
    return [user["username"] for user in body["results"]]


def test_list_defaults_to_ten_with_total(api, crowd):
    status, body = api.users()
    assert status == 200 and body["totalCount"] == 28 and len(body["results"]) == 10
    assert set(body["results"][0]) == USER_FIELDS
    assert crowd


def test_user_record_shape(api, alice):
    user = api.get("/api/systemusers/" + alice).json()
    assert set(user) == USER_FIELDS and "password" not in user
    assert re.fullmatch(r"[0-9a-f]{24}", user["_id"]) and user["organization"] == api.sim.org_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", user["password_date"])
    assert user["mfa"] == {"configured": False, "exclusion": False}
    assert (user["state"], user["activated"], user["suspended"], user["account_locked"]) == ("ACTIVATED", True, False, False)
    assert user["account_locked_date"] is None and user["password_expiration_date"] is None


@pytest.mark.parametrize("limit, status", [("100", 200), ("101", 400), ("0", 400), ("-1", 400), ("ten", 400)])
def test_limit_bounds(api, crowd, limit, status):
    assert api.users(limit=limit)[0] == status
    assert crowd


def test_skip_pages_without_overlap_when_sorted_by_id(api, crowd):
    seen = []
    for skip in range(0, 28, 10):
        status, body = api.users(limit=10, skip=skip, sort="_id")
        assert status == 200
        seen += [user["_id"] for user in body["results"]]
    assert len(seen) == len(set(seen)) == 28 and seen == sorted(seen)
    assert api.users(skip=-1)[0] == 400
    assert crowd


def test_sort_descending_and_by_several_fields(api):
    assert names(api.users(sort="-username")[1]) == ["carol", "bob", "alice"]
    assert names(api.users(sort="department -username")[1]) == ["carol", "alice", "bob"]
    assert api.users(sort="nosuchfield")[0] == 400
    assert api.users(sort="mfa")[0] == 400  # objects cannot be sorted on


def test_fields_projection_always_keeps_id(api):
    status, body = api.users(fields="username email", sort="username")
    assert status == 200
    assert body["results"][0] == {"_id": api.sim.user_id("alice"), "username": "alice", "email": "alice@example.test"}
    assert api.users(fields="username password")[0] == 400  # never a field, never returned


@pytest.mark.parametrize("expression", ["username:$eq:bob", "username:eq:bob"])
def test_filter_both_operator_forms(api, expression):
    assert names(api.users(filter=expression)[1]) == ["bob"]


def test_filter_operators_and_types(api):
    assert names(api.users(filter="department:$ne:IT")[1]) == ["bob"]
    assert names(api.users(filter="username:$gt:bob", sort="username")[1]) == ["carol"]
    assert names(api.users(filter="username:lte:bob", sort="username")[1]) == ["alice", "bob"]
    assert names(api.users(filter="activated:$eq:false")[1]) == ["carol"]
    assert api.users(filter="unix_uid:$gte:0")[1]["totalCount"] == 3
    assert names(api.users(filter="account_locked_date:$eq:null", sort="username")[1]) == ["alice", "bob", "carol"]


def test_filters_are_anded_and_indexed_forms_work(api):
    status, body = api.users(filter=["department:$eq:IT", "state:$eq:ACTIVATED"])
    assert status == 200 and names(body) == ["alice"]
    answer = api.get("/api/systemusers", params={"filter[or][0]": "username:$eq:alice", "filter[or][1]": "username:$eq:bob",
                                                 "sort": "username"})
    assert names(answer.json()) == ["alice", "bob"]
    answer = api.get("/api/systemusers", params={"filter[0]": "department:$eq:IT", "filter[1]": "username:$eq:carol"})
    assert names(answer.json()) == ["carol"]


def test_filter_values_are_case_sensitive_and_may_hold_colons(api, sim):
    sim.add_user("dave", description="a:b:c")
    assert api.users(filter="username:$eq:Bob")[1]["totalCount"] == 0
    assert names(api.users(filter="description:$eq:a:b:c")[1]) == ["dave"]


@pytest.mark.parametrize("expression", [
    "username", "username:$eq", "username:$like:bob", "nosuchfield:$eq:x", "account_locked:$eq:yes",
    "badLoginAttempts:$gt:many", "mfa:$eq:x",
])
def test_bad_filters_are_400(api, expression):
    status, body = api.users(filter=expression)
    assert status == 400 and body["code"] == 400 and body["message"]


def test_unknown_or_repeated_query_parameters_are_400(api):
    assert api.users(limt=5)[0] == 400
    assert api.get("/api/systemusers", params=[("limit", "5"), ("limit", "6")]).status_code == 400


def test_search_parameter(api):
    term = json.dumps({"searchTerm": "Rob", "fields": ["firstname"]})
    assert names(api.users(search=term)[1]) == ["bob"]
    assert api.users(search=json.dumps({"searchTerm": "rob", "fields": ["firstname"]}))[1]["totalCount"] == 0
    assert api.users(search="Rob")[0] == 400


def test_natural_order_moves_a_written_user_to_the_end(api, sim, alice):
    """Without sort, records come in store order, which changes on writes: page with sort=_id."""
    assert names(api.users()[1]) == ["alice", "bob", "carol"]
    assert api.put("/api/systemusers/" + alice, json={"jobTitle": "Engineer"}).status_code == 200
    assert names(api.users()[1]) == ["bob", "carol", "alice"]
    assert names(api.users(sort="_id")[1]) == ["alice", "bob", "carol"]
    assert sim.write_count(alice) == 1


# --- POST /api/search/systemusers ------------------------------------------------------------------

def search(api, body, **kwargs):
    answer = api.post("/api/search/systemusers", json=body, **kwargs)
    return answer.status_code, answer.json()


@pytest.mark.parametrize("expression, expected", [
    ([{"department": "IT"}], ["alice", "carol"]),
    ({"department": "IT", "activated": True}, ["alice"]),
    ({"and": [{"department": "IT"}, {"username": "carol"}]}, ["carol"]),
    ({"or": [{"username": "alice"}, {"username": "bob"}]}, ["alice", "bob"]),
    ({"or": [{"and": [{"department": "IT"}, {"activated": False}]}, {"username": "bob"}]}, ["bob", "carol"]),
    ({"username": {"$in": ["bob", "carol"]}}, ["bob", "carol"]),
    ({"username": {"$ne": "bob"}}, ["alice", "carol"]),
    ({"badLoginAttempts": {"$gte": 0, "$lt": 1}}, ["alice", "bob", "carol"]),
])
def test_search_filters(api, expression, expected):
    status, body = search(api, {"filter": expression, "fields": "username"})
    assert status == 200
    assert sorted(names(body)) == expected and body["totalCount"] == len(expected)
    assert set(body["results"][0]) == {"_id", "username"}


def test_search_filter_text_and_paging(api, sim):
    sim.seed_users(12)  # user00004 .. user00015: numbering continues after alice, bob and carol
    status, body = search(api, {"searchFilter": {"searchTerm": ["user0001", "alice"], "fields": ["username"]}, "limit": 5,
                                "skip": 0})
    assert status == 200 and body["totalCount"] == 7 and len(body["results"]) == 5
    status, body = search(api, {"searchFilter": {"searchTerm": "@example.test", "fields": ["email"]}, "limit": 5, "skip": 10})
    assert status == 200 and body["totalCount"] == 15 and len(body["results"]) == 5
    assert "delegatedAuthority" not in body["results"][0]  # not in systemuserSearchReturn


def test_search_query_parameters_or_body_never_both(api):
    assert api.post("/api/search/systemusers", params={"limit": 2}, json={}).json()["totalCount"] == 3
    assert len(api.post("/api/search/systemusers", params={"limit": 2}, json={}).json()["results"]) == 2
    assert search(api, {"limit": 2}, params={"limit": 2})[0] == 400


@pytest.mark.parametrize("body", [
    {"filter": {"nosuchfield": 1}},
    {"filter": {"account_locked": "true"}},
    {"filter": {"and": []}},
    {"filter": {"username": {"$regex": "a"}}},
    {"filter": "username:$eq:bob"},
    {"searchFilter": {"searchTerm": "x"}},
    {"searchFilter": {"searchTerm": "x", "fields": ["account_locked"]}},
    {"limit": 101}, {"limit": "10"}, {"skip": -1}, {"sort": "username"}, {"fields": ["username"]},
    [],
])
def test_search_strictness(api, body):
    status, answer = search(api, body)
    assert status == 400 and answer["code"] == 400


def test_search_needs_a_json_body(api):
    assert api.post("/api/search/systemusers").status_code == 400
    assert api.post("/api/search/systemusers", data="filter=x").status_code == 415


# --- GET /api/systemusers/{id} ---------------------------------------------------------------------

def test_get_user_by_id(api, alice):
    answer = api.get("/api/systemusers/" + alice, params={"fields": "username account_locked"})
    assert answer.json() == {"_id": alice, "username": "alice", "account_locked": False}


@pytest.mark.parametrize("user_id, status", [("0" * 24, 404), ("not-an-id", 400), ("ABCDEF" * 4, 400)])
def test_get_user_errors(api, user_id, status):
    answer = api.get("/api/systemusers/" + user_id)
    assert answer.status_code == status and answer.json()["code"] == status


# --- organisations ----------------------------------------------------------------------------------

def test_organisation_and_password_policy(api, sim):
    org = api.get("/api/organizations/" + sim.org_id).json()
    assert org["_id"] == sim.org_id
    settings = org["settings"]
    assert settings["passwordCompliance"] == "custom"
    policy = settings["passwordPolicy"]
    for name in ("enableMinLength", "minLength", "needsLowercase", "needsUppercase", "needsNumeric", "needsSymbolic",
                 "allowUsernameSubstring", "disallowCommonlyUsedPasswords", "disallowSequentialOrRepetitiveChars",
                 "enablePasswordExpirationInDays", "passwordExpirationInDays", "enableDaysBeforeExpirationToForceReset",
                 "daysBeforeExpirationToForceReset", "enableMaxHistory", "maxHistory", "enableMinChangePeriodInDays",
                 "minChangePeriodInDays", "enableMaxLoginAttempts", "maxLoginAttempts", "enableLockoutTimeInSeconds",
                 "lockoutTimeInSeconds", "enableResetLockoutCounter", "resetLockoutCounterMinutes"):
        assert name in policy
    assert 1 <= policy["maxHistory"] <= 24 and 300 <= policy["lockoutTimeInSeconds"] <= 5400
    sim.set_password_policy(minLength=16, enableMaxLoginAttempts=False)
    sim.set_password_compliance("pci3")
    settings = api.get("/api/organizations/" + sim.org_id).json()["settings"]
    assert settings["passwordPolicy"]["minLength"] == 16 and settings["passwordCompliance"] == "pci3"


def test_organisation_fields_and_errors(api, sim):
    assert set(api.get("/api/organizations/" + sim.org_id, params={"fields": "settings"}).json()) == {"_id", "settings"}
    assert api.get("/api/organizations/" + "0" * 24).status_code == 404
    assert api.get("/api/organizations/bogus").status_code == 400
    listing = api.get("/api/organizations").json()
    assert listing == {"results": [{"_id": sim.org_id, "displayName": sim.directory.primary.name, "logoUrl": ""}],
                       "totalCount": 1}


def test_policy_settings_are_checked(sim):
    with pytest.raises(ValueError):
        sim.set_password_policy(maxHistory=25)
    with pytest.raises(ValueError):
        sim.set_password_policy(minLenght=8)
    with pytest.raises(ValueError):
        sim.set_password_compliance("strict")
