"""_directory.okta and Okta's policy rules: the rules named, rate-limit waits, Link paging, keys, error texts.

Paging and rate limits run against oktasim (the stand-in) on loopback; the rest needs no server.
"""

import base64
import email.utils
import json
import random
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from credsync_testlib import in_collection_tree

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)", allow_module_level=True)

from ansible_collections.macfleet.credsync.plugins.module_utils._directory import base, okta  # noqa: E402
from ansible_collections.macfleet.credsync.plugins.module_utils._directory.http import Answer, rate_limit_wait  # noqa: E402
from ansible_collections.macfleet.credsync.plugins.module_utils._directory.policy import (  # noqa: E402
    okta_policy_violations)

from oktasim import OktaSim  # noqa: E402

DEFAULTS = {"minLength": 8, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1, "minSymbol": 1,
            "excludeUsername": True, "excludeAttributes": [], "dictionary": {"common": {"exclude": False}}}


# --- policy rules -------------------------------------------------------------------------------


def test_every_broken_rule_is_named_and_none_for_a_good_password():
    assert okta_policy_violations("Good-Pass-42", DEFAULTS, "alice.smith@example.com") == []
    assert okta_policy_violations("abc", DEFAULTS) == [
        "at least 8 characters", "contains an uppercase letter", "contains a number", "contains a symbol"]


def test_flags_are_flags_and_zero_turns_a_class_off():
    lax = dict(DEFAULTS, minUpperCase=0, minSymbol=0, minNumber=0)
    assert okta_policy_violations("lowercaseonly", lax) == []
    assert okta_policy_violations("UPPERCASE-1", dict(DEFAULTS, minLowerCase=1)) == ["contains a lowercase letter"]


@pytest.mark.parametrize("password,broken", [
    ("Smith-Pass-1", True),  # "smith": a part of 4+ characters
    ("Alice-Pass-1", True),
    ("Xy-Com-Pass-1", False),  # "com" is shorter than 4: not excluded
    ("Example-42!x", True),
])
def test_username_parts_of_four_or_more(password, broken):
    found = okta_policy_violations(password, DEFAULTS, "alice.smith@example.com")
    assert ("does not contain a part of the username" in found) is broken
    assert all("smith" not in rule.lower() for rule in found)  # the part is never named


def test_exclude_attributes_repeats_and_common_passwords():
    complexity = dict(DEFAULTS, excludeAttributes=["firstName", "lastName"], maxConsecutiveCharacters=2,
                      dictionary={"common": {"exclude": True}}, excludeUsername=False)
    profile = {"firstName": "Ada", "lastName": "Lovelace"}
    assert okta_policy_violations("Lovelace-1x!", complexity, "ada@example.com", profile) == [
        "does not contain the last name"]
    assert okta_policy_violations("Bbb-1x!aaa", complexity, "x@example.com", profile) == [
        "no more than 2 identical characters in a row"]
    assert okta_policy_violations("P@ssw0rd", dict(complexity, minLength=8), "x@example.com", {}) == [
        "not a commonly used password"]
    assert okta_policy_violations("Xq-Ada-99", complexity, "x@example.com", profile) == ["does not contain the first name"]


# --- rate limits --------------------------------------------------------------------------------


def test_rate_limit_wait_is_measured_by_the_servers_date_plus_one_and_jitter():
    date = email.utils.formatdate(1_800_000_000, usegmt=True)
    rng = random.Random(1)
    wait = rate_limit_wait("1800000005", date, rng=rng)
    assert 6.0 <= wait <= 7.0
    assert rate_limit_wait("1800000000", date, rng=random.Random(2)) <= 2.0
    assert rate_limit_wait("1800009999", date, cap=30, rng=random.Random(3)) <= 31
    assert rate_limit_wait(None, date) is None and rate_limit_wait("x", date) is None
    assert rate_limit_wait("1800000005", None) is None


def test_a_429_waits_for_the_reset_then_succeeds():
    with OktaSim() as sim:
        sim.add_user("rl@example.com", password="Rate-Limit-1!")
        client = okta.OktaClient(sim.url, api_token=sim.api_token, timeout=10, retries=3)
        sim.set_rate_limit(count=1, reset_seconds=1)
        started = time.monotonic()
        assert client.request("GET", "/api/v1/users/rl@example.com")["profile"]["login"] == "rl@example.com"
        assert time.monotonic() - started >= 1.0
        assert [c["status"] for c in sim.calls()] == [429, 200]


def test_a_spent_budget_holds_every_worker_until_the_reset():
    with OktaSim(per_minute=2) as sim:
        sim.add_user("budget@example.com", password="Budget-Pass-1!")
        client = okta.OktaClient(sim.url, api_token=sim.api_token, timeout=10, retries=3)
        client.request("GET", "/api/v1/users/budget@example.com")
        client.request("GET", "/api/v1/users/budget@example.com")  # Remaining 0
        assert client.paused == 1 and client._pause_until > time.monotonic()  # pylint: disable=protected-access
        client._pause_until = time.monotonic() + 0.3  # pylint: disable=protected-access  # not a whole minute here
        sim.set_rate_limit(per_minute=100)
        started = time.monotonic()
        client.request("GET", "/api/v1/users/budget@example.com")
        assert time.monotonic() - started >= 0.25
        assert all(c["status"] == 200 for c in sim.calls())


# --- paging -------------------------------------------------------------------------------------


def test_pages_follow_the_link_cursor_to_the_end():
    with OktaSim() as sim:
        sim.seed_users(450)
        client = okta.OktaClient(sim.url, api_token=sim.api_token, timeout=10)
        directory = okta.OktaDirectory(client)
        users = list(directory.iter_users())
        assert len(users) == 450 and len({u["_id"] for u in users}) == 450
        assert sim.call_count("GET /api/v1/users") == 3
        locked = list(directory.iter_users(['profile.login sw "user0000"']))
        assert [u["username"] for u in locked] == ["user%05d@example.com" % i for i in range(1, 10)]


def test_a_next_link_to_another_host_is_not_followed():
    client = okta.OktaClient("https://example.okta.com", api_token="t" * 20)
    assert client._next_link('<https://example.okta.com/api/v1/users?after=x>; rel="next"') == \
        "https://example.okta.com/api/v1/users?after=x"  # pylint: disable=protected-access
    with pytest.raises(base.DirectoryError, match="points away"):
        client._next_link('<https://evil.example.com/api/v1/users?after=x>; rel="next"')  # pylint: disable=protected-access
    assert client._next_link('<https://example.okta.com/api/v1/users>; rel="self"') is None  # pylint: disable=protected-access


def test_a_next_link_over_plain_http_is_not_followed():
    client = okta.OktaClient("https://example.okta.com", api_token="t" * 20)
    with pytest.raises(base.DirectoryError, match="points away"):
        client._next_link('<http://example.okta.com/api/v1/users?after=x>; rel="next"')  # pylint: disable=protected-access


class _LoopingPages(okta.OktaClient):
    """Answers every page with one user and a next link that leads back to the second page."""

    def request(self, method, path, params=None, body=None, write=False, with_headers=False):
        self.calls += 1
        link = '<https://example.okta.com/api/v1/users?after=c2&limit=1>; rel="next"'
        return [{"id": "00u%017d" % self.calls, "profile": {"login": "u%d@example.com" % self.calls}}], {"Link": link}


def test_a_next_link_back_to_a_page_already_read_stops_paging():
    client = _LoopingPages("https://example.okta.com", api_token="t" * 20)
    with pytest.raises(base.DirectoryError, match="leads back to a page already read"):
        list(okta.OktaDirectory(client).iter_users())
    assert client.calls == 2


def test_me_names_the_token_owner_and_is_refused_unread_in_both_lookups():
    with OktaSim() as sim:
        sim.seed_users(12)
        sim.add_user("me@example.com", password="Me-Pass-1234!")
        directory = okta.OktaDirectory(okta.OktaClient(sim.url, api_token=sim.api_token, timeout=10))
        few = directory.resolve(["me", "user00001"])
        assert isinstance(few["me"], base.DirectoryError) and "API token" in str(few["me"])
        assert sim.call_count("GET /api/v1/users/{id}") == 1  # user00001 only: "me" is never sent
        many = directory.resolve(["ME"] + ["user%05d" % i for i in range(1, 12)])
        assert isinstance(many["ME"], base.DirectoryError) and many["user00011"]["username"] == "user00011@example.com"
        assert directory.resolve(["me@example.com"])["me@example.com"]["username"] == "me@example.com"


# --- keys and errors ----------------------------------------------------------------------------


def _b64(number):
    return base64.urlsafe_b64encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


def test_private_keys_pem_and_jwk_and_refusals_naming_nothing_of_them():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption()).decode()
    loaded, kid = okta.load_private_key(pem)
    assert loaded.private_numbers() == key.private_numbers() and kid is None
    numbers = key.private_numbers()
    jwk = {"kty": "RSA", "kid": "k1", "n": _b64(numbers.public_numbers.n), "e": _b64(numbers.public_numbers.e),
           "d": _b64(numbers.d), "p": _b64(numbers.p), "q": _b64(numbers.q), "dp": _b64(numbers.dmp1),
           "dq": _b64(numbers.dmq1), "qi": _b64(numbers.iqmp)}
    loaded, kid = okta.load_private_key(json.dumps(jwk))
    assert loaded.private_numbers() == key.private_numbers() and kid == "k1"
    garbage = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXN0dWZm\n-----END PRIVATE KEY-----"
    with pytest.raises(base.DirectoryError) as info:
        okta.load_private_key(garbage)
    assert "c2VjcmV0" not in str(info.value)
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with pytest.raises(base.DirectoryError, match="RSA"):
        okta.load_private_key(ec_pem)


def test_a_service_app_token_is_fetched_once_and_renewed_after_revocation():
    with OktaSim() as sim:
        sim.add_user("app@example.com", password="App-Pass-12!")
        client = okta.OktaClient(sim.url, client_id=sim.client_id, private_key=sim.private_key_pem,
                                 private_key_id=sim.key_id, timeout=10)
        for _unused in range(3):
            client.request("GET", "/api/v1/users/app@example.com")
        assert sim.token_requests == 1
        sim.expire_tokens()
        client.request("GET", "/api/v1/users/app@example.com")
        assert sim.token_requests == 2


def test_okta_error_bodies_read_with_their_causes():
    body = {"errorCode": "E0000001", "errorSummary": "Api validation failed: password", "errorCauses": [
        {"errorSummary": "password: Password requirements were not met."}]}
    answer = Answer(400, "Bad Request", {}, json.dumps(body).encode())
    assert okta._error_text(answer) == ("Api validation failed: password (E0000001): password: Password "  # pylint: disable=protected-access
                                        "requirements were not met.")
    oauth = Answer(401, "Unauthorized", {}, b'{"error": "invalid_client", "error_description": "bad"}')
    assert okta._error_text(oauth) == "invalid_client: bad"  # pylint: disable=protected-access
    assert okta._error_text(Answer(502, "Bad Gateway", {}, b"")) == "Bad Gateway"  # pylint: disable=protected-access
