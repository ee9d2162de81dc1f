"""The Active Directory provider's pure parts, without a domain controller: the password policy as AD
defines it, and how identifiers become LDAP filters and index keys (the DC itself: tests/integration)."""

import uuid

import pytest

from credsync_testlib import in_collection_tree

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)", allow_module_level=True)

from ansible_collections.macfleet.credsync.plugins.module_utils._directory import ad  # noqa: E402
from ansible_collections.macfleet.credsync.plugins.module_utils._directory.policy import ad_policy_violations  # noqa: E402

DOMAIN = {"min_length": 7, "complexity": True, "history_length": 24}
KINDS = "characters of three kinds of: uppercase, lowercase, digits, symbols, letters without case"


@pytest.mark.parametrize("password, broken", [
    ("Ab1-xyz", []),
    ("Ab1-xy", ["at least 7 characters"]),
    ("abcdefg1", [KINDS]),  # lowercase and digits: two kinds
    ("ab cd ef 12", [KINDS]),  # a space is of no kind
    ("abcdef G1", []),
    ("ÄÖÜäöü12", []),  # letters with case beyond ASCII count as upper and lower
    ("日本語ひらがなab1", []),  # letters without case are a fifth kind
    ("Ab1", ["at least 7 characters"]),
])
def test_length_and_kinds(password, broken):
    assert ad_policy_violations(password, DOMAIN) == broken


def test_names_in_the_password_are_refused_without_telling_the_part():
    assert ad_policy_violations("xBOBx-12A", DOMAIN, "bob") == ["does not contain the account name"]
    assert ad_policy_violations("xJOx-12Ab", DOMAIN, "jo") == []  # names under three characters are not checked
    for password in ("hart#2026!X", "Liddell-2026!", "ALICE.2026x"):
        assert ad_policy_violations(password, DOMAIN, "al", "Alice Liddell-Hart") == [
            "does not contain a part of the display name"]
    assert ad_policy_violations("Ab-Li-Jo-99", DOMAIN, "al", "Jo Li") == []  # parts under three characters
    assert ad_policy_violations("Ab_Cd_Ef_99", DOMAIN, None, "Ab_Cd,Ef") == []


def test_complexity_off_leaves_the_length():
    assert ad_policy_violations("bobbobbob", dict(DOMAIN, complexity=False), "bob", "Bob") == []
    assert ad_policy_violations("bob", dict(DOMAIN, complexity=False), "bob") == ["at least 7 characters"]


def test_identifiers_become_filters_and_keys():
    guid = uuid.UUID("7f8de3ad-904a-452e-b4df-f6553becabc5")
    assert ad._filter_for("{%s}" % str(guid).upper()) == "(objectGUID=%s)" % "".join(
        "\\%02x" % byte for byte in guid.bytes_le)
    assert ad._match_key("{%s}" % str(guid).upper()) == str(guid)
    assert ad._filter_for("CN=Bob Smith,CN=Users,DC=example,DC=test") == (
        "(distinguishedName=CN=Bob Smith,CN=Users,DC=example,DC=test)")
    assert ad._match_key("cn=Bob Smith, CN=Users,dc=EXAMPLE,DC=test") == ad._dn_key("CN=Bob Smith,CN=Users,DC=example,DC=test")
    assert ad._filter_for("a*(b)") == "(sAMAccountName=a\\2a\\28b\\29)(userPrincipalName=a\\2a\\28b\\29)(mail=a\\2a\\28b\\29)"
    assert ad._match_key("Alice@Example.TEST") == "alice@example.test"


def test_ad_timestamps():
    assert ad._filetime(0) is None and ad._filetime(0x7FFFFFFFFFFFFFFF) is None
    assert ad._filetime(116444736000000000) == "1970-01-01T00:00:00+00:00"
