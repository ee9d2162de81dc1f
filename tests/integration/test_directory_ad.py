"""directory_password, directory_unlock and directory_user_info with provider ad, through ansible-playbook,
against a real Samba AD DC (tests/samba_ad: provisioned once per session, running for this module).

Every outcome is proved with real binds as the users - the new password binds, the old one gets AD's
data 52e, a locked account 775, a temporary password 773 - or read back from the directory, never taken
from the module's word. Independent cases share one ansible-playbook run (one pseudo-host each). Every
run is at -vvv, and its output and results are scanned for every secret in play.
"""

import itertools
import json
import secrets
import sys
import types
import uuid

import pytest

from samba_ad import ConnectionCounter
# The domain (provisioned once per session) and its DC (running for this module): fixtures pytest finds here.
from samba_ad.fixture import samba_dc, samba_domain  # noqa: F401  pylint: disable=unused-import

pytestmark = pytest.mark.xdist_group("samba_ad")

PREFIX = "macfleet.credsync."
INITIAL = "Initial-Pass-1!"
NO_LOG = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
_serial = itertools.count(1)


class AD:
    """One test's view of the DC: make users, run a module at -vvv over pseudo-hosts, bind as users."""

    def __init__(self, dc, ansible, root):
        self.dc = dc
        self.ansible = ansible
        self.root = root
        self.secrets = {dc.service_password, dc.admin_password, INITIAL}
        self.connection = {"provider": "ad", "server": dc.HOST, "bind_user": dc.service_user,
                           "bind_password": dc.service_password, "ca_path": dc.ca_path, "timeout": 10}

    def user(self, **attributes):
        """A new user whose password is INITIAL; returns its sAMAccountName."""
        return self.dc.new_user(INITIAL, **attributes)

    def password(self):
        """Meets the domain policy, never contains a user's name, and is never used twice."""
        password = "Nw-%s-%04d-Z" % (secrets.token_hex(5), next(_serial))
        self.secrets.add(password)
        return password

    def guid(self, sam):
        return str(uuid.UUID(bytes_le=bytes(self.dc.attributes(sam, "objectGUID")["objectGUID"])))

    def run(self, module, args, check=False, diff=False):
        return self.run_cases(module, {"controller": args}, check, diff)["controller"]

    def run_cases(self, module, cases, check=False, diff=False):
        """Several cases in one ansible-playbook run, one pseudo-host each: {name: result}."""
        options = {}
        for name, args in cases.items():
            options[name] = dict(self.connection, **args)
            options[name] = {key: value for key, value in options[name].items() if value is not None}
            self.secrets.update(options[name][key] for key in ("bind_password", "password") if options[name].get(key))
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
            assert invocation is None or all(invocation["module_args"].get(option) in (None, NO_LOG)
                                             for option in ("bind_password", "password")), invocation
            results[name] = result
        return results


@pytest.fixture
def ad(samba_dc, ansible, tmp_path):  # noqa: F811  pylint: disable=redefined-outer-name
    return AD(samba_dc, ansible, str(tmp_path))


def assert_failed(result, *fragments):
    assert result.get("failed"), result
    for fragment in fragments:
        assert fragment in result["msg"], result


# --- directory_password ---------------------------------------------------------------------------

def test_reset_by_each_identifier_new_password_binds_old_fails(ad):
    by_sam, by_upn, by_mail = ad.user(), ad.user(), ad.user(mail="m-%s@mail.example.test" % secrets.token_hex(3))
    locked = ad.user()
    assert ad.dc.lock_out(locked) == "775"
    mail = ad.dc.attributes(by_mail, "mail")["mail"]
    new = {sam: ad.password() for sam in (by_sam, by_upn, by_mail, locked)}
    results = ad.run_cases("directory_password", {
        "by_sam": {"user": by_sam, "password": new[by_sam]},
        "by_upn": {"user": by_upn + "@example.test", "password": new[by_upn]},
        "by_mail": {"user": mail, "password": new[by_mail]},
        "locked": {"user": locked, "password": new[locked], "unlock": True},
    })
    for case, sam in (("by_sam", by_sam), ("by_upn", by_upn), ("by_mail", by_mail), ("locked", locked)):
        result = results[case]
        assert result["changed"] and not result.get("failed"), result
        assert (result["username"], result["id"], result["expired"], result["unlocked"]) == (
            sam, ad.guid(sam), False, case == "locked")
        assert ad.dc.bind_error(sam, new[sam]) is None
        assert ad.dc.bind_error(sam, INITIAL) == "52e"


def test_list_form_over_one_connection_by_dn_and_guid_too(ad):
    users = [ad.user() for _index in range(5)]
    identifiers = [users[0], users[1] + "@example.test", ad.dc.dn(users[2]), ad.guid(users[3]), users[4].upper()]
    resets = [{"user": identifier, "password": ad.password()} for identifier in identifiers]
    with ConnectionCounter() as counter:
        result = ad.run("directory_password", {"passwords": resets, "port": counter.port})
        assert counter.count == 1
    assert result["summary"] == {"total": 5, "changed": 5, "failed": 0, "unknown": 0}, result
    assert [entry["username"] for entry in result["results"]] == users
    for sam, entry in zip(users, resets):
        assert ad.dc.bind_error(sam, entry["password"]) is None and ad.dc.bind_error(sam, INITIAL) == "52e"


def test_temporary_password_must_be_changed_at_logon(ad):
    sam = ad.user()
    password = ad.password()
    result = ad.run("directory_password", {"user": sam, "password": password, "temporary": True})
    assert result["changed"] and result["expired"] is True
    assert ad.dc.bind_error(sam, password) == "773"
    assert ad.dc.bind_error(sam, INITIAL) == "52e"
    results = ad.run_cases("directory_user_info", {
        "one": {"user": sam}, "filtered": {"filter": ["(pwdLastSet=0)", "sAMAccountName=user*"]}})
    facts = results["one"]["users"][0]
    assert facts["must_change_password"] is True and facts["password_expired"] is True
    listed = [user["username"] for user in results["filtered"]["users"]]
    assert sam in listed and "Guest" not in listed


def test_check_mode_writes_nothing(ad):
    sam = ad.user()
    before = ad.dc.attributes(sam, "pwdLastSet", "whenChanged")
    result = ad.run("directory_password", {"user": sam, "password": ad.password(), "temporary": True}, check=True)
    assert result["changed"] and result["expired"] is True
    assert ad.dc.attributes(sam, "pwdLastSet", "whenChanged") == before
    assert ad.dc.bind_error(sam, INITIAL) is None


def test_weak_passwords_refused_naming_the_rules_and_nothing_changed(ad):
    short, plain, own_name, display = ad.user(), ad.user(), ad.user(), ad.user(display_name="Alice Liddell-Hart")
    results = ad.run_cases("directory_password", {
        "short": {"user": short, "password": "Ab1-x"},
        "plain": {"user": plain, "password": "lowercase-and-symbols"},
        "own_name": {"user": own_name, "password": "Xy-%s-42" % own_name.upper()},
        "display": {"user": display, "password": "Liddell-2026!"},
    })
    assert_failed(results["short"], "breaks the password policy", "at least 7 characters")
    assert_failed(results["plain"], "three kinds of: uppercase, lowercase, digits, symbols")
    assert_failed(results["own_name"], "does not contain the account name")
    assert_failed(results["display"], "does not contain a part of the display name")
    assert not any(result["changed"] for result in results.values())
    for sam in (short, plain, own_name, display):
        assert ad.dc.bind_error(sam, INITIAL) is None


def test_a_policy_only_the_dc_knows_is_reported_clearly(ad):
    """A fine-grained policy (min. 24) the service account may not read: the DC refuses, nothing changes;
    an account that may read it (Administrator) gets the rule named before anything is sent."""
    strict = ad.user()
    name = "credsync-strict-%s" % secrets.token_hex(3)
    ad.dc.samba_tool("domain", "passwordsettings", "pso", "create", name, "1", "--min-pwd-length=24")
    ad.dc.samba_tool("domain", "passwordsettings", "pso", "apply", name, strict)
    results = ad.run_cases("directory_password", {
        "service": {"user": strict, "password": ad.password()},
        "admin": {"user": strict, "password": ad.password(), "bind_user": "Administrator@example.test",
                  "bind_password": ad.dc.admin_password},
    })
    assert_failed(results["service"], "setting the password of CN=%s," % strict, "the domain controller refused the password",
                  "0000052D", "24 characters")
    assert_failed(results["admin"], "breaks the password policy: at least 24 characters")
    assert ad.dc.bind_error(strict, INITIAL) is None


# --- directory_unlock -----------------------------------------------------------------------------

def test_locked_account_binds_again_after_unlock_and_unlocked_is_unchanged(ad):
    sam = ad.user()
    assert ad.dc.lock_out(sam) == "775"
    checked = ad.run("directory_unlock", {"user": sam}, check=True, diff=True)
    assert checked["changed"] and checked["was_locked"] is True
    assert checked["diff"] == {"before": {"account_locked": True}, "after": {"account_locked": False}}
    assert ad.dc.bind_error(sam, INITIAL) == "775"  # check mode wrote nothing
    result = ad.run("directory_unlock", {"user": sam + "@example.test"})
    assert result["changed"] and result["was_locked"] is True
    assert ad.dc.bind_error(sam, INITIAL) is None
    again = ad.run("directory_unlock", {"user": sam})
    assert again["changed"] is False and again["was_locked"] is False


def test_the_same_user_twice_is_refused_before_any_write_and_unlocked_once(ad):
    """By sAMAccountName and userPrincipalName, by GUID and name, twice by name: refused before any write (both
    list forms); directory_unlock unlocks the account once."""
    sam, other = ad.user(), ad.user()
    results = ad.run_cases("directory_password", {
        "name_and_upn": {"users": [sam, other, sam + "@example.test"], "password": ad.password()},
        "guid_and_name": {"passwords": [{"user": ad.guid(other), "password": ad.password()},
                                        {"user": other, "password": ad.password()}]},
        "twice_by_name": {"users": [sam, sam.upper()], "password": ad.password()},
    })
    assert_failed(results["name_and_upn"], "same user", repr(sam), repr(sam + "@example.test"), "nothing was written")
    assert_failed(results["guid_and_name"], "same user", repr(other))
    assert_failed(results["twice_by_name"], "given once")
    assert ad.dc.bind_error(sam, INITIAL) is None and ad.dc.bind_error(other, INITIAL) is None
    assert ad.dc.lock_out(sam) == "775"
    result = ad.run("directory_unlock", {"users": [sam, sam + "@example.test"]})
    assert [(entry["changed"], entry.get("same_as")) for entry in result["results"]] == [(True, None), (False, sam)]
    assert ad.dc.bind_error(sam, INITIAL) is None


def test_unknown_and_ambiguous_users(ad):
    shared = "dup-%s@example.test" % secrets.token_hex(3)
    first, second, fine = ad.user(mail=shared), ad.user(mail=shared), ad.user()
    password = ad.password()
    result = ad.run("directory_password", {"users": ["no-such-user", shared, fine], "password": password})
    assert_failed(result, "2 of 3 users failed")
    unknown, ambiguous, ok = result["results"]
    assert unknown["not_found"] and "no Active Directory user with sAMAccountName, userPrincipalName, mail" in unknown["msg"]
    assert not ambiguous["not_found"] and "is ambiguous" in ambiguous["msg"]
    assert ad.dc.dn(first) in ambiguous["msg"] and ad.dc.dn(second) in ambiguous["msg"]
    assert (ok["failed"], ok["changed"], ok["username"]) == (False, True, fine)
    assert ad.dc.bind_error(fine, password) is None
    assert ad.dc.bind_error(first, INITIAL) is None and ad.dc.bind_error(second, INITIAL) is None


# --- directory_user_info --------------------------------------------------------------------------

def test_user_facts_by_dn_and_guid(ad):
    locked, other = ad.user(display_name="Locked Person"), ad.user(mail="facts-%s@example.test" % secrets.token_hex(3))
    ad.dc.lock_out(locked)
    result = ad.run("directory_user_info", {"users": [ad.dc.dn(locked), ad.guid(other), "nobody-here"]})
    assert result["not_found"] == ["nobody-here"]
    first, second = result["users"]
    assert (first["username"], first["dn"], first["display_name"]) == (locked, ad.dc.dn(locked), "Locked Person")
    assert first["account_locked"] is True and first["account_locked_date"] and first["bad_login_attempts"] == 3
    assert first["enabled"] is True and first["must_change_password"] is False and first["password_date"]
    assert (second["username"], second["id"], second["account_locked"]) == (other, ad.guid(other), False)
    assert second["email"] == ad.dc.attributes(other, "mail")["mail"]


# --- connection: TLS, binds, rights, options ------------------------------------------------------

def test_certificates_are_verified_with_the_dcs_ca(ad):
    sam = ad.user()
    results = ad.run_cases("directory_user_info", {
        "ldaps": {"user": sam},
        "start_tls": {"user": sam, "tls_mode": "start_tls"},
        "no_ca": {"user": sam, "ca_path": None},
        "by_address": {"user": sam, "server": "127.0.0.1"},
        "lab": {"user": sam, "ca_path": None, "validate_certs": False},
    })
    for case in ("ldaps", "start_tls", "lab"):
        assert [user["username"] for user in results[case]["users"]] == [sam], results[case]
    assert_failed(results["no_ca"], "connecting to localhost:636: the domain controller's certificate was not verified",
                  "set ca_path")
    assert_failed(results["by_address"], "the certificate does not name 127.0.0.1")


def test_bind_refusals_and_missing_rights_are_clear(ad):
    target, helper, locked = ad.user(), ad.user(), ad.user()
    ad.dc.lock_out(locked)
    wrong = "Wrong-%s" % secrets.token_hex(6)
    results = ad.run_cases("directory_password", {
        "wrong": {"user": target, "password": ad.password(), "bind_password": wrong},
        "locked": {"user": target, "password": ad.password(), "bind_user": locked + "@example.test",
                   "bind_password": INITIAL},
        "no_rights": {"user": target, "password": ad.password(), "bind_user": helper + "@example.test",
                      "bind_password": INITIAL},
    })
    assert_failed(results["wrong"], "refused the bind as %s: wrong password, or no such account (AD data 52e)"
                  % ad.dc.service_user)
    assert_failed(results["locked"], "the account is locked out (AD data 775)")
    assert_failed(results["no_rights"], "lacks the right (insufficient access rights")
    assert ad.dc.bind_error(target, INITIAL) is None


def test_options_of_the_other_provider_are_refused(ad):
    results = ad.run_cases("directory_user_info", {
        "ad_without_server": {"user": "x", "server": None},
        "jumpcloud_with_ad_options": {"user": "x", "provider": "jumpcloud", "api_key": "k" * 40},
    })
    assert_failed(results["ad_without_server"], "provider is ad", "server")
    assert_failed(results["jumpcloud_with_ad_options"], "server, bind_user, bind_password: not options of provider jumpcloud")
