"""The bad-input suite for the directory modules: directory_password, directory_unlock, directory_user_info.

Each case is one set of options given through ansible-playbook (one pseudo-host per case, many cases per run)
against jcsim, or with provider ad against no server at all (a bad option must be refused before any connection
is tried). Each case has users of its own, so what it wrote is read from jcsim's write log, never assumed.
Verdicts are recorded for the figure line (badinput_lib) and asserted: bad input refused with a message naming
the option or rule, good input accepted.
"""

import secrets
import sys
import types

import pytest

import badinput_lib
from badinput_lib import Case

from jcsim import JumpCloudSim

PREFIX = "macfleet.credsync."
_serial = iter(range(1, 10 ** 6))


def good_password():
    return "Qx-%s-%04d-z" % (secrets.token_hex(5), next(_serial))


def _key_variant(key, suffix):
    return key + suffix


def u_name(which):
    """A mention filled in at run time with the case's user name (see _mentions)."""
    return "{%s}" % which


# Each spec: (name, options(users, sim) -> dict, bad, mentions). `users` has a, b: users of this case alone.
# An option whose value is a function of the sim is built at run time (URLs, keys).
PASSWORD_CASES = [
    # Point 1: every new password through the one validator, single and list forms.
    ("empty_password", lambda u, s: {"user": u.a.username, "password": ""}, True, ["password", "empty"]),
    ("blank_password", lambda u, s: {"user": u.a.username, "password": "    "}, True, ["password", "blank"]),
    ("nul_in_password", lambda u, s: {"user": u.a.username, "password": "Ab-1\x00cdefghijk"}, True, ["password", "NUL"]),
    ("tab_in_password", lambda u, s: {"user": u.a.username, "password": "Ab-1\tcdefghijk"}, True,
     ["password", "control character"]),
    ("escape_in_password", lambda u, s: {"user": u.a.username, "password": "Ab-1\x1b[0mcdefghijk"}, True,
     ["password", "control character"]),
    ("newline_in_password", lambda u, s: {"user": u.a.username, "password": "Ab-1-cdef\nghijk"}, True,
     ["password", "line break"]),
    ("trailing_newline_password", lambda u, s: {"user": u.a.username, "password": "Ab-1-cdefghijk\n"}, True,
     ["password", "line break"]),
    ("password_128_chars", lambda u, s: {"user": u.a.username, "password": "Ab-1" + "x" * 124}, True,
     ["password", "127 bytes"]),
    ("password_128_utf8_bytes", lambda u, s: {"user": u.a.username, "password": "Ab-1" + "\u00e9" * 62}, True,
     ["password", "127 bytes"]),
    ("password_is_a_dict", lambda u, s: {"user": u.a.username, "password": {"value": "Ab-1-cdefghijk"}}, True,
     ["password", "must be a string", "mapping"]),
    ("password_is_a_list", lambda u, s: {"user": u.a.username, "password": ["Ab-1-cdefghijk"]}, True,
     ["password", "must be a string", "list"]),
    ("password_is_a_number", lambda u, s: {"user": u.a.username, "password": 123456789012345}, True,
     ["password", "must be a string", "number"]),
    ("password_is_a_boolean", lambda u, s: {"user": u.a.username, "password": True}, True,
     ["password", "must be a string", "boolean"]),
    ("users_blank_password", lambda u, s: {"users": [u.a.username, u.b.username], "password": " "}, True,
     ["password", "blank"]),
    ("users_dict_password", lambda u, s: {"users": [u.a.username], "password": {"a": 1}}, True,
     ["password", "must be a string"]),
    ("passwords_empty_one", lambda u, s: {"passwords": [{"user": u.a.username, "password": good_password()},
                                                        {"user": u.b.username, "password": ""}]}, True,
     ["passwords[1].password", "empty"]),
    ("passwords_names_the_user", lambda u, s: {"passwords": [{"user": u.a.username, "password": "Ab-1" + "y" * 130}]},
     True, ["passwords[0].password", "127 bytes", "user "]),
    ("passwords_dict_password", lambda u, s: {"passwords": [{"user": u.a.username, "password": {"x": "y"}}]}, True,
     ["passwords[0].password", "must be a string"]),
    ("passwords_list_password", lambda u, s: {"passwords": [{"user": u.b.username, "password": ["x"]}]}, True,
     ["passwords[0].password", "must be a string"]),
    ("passwords_nul_password", lambda u, s: {"passwords": [{"user": u.b.username, "password": "Ab-1-\x00-cdefghi"}]},
     True, ["passwords[0].password", "NUL"]),
    ("passwords_missing_password", lambda u, s: {"passwords": [{"user": u.a.username}]}, True, ["password"]),
    ("passwords_empty_list", lambda u, s: {"passwords": []}, True, ["passwords"]),
    ("passwords_bulk_bad_one", lambda u, s: {"passwords": [{"user": u.a.username, "password": good_password()},
                                                           {"user": u.b.username, "password": "\t"}], "bulk": True},
     True, ["passwords[1].password"]),
    # Point 5: the same user twice, before any write.
    ("users_same_name_twice", lambda u, s: {"users": [u.a.username, u.b.username, u.a.username],
                                            "password": good_password()}, True, ["given once", u_name("a")]),
    ("users_name_and_email", lambda u, s: {"users": [u.a.username, u.a.email], "password": good_password()}, True,
     ["same user"]),
    ("users_id_and_name", lambda u, s: {"users": [u.a.id, u.a.username], "password": good_password()}, True,
     ["same user"]),
    ("users_name_case_differs", lambda u, s: {"users": [u.a.username, u.a.username.upper()],
                                              "password": good_password()}, True, ["given once"]),
    ("passwords_same_name_twice", lambda u, s: {"passwords": [{"user": u.a.username, "password": good_password()},
                                                              {"user": u.a.username, "password": good_password()}]},
     True, ["given once"]),
    ("passwords_name_and_email", lambda u, s: {"passwords": [{"user": u.a.username, "password": good_password()},
                                                             {"user": u.a.email, "password": good_password()}]},
     True, ["same user"]),
    ("bulk_users_name_and_id", lambda u, s: {"users": [u.a.username, u.b.username, u.b.id],
                                             "password": good_password(), "bulk": True}, True, ["same user"]),
    ("bulk_passwords_twice", lambda u, s: {"passwords": [{"user": u.a.email, "password": good_password()},
                                                         {"user": u.a.email, "password": good_password()}],
                                           "bulk": True}, True, ["given once"]),
    # Point 3: connection options.
    ("base_url_no_scheme", lambda u, s: {"base_url": s.url.split("://", 1)[1]}, True, ["base_url", "scheme"]),
    ("base_url_ftp", lambda u, s: {"base_url": "ftp://" + s.url.split("://", 1)[1]}, True, ["base_url", "https"]),
    ("base_url_broken_ipv6", lambda u, s: {"base_url": "https://[::1/"}, True, ["base_url", "IPv6"]),
    # A NUL in a logged option: named by the module, not AnsibleModule's "Failed to log to syslog".
    ("base_url_nul", lambda u, s: {"user": u.a.username, "password": "Ab-1-cdefghijk", "base_url": s.url + "\x00/x"},
     True, ["base_url", "NUL"]),
    ("user_nul", lambda u, s: {"user": u.a.username + "\x00", "password": "Ab-1-cdefghijk"}, True, ["user", "NUL"]),
    ("users_item_nul", lambda u, s: {"users": [u.a.username, "b\x00"], "password": "Ab-1-cdefghijk"}, True,
     ["users", "NUL"]),
    ("passwords_user_nul", lambda u, s: {"passwords": [{"user": u.a.username + "\x00", "password": "Ab-1-cdefghijk"}]},
     True, ["passwords[0].user", "NUL"]),
    ("base_url_bad_ipv6_literal", lambda u, s: {"base_url": "https://[zz]:80"}, True, ["base_url", "not a valid URL"]),
    ("base_url_port_out_of_range", lambda u, s: {"base_url": "https://127.0.0.1:99999"}, True, ["base_url", "port"]),
    ("base_url_empty", lambda u, s: {"base_url": ""}, True, ["base_url"]),
    ("base_url_with_space", lambda u, s: {"base_url": "https://console jumpcloud.com"}, True,
     ["base_url", "white space"]),
    ("base_url_with_credentials", lambda u, s: {"base_url": "https://user:pw@console.jumpcloud.com"}, True,
     ["base_url", "credentials"]),
    ("ca_path_missing", lambda u, s: {"ca_path": "/nonexistent/ca-bundle.pem"}, True, ["ca_path", "does not exist"]),
    ("api_key_trailing_newline", lambda u, s: {"api_key": s.api_key + "\n"}, True, ["api_key", "line break"]),
    ("api_key_inner_newline", lambda u, s: {"api_key": s.api_key[:8] + "\n" + s.api_key[8:]}, True,
     ["api_key", "line break"]),
    ("api_key_not_latin1", lambda u, s: {"api_key": s.api_key + "\u043a\u043b\u044e\u0447"}, True,
     ["api_key", "latin-1"]),
    ("api_key_control_char", lambda u, s: {"api_key": s.api_key + "\x07"}, True, ["api_key", "control character"]),
    ("api_key_empty", lambda u, s: {"api_key": ""}, True, ["api_key"]),
    ("org_id_newline", lambda u, s: {"org_id": s.org_id + "\n"}, True, ["org_id", "line break"]),
    ("org_id_not_latin1", lambda u, s: {"org_id": "\u7d44\u7e54"}, True, ["org_id", "latin-1"]),
    ("client_id_newline", lambda u, s: {"api_key": None, "client_id": s.client_id + "\n",
                                        "client_secret": s.client_secret}, True, ["client_id", "line break"]),
    ("client_secret_newline", lambda u, s: {"api_key": None, "client_id": s.client_id,
                                            "client_secret": s.client_secret + "\r\n"}, True,
     ["client_secret", "line break"]),
    ("client_secret_not_latin1", lambda u, s: {"api_key": None, "client_id": s.client_id,
                                               "client_secret": s.client_secret + "\u20ac\u0101"}, True,
     ["client_secret", "latin-1"]),
    ("oauth_token_url_no_scheme", lambda u, s: {"api_key": None, "client_id": s.client_id,
                                                "client_secret": s.client_secret, "oauth_token_url": "token.example"},
     True, ["oauth_token_url"]),
    ("timeout_zero", lambda u, s: {"timeout": 0}, True, ["timeout", "at least 1"]),
    ("timeout_negative", lambda u, s: {"timeout": -5}, True, ["timeout"]),
    ("timeout_not_a_number", lambda u, s: {"timeout": "soon"}, True, ["timeout"]),
    ("retries_negative", lambda u, s: {"retries": -1}, True, ["retries"]),
    ("max_concurrency_zero", lambda u, s: {"max_concurrency": 0}, True, ["max_concurrency"]),
    ("max_concurrency_negative", lambda u, s: {"max_concurrency": -4}, True, ["max_concurrency"]),
    ("provider_unknown", lambda u, s: {"provider": "gsuite"}, True, ["provider"]),
    ("region_unknown", lambda u, s: {"region": "mars"}, True, ["region"]),
    ("ad_option_with_jumpcloud", lambda u, s: {"server": "dc1.example.com"}, True, ["server", "not options"]),
    # Other options of directory_password.
    ("user_empty", lambda u, s: {"user": ""}, True, ["user", "empty"]),
    ("user_control_char", lambda u, s: {"user": u.a.username + "\x07"}, True, ["user", "control character"]),
    ("users_empty_list", lambda u, s: {"user": None, "users": []}, True, ["users"]),
    ("users_one_blank", lambda u, s: {"user": None, "users": [u.a.username, "  "]}, True, ["users[1]", "empty"]),
    ("user_and_users", lambda u, s: {"user": u.a.username, "users": [u.b.username]}, True, ["mutually exclusive"]),
    ("password_and_passwords", lambda u, s: {"password": good_password(),
                                             "passwords": [{"user": u.b.username, "password": good_password()}]},
     True, ["mutually exclusive"]),
    ("bulk_single_user", lambda u, s: {"bulk": True}, True, ["bulk"]),
    ("temporary_not_a_bool", lambda u, s: {"temporary": "maybe"}, True, ["temporary"]),
    ("already_set_within_negative", lambda u, s: {"already_set_within": -1}, True, ["already_set_within"]),
    ("misspelt_option", lambda u, s: {"pasword": "x"}, True, ["pasword"]),
    # Good inputs beside the bad ones.
    ("good_single", lambda u, s: {}, False, []),
    ("good_users_list", lambda u, s: {"user": None, "users": [u.a.username, u.b.email]}, False, []),
    ("good_passwords_list", lambda u, s: {"user": None, "password": None, "passwords": [
        {"user": u.a.id, "password": good_password()}, {"user": u.b.username, "password": good_password()}]},
     False, []),
    ("good_bulk", lambda u, s: {"user": None, "users": [u.a.username, u.b.username], "bulk": True}, False, []),
    ("good_127_bytes", lambda u, s: {"password": "Ab-1" + "z" * 123}, False, []),
    ("good_unicode_password", lambda u, s: {"password": "\u00c9t\u00e9-2024-\u00e7a-Va!"}, False, []),
]


UNLOCK_CASES = [
    ("unlock_user_empty", lambda u, s: {"user": ""}, True, ["user", "empty"]),
    ("unlock_users_empty_list", lambda u, s: {"user": None, "users": []}, True, ["users"]),
    ("unlock_base_url_ftp", lambda u, s: {"base_url": "ftp://example.com"}, True, ["base_url"]),
    ("unlock_base_url_ipv6", lambda u, s: {"base_url": "https://[fe80::1"}, True, ["base_url"]),
    ("unlock_timeout_zero", lambda u, s: {"timeout": 0}, True, ["timeout"]),
    ("unlock_api_key_newline", lambda u, s: {"api_key": s.api_key + "\n"}, True, ["api_key", "line break"]),
    ("unlock_api_key_not_latin1", lambda u, s: {"api_key": "\u2603" + s.api_key}, True, ["api_key", "latin-1"]),
    ("unlock_max_concurrency_zero", lambda u, s: {"max_concurrency": 0}, True, ["max_concurrency"]),
    ("unlock_ca_path_missing", lambda u, s: {"ca_path": "/nonexistent/ca.pem"}, True, ["ca_path"]),
    ("unlock_password_option", lambda u, s: {"password": good_password()}, True, ["password"]),
    ("unlock_good_twice_by_name_and_email", lambda u, s: {"user": None, "users": [u.a.username, u.a.email]},
     False, []),
    ("unlock_good", lambda u, s: {}, False, []),
]

INFO_CASES = [
    ("info_base_url_no_scheme", lambda u, s: {"base_url": "console.jumpcloud.com"}, True, ["base_url"]),
    ("info_retries_negative", lambda u, s: {"retries": -2}, True, ["retries"]),
    ("info_org_id_not_latin1", lambda u, s: {"org_id": "org-\u00fc\u4e00"}, True, ["org_id", "latin-1"]),
    ("info_user_control_char", lambda u, s: {"user": "ali\x1bce"}, True, ["user", "control character"]),
    ("info_api_key_newline", lambda u, s: {"api_key": "\n" + s.api_key}, True, ["api_key"]),
    ("info_filter_and_user", lambda u, s: {"user": u.a.username, "filter": ["account_locked:$eq:true"]}, True,
     ["mutually exclusive"]),
    ("info_timeout_negative", lambda u, s: {"timeout": -1}, True, ["timeout"]),
    ("info_good_by_email", lambda u, s: {"user": u.a.email}, False, []),
    ("info_good_twice", lambda u, s: {"user": None, "users": [u.a.username, u.a.id]}, False, []),
]

# provider ad: refused before any connection (no domain controller is needed, none is contacted).
AD_BASE = {"provider": "ad", "server": "dc1.example.invalid", "bind_user": "svc@example.invalid",
           "api_key": None, "base_url": None}
AD_CASES = [
    ("ad_bind_password_newline", lambda u, s: {"bind_password": "Svc-Pass-1!\n"}, True, ["bind_password", "line break"]),
    ("ad_bind_password_control", lambda u, s: {"bind_password": "Svc-\x00Pass-1!"}, True, ["bind_password"]),
    ("ad_bind_user_newline", lambda u, s: {"bind_user": "svc@example.invalid\n"}, True, ["bind_user", "line break"]),
    ("ad_server_is_a_url", lambda u, s: {"server": "ldaps://dc1.example.invalid"}, True, ["server", "host name"]),
    ("ad_port_zero", lambda u, s: {"port": 0}, True, ["port"]),
    ("ad_port_too_big", lambda u, s: {"port": 70000}, True, ["port"]),
    ("ad_ca_path_missing", lambda u, s: {"ca_path": "/nonexistent/ad-ca.pem"}, True, ["ca_path", "does not exist"]),
    ("ad_timeout_zero", lambda u, s: {"timeout": 0}, True, ["timeout"]),
    ("ad_base_dn_newline", lambda u, s: {"base_dn": "OU=Staff,DC=example\n"}, True, ["base_dn", "line break"]),
    ("ad_password_too_long", lambda u, s: {"password": "Ab-1" + "q" * 200}, True, ["password", "127 bytes"]),
    ("ad_password_dict", lambda u, s: {"password": {"p": 1}}, True, ["password", "must be a string"]),
    ("ad_users_twice", lambda u, s: {"user": None, "users": ["alice", "ALICE"]}, True, ["given once"]),
    ("ad_tls_mode_none", lambda u, s: {"tls_mode": "none"}, True, ["tls_mode"]),
    ("ad_client_id_given", lambda u, s: {"client_id": "abc", "client_secret": "def"}, True, ["client_id", "not options"]),
    ("ad_bind_password_missing", lambda u, s: {"bind_password": None}, True, ["bind_password"]),
]


@pytest.fixture(scope="module")
def sim():
    with JumpCloudSim(client_id="credsync-badinput", client_secret="Cs-" + secrets.token_hex(16)) as server:
        yield server
        assert server.internal_errors == []


def _users(sim_):  # pylint: disable=redefined-outer-name
    made = []
    for _index in range(2):
        username = "bi%05d-%s" % (next(_serial), secrets.token_hex(2))
        password = good_password()
        user_id = sim_.add_user(username, password=password)
        made.append(types.SimpleNamespace(id=user_id, username=username, email=sim_.user(user_id)["email"],
                                          password=password))
    return types.SimpleNamespace(a=made[0], b=made[1])


def _mentions(mentions, users):
    return [m.replace("{a}", users.a.username).replace("{b}", users.b.username) for m in mentions]


def _secrets_of(options, sim_):  # pylint: disable=redefined-outer-name
    found = [sim_.api_key, sim_.client_secret, options.get("api_key"), options.get("client_secret"),
             options.get("bind_password"), options.get("password")]
    found += [entry.get("password") for entry in options.get("passwords") or () if isinstance(entry, dict)]
    # Only a secret long enough to be told apart from ordinary words counts as echoed.
    return [s for s in found if isinstance(s, str) and len(s.strip()) >= 8]


def _run_batch(sim_, ansible, module, specs, base, verbosity=0, check=False):  # pylint: disable=redefined-outer-name
    """One ansible-playbook run, one pseudo-host per case: {name: verdict}."""
    cases, per_host, users_of = {}, {}, {}
    for name, options_of, bad, mentions in specs:
        users = _users(sim_)
        given = options_of(users, sim_)
        options = dict(base(sim_, users))
        # A list form replaces the base's single user (and its password, for `passwords`).
        if set(given) & {"users", "passwords", "filter"}:
            options.pop("user", None)
        if "passwords" in given:
            options.pop("password", None)
        options.update(given)
        options = dict((key, value) for key, value in options.items() if value is not None)
        users_of[name] = users
        cases[name] = Case(name, options, bad=bad, mentions=_mentions(mentions, users),
                           secrets=_secrets_of(options, sim_))
        per_host[name] = options
    hosts = [types.SimpleNamespace(name=name, python=sys.executable, root=str(ansible.parent)) for name in specs_names(specs)]
    writes_before = dict((name, [len(sim_.writes(u.id)) for u in (users_of[name].a, users_of[name].b)])
                         for name in cases)
    run = ansible(hosts, PREFIX + module, per_host, check=check, verbosity=verbosity)
    verdicts = {}
    for name, case in cases.items():
        result = _without_placeholder(run[name])
        wrote = [len(sim_.writes(u.id)) for u in (users_of[name].a, users_of[name].b)] != writes_before[name]
        verdicts[name] = (badinput_lib.verdict(case, result, run.output, wrote=wrote), result)
    return verdicts


def _without_placeholder(result):
    """The task result without ansible-core's (2.19+) "exception" placeholder, which it adds to every failure whose
    module sent no traceback; a real traceback (module_stderr, MODULE FAILURE, a text) is still judged one."""
    result = dict(result)
    result.pop("invocation", None)
    if result.get("exception") == "(traceback unavailable)":
        del result["exception"]
    return result


def specs_names(specs):
    return [spec[0] for spec in specs]


def _jumpcloud_base(sim_, users):  # pylint: disable=redefined-outer-name,unused-argument
    return {"base_url": sim_.url, "api_key": sim_.api_key, "timeout": 10, "retries": 1, "user": users.a.username,
            "password": good_password()}


def _unlock_base(sim_, users):  # pylint: disable=redefined-outer-name
    return {"base_url": sim_.url, "api_key": sim_.api_key, "timeout": 10, "retries": 1, "user": users.a.username}


def _ad_base(sim_, users):  # pylint: disable=redefined-outer-name,unused-argument
    return dict(AD_BASE, bind_password="Svc-Pass-%s" % secrets.token_hex(4), user="alice", password=good_password())


@pytest.fixture(scope="module")
def password_batch(sim, ansible_module):  # pylint: disable=redefined-outer-name
    return _run_batch(sim, ansible_module, "directory_password", PASSWORD_CASES, _jumpcloud_base)


@pytest.fixture(scope="module")
def unlock_batch(sim, ansible_module):  # pylint: disable=redefined-outer-name
    return _run_batch(sim, ansible_module, "directory_unlock", UNLOCK_CASES, _unlock_base)


@pytest.fixture(scope="module")
def info_batch(sim, ansible_module):  # pylint: disable=redefined-outer-name
    return _run_batch(sim, ansible_module, "directory_user_info", INFO_CASES, _unlock_base)


@pytest.fixture(scope="module")
def ad_batch(sim, ansible_module):  # pylint: disable=redefined-outer-name
    return _run_batch(sim, ansible_module, "directory_password", AD_CASES, _ad_base)


@pytest.fixture(scope="module")
def check_mode_batch(sim, ansible_module):  # pylint: disable=redefined-outer-name
    specs = [spec for spec in PASSWORD_CASES if spec[0] in CHECK_MODE_CASES]
    return _run_batch(sim, ansible_module, "directory_password",
                      [("check_" + name,) + tuple(rest) for name, *rest in specs], _jumpcloud_base, check=True)


CHECK_MODE_CASES = ("empty_password", "password_128_chars", "password_is_a_dict", "passwords_names_the_user",
                    "users_name_and_email", "base_url_no_scheme", "timeout_zero", "good_single")


def _assert_case(request, batch, name, bad):
    found, result = batch[name]
    badinput_lib.record(request, "bad input", verdict=found, bad=bad)
    assert found == (badinput_lib.REFUSED if bad else badinput_lib.OK), result


@pytest.mark.parametrize("name,bad", [(spec[0], spec[2]) for spec in PASSWORD_CASES])
def test_directory_password(request, password_batch, name, bad):  # pylint: disable=redefined-outer-name
    _assert_case(request, password_batch, name, bad)


@pytest.mark.parametrize("name,bad", [("check_" + spec[0], spec[2]) for spec in PASSWORD_CASES
                                      if spec[0] in CHECK_MODE_CASES])
def test_directory_password_check_mode(request, check_mode_batch, name, bad):  # pylint: disable=redefined-outer-name
    _assert_case(request, check_mode_batch, name, bad)


@pytest.mark.parametrize("name,bad", [(spec[0], spec[2]) for spec in UNLOCK_CASES])
def test_directory_unlock(request, unlock_batch, name, bad):  # pylint: disable=redefined-outer-name
    _assert_case(request, unlock_batch, name, bad)


@pytest.mark.parametrize("name,bad", [(spec[0], spec[2]) for spec in INFO_CASES])
def test_directory_user_info(request, info_batch, name, bad):  # pylint: disable=redefined-outer-name
    _assert_case(request, info_batch, name, bad)


@pytest.mark.parametrize("name,bad", [(spec[0], spec[2]) for spec in AD_CASES])
def test_directory_ad_options(request, ad_batch, name, bad):  # pylint: disable=redefined-outer-name
    _assert_case(request, ad_batch, name, bad)


@pytest.mark.parametrize("verbosity", [0, 3])
def test_an_api_key_from_a_yaml_block_is_never_echoed(sim, ansible, verbosity):  # pylint: disable=redefined-outer-name
    """A `|` block gives the key a trailing newline: refused, naming api_key, and the key shows nowhere."""
    users = _users(sim)
    key = sim.api_key + "\n"
    options = {"base_url": sim.url, "api_key": key, "user": users.a.username, "password": good_password()}
    hosts = [types.SimpleNamespace(name="yaml_block", python=sys.executable, root=str(ansible.parent))]
    run = ansible(hosts, PREFIX + "directory_password", {"yaml_block": options}, verbosity=verbosity)
    result = run["yaml_block"]
    assert result.get("failed") and "api_key" in result["msg"] and "line break" in result["msg"], run
    assert sim.api_key not in run.output and sim.api_key not in str(result), run
    assert "Traceback" not in run.output, run
    assert sim.writes(users.a.id) == []


def test_an_http_base_url_with_validate_certs_warns(sim, ansible):  # pylint: disable=redefined-outer-name
    users = _users(sim)
    hosts = [types.SimpleNamespace(name=name, python=sys.executable, root=str(ansible.parent))
             for name in ("checked", "unchecked")]
    base = {"base_url": sim.url, "api_key": sim.api_key, "user": users.a.username}
    run = ansible(hosts, PREFIX + "directory_user_info", {"checked": base, "unchecked": dict(base, validate_certs=False)})
    assert sim.url.startswith("http://")
    assert any("base_url is http://" in warning for warning in run["checked"].get("warnings", [])), run
    assert not any("http://" in warning for warning in run["unchecked"].get("warnings", [])), run
