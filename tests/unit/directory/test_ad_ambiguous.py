"""Active Directory writes whose answer is lost: resolved by reconnecting and reading the user back.

A domain controller cannot be made to drop an answer on demand, so ADDirectory runs on a fake client: a
directory of users whose modify can fail before its effect (nothing changed) or after it (changed, answer
lost), and whose read back can fail too. Also the option checks run before any connection (module.py).
"""

import pytest

import badinput_lib
from credsync_testlib import in_collection_tree

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)", allow_module_level=True)

from ansible_collections.macfleet.credsync.plugins.module_utils._directory import ad  # noqa: E402
from ansible_collections.macfleet.credsync.plugins.module_utils._directory import module as dm  # noqa: E402
from ansible_collections.macfleet.credsync.plugins.module_utils._directory.base import (  # noqa: E402
    AmbiguousWrite, DirectoryError, UnknownOutcome)

pytestmark = pytest.mark.skipif(not ad.HAS_LDAP3, reason="needs ldap3")

DN = "CN=alice,OU=Staff,DC=example,DC=test"


class FakeDC:
    """Just enough of ADClient: modify, read, reconnect; faults by phase."""

    def __init__(self, faults=(), read_fails=0):
        self.pwd_last_set = 1000
        self.lockout_time = 5
        self.password = None
        self.faults = list(faults)  # each "before" or "after", used up in order
        self.read_fails = read_fails
        self.modifies = 0
        self.effects = 0
        self.reconnects = 0
        self.base_dn = "DC=example,DC=test"

    def modify(self, dn, changes, what):
        self.modifies += 1
        phase = self.faults.pop(0) if self.faults else None
        if phase == "before":
            raise AmbiguousWrite("%s: no answer from dc1:636 within 2s" % what)
        self.effects += 1
        if "unicodePwd" in changes:
            self.password = changes["unicodePwd"][0][1][0]
            self.pwd_last_set += 1
        if "lockoutTime" in changes:
            self.lockout_time = 0
        if phase == "after":
            raise AmbiguousWrite("%s: the connection to dc1:636 was closed" % what)

    def read(self, dn, attributes, what):
        if self.read_fails:
            self.read_fails -= 1
            raise DirectoryError("%s: connecting to dc1:636 failed" % what)
        return {"pwdLastSet": [str(self.pwd_last_set)], "lockoutTime": [str(self.lockout_time)]}

    def reconnect(self):
        self.reconnects += 1


def _user(dc):
    return {"_id": "guid", "username": "alice", "dn": DN, "display_name": "Alice", "pso": None,
            "password_last_set": dc.pwd_last_set, "account_locked": True}


def _wanted(password):
    return ('"%s"' % password).encode("utf-16-le")


@pytest.mark.parametrize("faults,effects", [
    (["after"], 1),            # made, answer lost: read back shows it, not sent again
    (["before"], 1),           # not made: read back shows nothing, sent once more
    (["before", "after"], 1),  # sent again, that answer lost too, read back shows it
    (["before", "before"], 0),  # never made: failed, truthfully
])
def test_a_lost_modify_answer_is_read_back(request, faults, effects):
    dc = FakeDC(faults)
    directory = ad.ADDirectory(dc)
    user = _user(dc)
    try:
        result = directory.set_password(user, "Ab-1-new-password")
        outcome = result["outcome"]
    except UnknownOutcome:
        outcome = "unknown"
    except DirectoryError as exc:
        outcome = "failed"
        assert "not done" in str(exc)
    truly_set = dc.password == _wanted("Ab-1-new-password")
    badinput_lib.record(request, "faults", faults=len(faults), set_but_failed=int(outcome == "failed" and truly_set),
                        done_but_not_set=int(outcome == "set" and not truly_set))
    assert dc.effects == effects and truly_set == bool(effects)
    assert outcome == ("set" if effects else "failed")
    assert dc.reconnects >= 1


def test_an_unreadable_user_after_a_lost_answer_is_unknown_and_says_what_to_do(request):
    dc = FakeDC(["after"], read_fails=1)
    directory = ad.ADDirectory(dc)
    with pytest.raises(UnknownOutcome) as caught:
        directory.set_password(_user(dc), "Ab-1-new-password")
    badinput_lib.record(request, "faults", faults=2, set_but_failed=0, done_but_not_set=0)
    assert "may or may not" in str(caught.value) and "directory_user_info" in str(caught.value)
    assert dc.modifies == 1  # never sent blindly


@pytest.mark.parametrize("faults", [["after"], ["before"]])
def test_a_lost_unlock_answer_is_read_back(faults):
    dc = FakeDC(faults)
    ad.ADDirectory(dc).unlock(_user(dc))
    assert dc.lockout_time == 0 and dc.effects == 1


def test_an_unlock_failing_after_the_password_keeps_the_password_outcome():
    dc = FakeDC(["before", "before"])
    with pytest.raises(DirectoryError) as caught:
        ad.ADDirectory(dc).unlock(_user(dc), result={"outcome": "set"})
    assert caught.value.outcome == "set" and "password was set, but unlocking" in str(caught.value)


AD = {"provider": "ad", "server": "dc1.example.test", "bind_user": "svc@example.test", "bind_password": "Svc-Pass-1!",
      "validate_certs": True, "timeout": 30, "retries": 3, "max_concurrency": 8}


@pytest.mark.parametrize("change,mentions", [
    ({"bind_password": "Svc-Pass-1!\n"}, "bind_password"),
    ({"bind_password": "Svc\x07Pass"}, "bind_password"),
    ({"bind_user": "svc@example.test\r\n"}, "bind_user"),
    ({"base_dn": "DC=example,\nDC=test"}, "base_dn"),
    ({"server": "ldaps://dc1.example.test"}, "server"),
    ({"server": " "}, "server"),
    ({"port": 0}, "port"),
    ({"port": 65536}, "port"),
    ({"ca_path": "/nonexistent/ca.pem"}, "ca_path"),
    ({"timeout": 0}, "timeout"),
    ({"retries": -1}, "retries"),
])
def test_ad_options_refused_before_connecting(change, mentions):
    problems = dm.option_problems(dict(AD, **change))
    assert problems and mentions in problems[0]
    assert "Svc-Pass-1!" not in " ".join(problems) and "Svc\x07Pass" not in " ".join(problems)


def test_ad_options_accepted():
    assert dm.option_problems(dict(AD, bind_password="Pässwörd-ünïcode-1", base_dn="OU=Zürich,DC=example,DC=test")) == []
