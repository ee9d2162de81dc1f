"""oktasim, the Okta stand-in, over HTTP: what a real Okta client sends is taken, and the spec's answers come back."""

import base64
import json
import os
import sys
import threading
import time
import uuid

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from oktasim import OktaSim  # noqa: E402  pylint: disable=wrong-import-position

PASSWORD = "Seeded-Pass-1!"
USERS = "GET /api/v1/users"
SDK_HEADERS = {"User-Agent": "OpenAPI-Generator/1.0.0/python", "Accept": "application/json"}


@pytest.fixture(scope="module")
def sim():
    with OktaSim() as started:
        started.seed_users(450, password=PASSWORD)
        yield started
        assert not started.internal_errors


@pytest.fixture
def api(sim):
    sim.reset_controls()
    session = requests.Session()
    session.headers.update(SDK_HEADERS)
    session.headers["Authorization"] = "SSWS " + sim.api_token
    return session


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def assertion(sim, audience=None, kid="same", exp=None, jti=None, issuer=None):
    """A private_key_jwt client assertion as Okta's SDK makes it (RS256, iss = sub = client id, exp +50 min)."""
    key = serialization.load_pem_private_key(sim.private_key_pem.encode("ascii"), None)
    head = {"alg": "RS256", "typ": "JWT"}
    if kid:
        head["kid"] = sim.key_id if kid == "same" else kid
    now = int(time.time())
    claims = {"iss": issuer or sim.client_id, "sub": issuer or sim.client_id, "aud": audience or sim.token_url,
              "iat": now, "exp": exp or now + 3000, "jti": jti or str(uuid.uuid4())}
    signing_input = "%s.%s" % (_b64(json.dumps(head).encode()), _b64(json.dumps(claims).encode()))
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + _b64(signature)


def token_request(sim, scopes="okta.users.read okta.users.manage", **kwargs):
    return requests.post(sim.token_url, data={
        "grant_type": "client_credentials", "scope": scopes, "client_assertion": assertion(sim, **kwargs),
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, timeout=10)


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", ["SSWS {}", "SSWS{}"])
def test_ssws_with_and_without_the_space_the_sdk_leaves_out(sim, authorization):
    answer = requests.get(sim.url + "/api/v1/users/user00001@example.com", timeout=10,
                          headers=dict(SDK_HEADERS, Authorization=authorization.format(sim.api_token)))
    assert answer.status_code == 200
    assert answer.json()["profile"]["login"] == "user00001@example.com"
    assert answer.json()["credentials"]["password"] == {}  # exists, never the value


@pytest.mark.parametrize("headers,status,code", [
    ({}, 401, "E0000005"), ({"Authorization": "SSWS wrong"}, 401, "E0000011"),
    ({"Authorization": "Bearer unknown"}, 401, "E0000011")])
def test_missing_or_wrong_credentials(sim, headers, status, code):
    answer = requests.get(sim.url + "/api/v1/users", headers=headers, timeout=10)
    assert (answer.status_code, answer.json()["errorCode"]) == (status, code)
    assert set(answer.json()) == {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}


def test_private_key_jwt_token_and_scopes(sim):
    answer = token_request(sim, scopes="okta.users.read")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["scope"] == "okta.users.read"
    bearer = {"Authorization": "Bearer " + body["access_token"]}
    assert requests.get(sim.url + "/api/v1/users/user00003", headers=bearer, timeout=10).status_code == 200
    denied = requests.post(sim.url + "/api/v1/users/user00003/lifecycle/unlock", headers=bearer, timeout=10)
    assert denied.status_code == 403 and denied.json()["errorCode"] == "E0000006"
    assert 'error="insufficient_scope"' in denied.headers["WWW-Authenticate"]
    assert requests.get(sim.url + "/api/v1/policies?type=PASSWORD", headers=bearer, timeout=10).status_code == 403
    no_space = {"Authorization": "Bearer" + body["access_token"]}
    assert requests.get(sim.url + "/api/v1/users/user00003", headers=no_space, timeout=10).status_code == 200
    sim.expire_tokens()
    assert requests.get(sim.url + "/api/v1/users/user00003", headers=bearer, timeout=10).status_code == 401


@pytest.mark.parametrize("change,error", [
    ({"audience": "https://elsewhere.example.com/oauth2/v1/token"}, "invalid_client"),
    ({"kid": "another-key"}, "invalid_client"),
    ({"exp": 1000}, "invalid_client"),
    ({"exp": int(time.time()) + 7200}, "invalid_client"),
    ({"issuer": "0oaunknown"}, "invalid_client"),
    ({"scopes": "okta.apps.manage"}, "invalid_scope"),
    ({"scopes": ""}, "invalid_scope"),
])
def test_token_refusals(sim, change, error):
    answer = token_request(sim, **change)
    assert answer.status_code in (400, 401)
    assert answer.json()["error"] == error


def test_an_assertion_is_used_once_and_the_signature_is_checked(sim):
    jti = str(uuid.uuid4())
    assert token_request(sim, jti=jti).status_code == 200
    assert token_request(sim, jti=jti).json()["error"] == "invalid_client"
    forged = assertion(sim)[:-6] + "AAAAAA"
    answer = requests.post(sim.token_url, data={"grant_type": "client_credentials", "scope": "okta.users.read",
                                                "client_assertion": forged, "client_assertion_type":
                                                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, timeout=10)
    assert answer.status_code == 401
    assert requests.post(sim.token_url, data={"grant_type": "password"}, timeout=10).json()["error"] == \
        "unsupported_grant_type"


# --- reading users ----------------------------------------------------------------------------


def test_link_paging_follows_opaque_cursors(sim, api):
    url, seen, pages = sim.url + "/api/v1/users?limit=200", [], 0
    while url:
        answer = api.get(url)
        assert answer.status_code == 200
        seen += [user["id"] for user in answer.json()]
        pages += 1
        assert 'rel="self"' in answer.headers["Link"]
        url = answer.links.get("next", {}).get("url")
    assert pages == 3 and len(seen) == len(set(seen)) >= 450
    assert api.get(sim.url + "/api/v1/users?after=not-a-cursor").status_code == 400


def test_default_page_is_200(sim, api):
    assert len(api.get(sim.url + "/api/v1/users").json()) == 200


@pytest.mark.parametrize("query,logins", [
    ({"search": 'profile.login eq "USER00007@example.com"'}, ["user00007@example.com"]),
    ({"search": 'profile.login sw "user0001" and status eq "ACTIVE"', "limit": "3"},
     ["user00010@example.com", "user00011@example.com", "user00012@example.com"]),
    ({"filter": 'profile.login eq "user00009@example.com"'}, ["user00009@example.com"]),
])
def test_search_and_filter(sim, api, query, logins):
    answer = api.get(sim.url + "/api/v1/users", params=query)
    assert answer.status_code == 200, answer.text
    assert sorted(user["profile"]["login"] for user in answer.json()) == logins


@pytest.mark.parametrize("query", [{"filter": 'profile.login sw "user"'}, {"filter": 'profile.city eq "x"'},
                                   {"search": 'status ne "ACTIVE"'}, {"search": 'status co "ACT"'},
                                   {"search": 'profile.login eq "unterminated'}])
def test_expressions_okta_refuses(sim, api, query):
    answer = api.get(sim.url + "/api/v1/users", params=query)
    assert answer.status_code == 400 and answer.json()["errorCode"] == "E0000031"


def test_unknown_user_parameter_and_method(sim, api):
    assert api.get(sim.url + "/api/v1/users/nobody@example.com").json()["errorCode"] == "E0000007"
    assert api.get(sim.url + "/api/v1/users?page=2").status_code == 400
    answer = api.delete(sim.url + "/api/v1/users/user00001")
    assert answer.status_code == 405 and "GET" in answer.headers["Allow"]


# --- writes: policy, lifecycle ----------------------------------------------------------------


def test_admin_set_checks_complexity_always_and_history_with_strict(sim, api):
    login = "hist@example.com"
    sim.add_user(login, password="First-Pass-1!", firstName="Ada", lastName="Byron")
    policy = sim.add_password_policy("history", age={"historyCount": 3},
                                     complexity={"excludeAttributes": ["firstName", "lastName"]})
    try:
        url = sim.url + "/api/v1/users/" + login
        refused = api.post(url, json={"credentials": {"password": {"value": "Byron-Pass-2!"}}})
        assert refused.status_code == 400 and refused.json()["errorSummary"] == "Api validation failed: password"
        assert "does not include your last name" in refused.json()["errorCauses"][0]["errorSummary"]
        assert "Byron-Pass-2!" not in refused.text
        assert api.post(url, json={"credentials": {"password": {"value": "Second-Pass-2!"}}}).status_code == 200
        again = {"credentials": {"password": {"value": "First-Pass-1!"}}}
        strict = api.post(url + "?strict=true", json=again)
        assert strict.status_code == 400
        assert strict.json()["errorCauses"] == [{"errorSummary": "password: Password has been used too recently"}]
        assert api.post(url, json=again).status_code == 200  # without strict, history is skipped
        assert sim.check_password(login, "First-Pass-1!")
    finally:
        sim.set_password_policy(policy, age={"historyCount": 0})


def test_update_refuses_unknown_fields_and_wrong_types(sim, api):
    url = sim.url + "/api/v1/users/user00020"
    assert api.post(url, json={"password": "x"}).status_code == 400
    assert api.post(url, json={"credentials": {"password": {"value": 12345678}}}).status_code == 400
    assert api.post(url, data=b'{"credentials":{}}', headers={"Content-Type": "text/plain"}).status_code == 415
    assert api.post(url, json={"profile": {"shoeSize": 9}}).json()["errorCauses"][0]["errorSummary"] == \
        "Property name 'shoeSize' is not defined in profile"


def test_lifecycle_expire_temp_password_unlock(sim, api):
    base = sim.url + "/api/v1/users/user00030/lifecycle/"
    octet = {"Content-Type": "application/octet-stream"}  # the SDK's bodiless POSTs
    answer = api.post(base + "expire_password", headers=octet)
    assert answer.status_code == 200 and answer.json()["status"] == "PASSWORD_EXPIRED"
    assert sim.check_password("user00030", PASSWORD)  # kept
    answer = api.post(base + "expire_password_with_temp_password?revokeSessions=true", headers=octet)
    temp = answer.json()["tempPassword"]
    assert answer.status_code == 200 and set(answer.json()) == {"tempPassword"}
    assert sim.check_password("user00030", temp) and sim.temp_password("user00030") == temp
    assert sim.login("user00030@example.com", temp)["result"] == "password_expired"
    assert api.post(base + "unlock", headers=octet).status_code == 403  # PASSWORD_EXPIRED is not locked
    assert sim.lock_out("user00031") == "LOCKED_OUT"
    unlocked = api.post(sim.url + "/api/v1/users/user00031/lifecycle/unlock", headers=octet)
    assert unlocked.status_code == 200 and unlocked.content == b""
    assert sim.user_state("user00031")["status"] == "ACTIVE"
    assert api.post(sim.url + "/api/v1/users/user00031/lifecycle/reset_password").status_code == 400  # sendEmail


def test_a_deactivated_user_is_not_updated(sim, api):
    sim.add_user("gone@example.com", password=PASSWORD, status="DEPROVISIONED")
    url = sim.url + "/api/v1/users/gone@example.com"
    answer = api.post(url + "?strict=true", json={"credentials": {"password": {"value": "Other-Pass-2!"}}})
    assert answer.status_code == 403 and answer.json()["errorCode"] == "E0000038"
    assert api.put(url, json={"profile": {"login": "gone@example.com", "email": "gone@example.com",
                                          "firstName": "G", "lastName": "One"}}).status_code == 403
    assert sim.check_password("gone@example.com", PASSWORD) and not sim.writes("gone@example.com")


def test_unlock_refuses_directory_sourced_users(sim, api):
    sim.add_user("ad-user@example.com", password=PASSWORD, provider="ACTIVE_DIRECTORY", status="LOCKED_OUT")
    assert api.post(sim.url + "/api/v1/users/ad-user@example.com/lifecycle/unlock").status_code == 403


def test_password_policy_for_a_group(sim, api):
    group = sim.add_group("Engineers")
    user_id = sim.add_user("eng@example.com", password=PASSWORD, groups=[group])
    policy_id = sim.add_password_policy("Engineers", groups=[group], priority=1, complexity={"minLength": 14})
    policies = api.get(sim.url + "/api/v1/policies", params={"type": "PASSWORD"}).json()
    assert [p["priority"] for p in policies] == list(range(1, len(policies) + 1)) and policies[-1]["system"]
    assert api.get(sim.url + "/api/v1/users/%s/groups" % user_id).json()[-1]["id"] in (group, policies[-1][
        "conditions"]["people"]["groups"]["include"][0])
    rules = api.get(sim.url + "/api/v1/policies/%s/rules" % policy_id).json()
    assert rules[0]["actions"]["passwordChange"]["access"] == "ALLOW"
    short = api.post(sim.url + "/api/v1/users/" + user_id, json={"credentials": {"password": {"value": "Twelve-Ch1!x"}}})
    assert "at least 14 characters" in short.json()["errorCauses"][0]["errorSummary"]
    assert api.get(sim.url + "/api/v1/policies", params={"type": "OKTA_SIGN_ON"}).json() == []
    assert api.get(sim.url + "/api/v1/policies", params={"type": "NOPE"}).status_code == 400


# --- limits and faults ------------------------------------------------------------------------


def test_rate_limit_headers_and_budget(sim, api):
    sim.set_rate_limit(per_minute=5)
    try:
        answers = [api.get(sim.url + "/api/v1/users/user00040") for _unused in range(7)]
        assert [a.status_code for a in answers][:5] == [200] * 5 and answers[-1].status_code == 429
        assert [int(a.headers["X-Rate-Limit-Remaining"]) for a in answers[:5]] == [4, 3, 2, 1, 0]
        refused = answers[-1]
        assert refused.json()["errorCode"] == "E0000047"
        assert int(refused.headers["X-Rate-Limit-Reset"]) % 60 == 0 and refused.headers["Date"]
        assert api.get(sim.url + "/api/v1/users?limit=1").status_code == 200  # another route, another budget
    finally:
        sim.set_rate_limit(per_minute=100000)


def test_a_429_storm_and_the_concurrency_limit(sim, api):
    sim.set_rate_limit(fraction=0.5, seed=7, reset_seconds=2)
    statuses = [api.get(sim.url + "/api/v1/users/user00041").status_code for _unused in range(40)]
    assert 10 < statuses.count(429) < 30
    sim.clear_rate_limit()
    sim.set_concurrency_limit(1)
    sim.inject_fault("slow", seconds=0.5, count=1)
    results = []
    slow = threading.Thread(target=lambda: results.append(api.get(sim.url + "/api/v1/users/user00042")))
    slow.start()
    time.sleep(0.2)
    second = requests.get(sim.url + "/api/v1/users/user00043", headers={"Authorization": "SSWS " + sim.api_token},
                          timeout=10)
    slow.join()
    assert second.status_code == 429
    assert (second.headers["X-Rate-Limit-Limit"], second.headers["X-Rate-Limit-Remaining"]) == ("0", "0")
    assert results[0].status_code == 200


def test_a_fault_after_the_write_loses_the_answer_but_not_the_change(sim, api):
    sim.inject_fault("error", status=502, phase="after", count=1, match="POST /api/v1/users/[^/]+$")
    answer = api.post(sim.url + "/api/v1/users/user00050", json={"credentials": {"password": {"value": "After-Fault-9!"}}})
    assert answer.status_code == 502
    assert sim.check_password("user00050", "After-Fault-9!")
    assert sim.calls("POST /api/v1/users/{id}")[-1]["fault"] == "error"


def test_the_call_log_names_routes_and_never_bodies(sim, api):
    api.post(sim.url + "/api/v1/users/user00060", json={"credentials": {"password": {"value": "Logged-Not-9!"}}},
             headers={"X-Okta-Retry-Count": "1"})
    call = sim.calls("POST /api/v1/users/{id}")[-1]
    assert call["auth"] == "ssws" and call["user_agent"] == SDK_HEADERS["User-Agent"] and call["retry_count"] == "1"
    assert "Logged-Not-9!" not in json.dumps(sim.calls())


def test_controls_over_http(sim):
    answer = requests.post(sim.url + "/__sim/user_state", json={"key": "user00070"}, timeout=10)
    assert answer.json()["result"]["status"] == "ACTIVE"
    assert requests.post(sim.url + "/__sim/nope", json={}, timeout=10).status_code == 404


def test_tls_with_the_generated_ca():
    with OktaSim(tls=True) as sim:
        sim.add_user("tls@example.com", password=PASSWORD)
        answer = requests.get(sim.url + "/api/v1/users/tls@example.com", verify=sim.ca_path, timeout=10,
                              headers={"Authorization": "SSWS " + sim.api_token})
        assert answer.status_code == 200 and sim.url.startswith("https://")
