"""The bad-input suite of the directory modules with provider okta (as test_bad_input_directory.py for JumpCloud and
AD): one set of options per case, one pseudo-host per case, against oktasim. Each case has users of its own, so
what it wrote is read from oktasim's write log; a bad option must be refused before anything is sent (a case
whose options are bad must leave no call at all in oktasim's log), naming the option or the rule.
"""

import itertools
import secrets
import sys
import types

import pytest

import badinput_lib
from badinput_lib import Case

from oktasim import OktaSim

PREFIX = "macfleet.credsync."
_serial = itertools.count(1)


def good_password():
    return "Qx-%s-%04d-Z" % (secrets.token_hex(5), next(_serial))


# (name, options(users, sim) -> dict, bad, mentions, contacts): contacts False = no call may reach oktasim.
PASSWORD_CASES = [
    ("org_url_missing", lambda u, s: {"org_url": None}, True, ["org_url", "required"], False),
    ("org_url_no_scheme", lambda u, s: {"org_url": "example.okta.com"}, True, ["org_url"], False),
    ("org_url_ftp", lambda u, s: {"org_url": "ftp://example.okta.com"}, True, ["org_url", "https"], False),
    ("org_url_with_path", lambda u, s: {"org_url": s.url + "/api/v1"}, True, ["org_url", "path"], False),
    ("org_url_with_query", lambda u, s: {"org_url": s.url + "?x=1"}, True, ["org_url", "query"], False),
    ("org_url_admin_console", lambda u, s: {"org_url": "https://example-admin.okta.com"}, True,
     ["org_url", "-admin"], False),
    ("org_url_placeholder", lambda u, s: {"org_url": "https://{yourOktaDomain}"}, True, ["org_url", "placeholder"],
     False),
    ("org_url_scheme_twice", lambda u, s: {"org_url": "https://https://example.okta.com"}, True,
     ["org_url", "://"], False),
    ("org_url_com_com", lambda u, s: {"org_url": "https://example.okta.com.com"}, True, ["org_url", ".com.com"],
     False),
    ("no_credentials", lambda u, s: {"api_token": None}, True, ["api_token", "client_id"], False),
    ("token_and_app", lambda u, s: {"client_id": s.client_id, "private_key": s.private_key_pem}, True,
     ["mutually exclusive"], False),
    ("api_token_newline", lambda u, s: {"api_token": s.api_token + "\n"}, True, ["api_token", "line break"], False),
    ("api_token_not_latin1", lambda u, s: {"api_token": s.api_token + "\u20ac"}, True, ["api_token", "latin-1"], False),
    ("client_id_without_key", lambda u, s: {"api_token": None, "client_id": s.client_id}, True,
     ["required together", "private_key"], False),
    ("private_key_garbage", lambda u, s: {"api_token": None, "client_id": s.client_id,
                                          "private_key": "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----"},
     True, ["private_key", "PEM"], False),
    ("private_key_blank", lambda u, s: {"api_token": None, "client_id": s.client_id, "private_key": "   "}, True,
     ["private_key"], False),
    ("scope_with_space", lambda u, s: {"api_token": None, "client_id": s.client_id, "private_key": s.private_key_pem,
                                       "scopes": ["okta.users.read okta.users.manage"]}, True, ["scopes[0]"], False),
    ("scopes_empty", lambda u, s: {"api_token": None, "client_id": s.client_id, "private_key": s.private_key_pem,
                                   "scopes": []}, True, ["scopes"], False),
    ("jumpcloud_option", lambda u, s: {"base_url": s.url}, True, ["base_url", "not options"], False),
    ("ad_option", lambda u, s: {"server": "dc1.example.com"}, True, ["server", "not options"], False),
    ("bulk_is_jumpcloud_only", lambda u, s: {"user": None, "users": [u.a.login], "bulk": True}, True,
     ["bulk", "not options"], False),
    ("generate_with_password", lambda u, s: {"generate_temporary": True}, True, ["generate_temporary"], False),
    ("generate_without_no_log", lambda u, s: {"generate_temporary": True, "password": None}, True, ["no_log"], False),
    ("password_empty", lambda u, s: {"password": ""}, True, ["password", "empty"], False),
    ("password_newline", lambda u, s: {"password": "Ab-1-cdef\nghijk"}, True, ["password", "line break"], False),
    ("password_missing", lambda u, s: {"password": None}, True, ["password", "required"], False),
    ("users_twice", lambda u, s: {"user": None, "users": [u.a.login, u.a.login.upper()]}, True, ["given once"], False),
    ("timeout_zero", lambda u, s: {"timeout": 0}, True, ["timeout"], False),
    # Refused by what only the directory can tell, after reading, before any write.
    ("breaks_the_policy", lambda u, s: {"password": "short"}, True, ["at least 8 characters"], True),
    ("same_user_by_id_and_login", lambda u, s: {"user": None, "users": [u.a.login, u.a.id]}, True,
     ["same user"], True),
    ("temporary_for_a_staged_user", lambda u, s: {"user": u.staged.login, "temporary": True}, True,
     ["STAGED", "temporary"], True),
    ("directory_sourced_user", lambda u, s: {"user": u.ad.login}, True, ["ACTIVE_DIRECTORY"], True),
    ("deprovisioned_user", lambda u, s: {"user": u.gone.id}, True, ["DEPROVISIONED"], True),
    ("user_me", lambda u, s: {"user": "me"}, True, ["'me'", "API token", "login or id"], False),
    # Good inputs beside the bad ones.
    ("good_single", lambda u, s: {}, False, [], True),
    ("good_list", lambda u, s: {"user": None, "password": None, "passwords": [
        {"user": u.a.id, "password": good_password()}, {"user": u.b.login, "password": good_password()}]},
     False, [], True),
    ("good_service_app", lambda u, s: {"api_token": None, "client_id": s.client_id, "private_key": s.private_key_pem,
                                       "private_key_id": s.key_id}, False, [], True),
]


@pytest.fixture(scope="module")
def sim():
    with OktaSim() as server:
        yield server
        assert server.internal_errors == []


def _users(sim_):  # pylint: disable=redefined-outer-name
    made = {}
    for which, fields in (("a", {}), ("b", {}), ("staged", {"status": "STAGED"}),
                          ("ad", {"provider": "ACTIVE_DIRECTORY"}), ("gone", {"status": "DEPROVISIONED"})):
        login = "bio%05d.%s@example.com" % (next(_serial), secrets.token_hex(2))
        sim_.add_user(login, password=good_password(), **fields)
        made[which] = types.SimpleNamespace(login=login, id=sim_.user_id(login))
    return types.SimpleNamespace(**made)


def _base(sim_, users):  # pylint: disable=redefined-outer-name
    return {"provider": "okta", "org_url": sim_.url, "api_token": sim_.api_token, "timeout": 10, "retries": 1,
            "user": users.a.login, "password": good_password()}


def _secrets_of(options, sim_):  # pylint: disable=redefined-outer-name
    found = [sim_.api_token, sim_.private_key_pem.strip(), options.get("password"), options.get("api_token"),
             options.get("private_key")]
    found += [entry.get("password") for entry in options.get("passwords") or () if isinstance(entry, dict)]
    return [s for s in found if isinstance(s, str) and len(s.strip()) >= 8]


@pytest.fixture(scope="module")
def batch(sim, ansible_module):  # pylint: disable=redefined-outer-name
    cases, per_host, users_of = {}, {}, {}
    for name, options_of, bad, mentions, _contacts in PASSWORD_CASES:
        users = _users(sim)
        given = options_of(users, sim)
        options = dict(_base(sim, users))
        if set(given) & {"users", "passwords"}:
            options.pop("user", None)
        if "passwords" in given:
            options.pop("password", None)
        options.update(given)
        options = {key: value for key, value in options.items() if value is not None}
        users_of[name] = users
        cases[name] = Case(name, options, bad=bad, mentions=mentions, secrets=_secrets_of(options, sim))
        per_host[name] = options
    hosts = [types.SimpleNamespace(name=name, python=sys.executable, root=str(ansible_module.parent))
             for name in cases]
    sim.clear_calls()
    run = ansible_module(hosts, PREFIX + "directory_password", per_host, verbosity=3)
    verdicts = {}
    for name, case in cases.items():
        result = dict(run[name])
        result.pop("invocation", None)
        if result.get("exception") == "(traceback unavailable)":
            del result["exception"]
        users = users_of[name]
        ids = {getattr(users, which).id for which in ("a", "b", "staged", "ad", "gone")}
        wrote = any(write["user_id"] in ids for write in sim.writes())
        contacted = any(call["user_id"] in ids or users.a.login in (call["path"] or "") for call in sim.calls())
        verdicts[name] = (badinput_lib.verdict(case, result, run.output, wrote=wrote), contacted, result)
    return verdicts


@pytest.mark.parametrize("name,bad,contacts", [(spec[0], spec[2], spec[4]) for spec in PASSWORD_CASES])
def test_directory_password_okta(request, batch, name, bad, contacts):  # pylint: disable=redefined-outer-name
    found, contacted, result = batch[name]
    badinput_lib.record(request, "bad input", verdict=found, bad=bad)
    assert found == (badinput_lib.REFUSED if bad else badinput_lib.OK), result
    if not contacts:
        assert not contacted, "refused options must be refused before oktasim is contacted: %r" % result
