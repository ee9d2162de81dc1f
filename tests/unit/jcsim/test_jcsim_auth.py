"""Authentication: OAuth2 client credentials and bearer tokens; multi-tenant x-org-id answers."""

import pytest
import requests

from jcsim import JumpCloudSim

FORM = {"grant_type": "client_credentials", "scope": "api"}


def token(sim, data=None, auth=None, **kwargs):
    if auth is None and data is None:
        auth = (sim.client_id, sim.client_secret)
    return requests.post(sim.token_url, data=FORM if data is None else data, auth=auth, timeout=5, **kwargs)


def test_client_credentials_with_basic_auth(sim):
    answer = token(sim)
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600 and body["scope"] == "api"
    assert answer.headers["Cache-Control"] == "no-store"
    listing = requests.get(sim.url + "/api/systemusers", headers={"Authorization": "Bearer " + body["access_token"]}, timeout=5)
    assert listing.status_code == 200 and listing.json()["totalCount"] == 3
    assert sim.token_requests == 1 and sim.tokens_issued == 1
    assert sim.calls()[-1]["bearer"] is True and sim.calls()[-1]["api_key"] is False


def test_client_credentials_in_the_body(sim):
    answer = token(sim, data=dict(FORM, client_id=sim.client_id, client_secret=sim.client_secret))
    assert answer.status_code == 200 and answer.json()["access_token"]


@pytest.mark.parametrize("data, auth, status, error", [
    (FORM, ("nobody", "wrong"), 401, "invalid_client"),
    (dict(FORM, client_id="nobody", client_secret="wrong"), None, 401, "invalid_client"),
    (FORM, None, 401, "invalid_client"),
    ({"scope": "api"}, True, 400, "invalid_request"),
    (dict(FORM, grant_type="password"), True, 400, "unsupported_grant_type"),
    ({"grant_type": "client_credentials"}, True, 400, "invalid_scope"),
    (dict(FORM, scope="admin"), True, 400, "invalid_scope"),
])
def test_token_errors(sim, data, auth, status, error):
    if auth is True:
        auth = (sim.client_id, sim.client_secret)
    answer = requests.post(sim.token_url, data=data, auth=auth, timeout=5)
    assert answer.status_code == status
    assert answer.json()["error"] == error and answer.json()["error_description"]
    assert sim.tokens_issued == 0 and sim.token_requests == 1


def test_token_request_must_be_form_encoded_and_use_one_method(sim):
    assert token(sim, json=FORM, data={}).json()["error"] == "invalid_request"
    both = token(sim, data=dict(FORM, client_id=sim.client_id, client_secret=sim.client_secret),
                 auth=(sim.client_id, sim.client_secret))
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"


def test_bearer_tokens_expire_and_can_be_revoked(sim):
    headers = {"Authorization": "Bearer " + token(sim).json()["access_token"]}
    path = sim.url + "/api/systemusers"
    sim.advance_time(3599)
    assert requests.get(path, headers=headers, timeout=5).status_code == 200
    sim.advance_time(1)
    assert requests.get(path, headers=headers, timeout=5).status_code == 401
    headers = {"Authorization": "Bearer " + token(sim).json()["access_token"]}
    sim.expire_tokens()
    answer = requests.get(path, headers=headers, timeout=5)
    assert answer.status_code == 401 and answer.json()["message"] == "Unauthorized: invalid or expired bearer token"


@pytest.mark.parametrize("authorization", ["Bearer not-a-token", "Basic Zm9vOmJhcg==", "token"])
def test_bad_authorization_headers(sim, authorization):
    assert requests.get(sim.url + "/api/systemusers", headers={"Authorization": authorization}, timeout=5).status_code == 401


def test_every_credential_sent_must_be_valid(sim):
    headers = {"Authorization": "Bearer " + token(sim).json()["access_token"], "x-api-key": "wrong"}
    assert requests.get(sim.url + "/api/systemusers", headers=headers, timeout=5).status_code == 401


# --- x-org-id ------------------------------------------------------------------------------------

@pytest.fixture
def msp():
    """A multi-tenant key reaching two organisations, each with its own user."""
    with JumpCloudSim(api_key="m" * 40, multi_tenant=True) as sim:
        second = sim.add_org(name="second")
        sim.add_user("first-user")
        sim.add_user("second-user", org_id=second)
        yield sim, second
        assert sim.internal_errors == []


def msp_get(sim, path, org_id=None, **kwargs):
    headers = {"x-api-key": sim.api_key}
    if org_id is not None:
        headers["x-org-id"] = org_id
    return requests.get(sim.url + path, headers=headers, timeout=5, **kwargs)


@pytest.mark.parametrize("org_id, status, message", [
    (None, 401, "x-org-id header is required for a multi-tenant administrator"),
    ("", 401, "x-org-id header is required for a multi-tenant administrator"),
    ("12345", 400, "Malformed x-org-id"),
    ("f" * 24, 404, "Organization not found"),
])
def test_multi_tenant_org_header_errors(msp, org_id, status, message):
    sim, _second = msp
    answer = msp_get(sim, "/api/systemusers", org_id)
    assert answer.status_code == status
    assert answer.json() == {"code": status, "message": message, "status": answer.reason}


def test_multi_tenant_calls_see_only_their_organisation(msp):
    sim, second = msp
    assert [user["username"] for user in msp_get(sim, "/api/systemusers", second).json()["results"]] == ["second-user"]
    assert [user["username"] for user in msp_get(sim, "/api/systemusers", sim.org_id).json()["results"]] == ["first-user"]
    first_user = sim.user_id("first-user")
    assert msp_get(sim, "/api/systemusers/" + first_user, second).status_code == 404
    assert msp_get(sim, "/api/systemusers/" + first_user, sim.org_id.upper()).status_code == 200  # hex in any case


def test_multi_tenant_organisation_routes(msp):
    sim, second = msp
    assert msp_get(sim, "/api/organizations/" + second, second).json()["_id"] == second
    mismatch = msp_get(sim, "/api/organizations/" + second, sim.org_id)
    assert mismatch.status_code == 400 and mismatch.json()["message"] == "x-org-id and organization path id do not match"
    assert msp_get(sim, "/api/organizations").json()["totalCount"] == 2  # the MSP-wide list needs no header
    assert msp_get(sim, "/api/organizations", second).status_code == 403  # ... and refuses one


def test_single_tenant_org_header(sim, make_api):
    api = make_api()
    assert api.get("/api/systemusers", headers={"x-org-id": sim.org_id}).status_code == 200
    assert api.get("/api/systemusers", headers={"x-org-id": ""}).status_code == 200  # as JumpCloud's samples send it
    other = sim.add_org()
    assert api.get("/api/systemusers", headers={"x-org-id": other}).status_code == 404
    assert api.get("/api/systemusers", headers={"x-org-id": "zz"}).status_code == 400


def test_bulk_jobs_belong_to_their_organisation(msp):
    sim, second = msp
    headers = {"x-api-key": sim.api_key, "x-org-id": second}
    user = sim.user_id("second-user", org_id=second)
    job = requests.patch(sim.url + "/api/v2/bulk/users", json=[{"id": user, "jobTitle": "x"}], headers=headers, timeout=5)
    path = "/api/v2/bulk/users/%s/results" % job.json()["jobId"]
    assert msp_get(sim, path, sim.org_id).status_code == 404
    assert msp_get(sim, path, second).status_code == 200
