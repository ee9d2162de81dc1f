"""The fault suite with provider okta: every Okta call the modules make, made to fail before and after its effect
(test_directory_faults.py does the same for JumpCloud, and its judge is used here); is each user's report true?

One oktasim per scenario (a call, a fault kind, a phase); all scenarios run as pseudo-hosts of one
ansible-playbook run, then a second, fault-free run that must converge. The truth is read from oktasim.
"""

import secrets
import sys
import types

import pytest

import badinput_lib
from test_directory_faults import _judge  # pylint: disable=wrong-import-order

from oktasim import OktaSim

PREFIX = "macfleet.credsync."
TIMEOUT = 2
SLOW = 3.0  # longer than TIMEOUT: the client gives up; the server still makes the change (phase before)

# call: (match regex, how the run reaches it)
CALLS = {
    "policy_read": ("^GET /api/v1/policies$", {}),
    "user_get": (r"^GET /api/v1/users/[^/]+$", {}),
    "user_listing": ("^GET /api/v1/users$", {"users": 11}),  # more than ten users: one listing, paged by Link
    "set_password": (r"^POST /api/v1/users/[^/]+$", {}),
    "expire": (r"^POST /api/v1/users/[^/]+/lifecycle/expire_password$", {"temporary": True}),
    "unlock": (r"^POST /api/v1/users/[^/]+/lifecycle/unlock$", {"unlock": True}),
    "oauth_token": ("^POST /oauth2/v1/token$", {"oauth": True}),
}
KINDS = ("error", "reset", "slow", "malformed", "truncated")
PHASES = ("before", "after")
SCENARIOS = [(call, kind, phase) for call in CALLS for kind in KINDS for phase in PHASES]
USERS = 2


def _name(call, kind, phase):
    return "okta-%s-%s-%s" % (call, kind, phase)


def _password():
    return "Qx-%s-9Z" % secrets.token_hex(6)


class Scenario:
    """What test_directory_faults' judge reads: options()["users"], users (ids), sim.check_password, sim.stats."""

    def __init__(self, call, kind, phase):
        self.call, self.kind, self.phase = call, kind, phase
        self.name = _name(call, kind, phase)
        self.match, self.how = CALLS[call]
        self.sim = OktaSim()
        self.sim.start()
        self.users = []
        for index in range(self.how.get("users", USERS)):
            login = "f%d.%s@example.com" % (index, secrets.token_hex(3))
            self.users.append(self.sim.add_user(login, password=_password()))
            if self.how.get("unlock"):
                self.sim.lock_out(login)
        self.password = _password()

    def options(self):
        options = {"provider": "okta", "org_url": self.sim.url}
        if self.how.get("oauth"):
            options.update(client_id=self.sim.client_id, private_key=self.sim.private_key_pem,
                           private_key_id=self.sim.key_id)
        else:
            options["api_token"] = self.sim.api_token
        options.update(users=list(self.users), password=self.password, timeout=TIMEOUT, retries=2)
        for flag in ("temporary", "unlock"):
            if self.how.get(flag):
                options[flag] = True
        return options

    def inject(self):
        self.sim.inject_fault(self.kind, status=500, seconds=SLOW, phase=self.phase, count=1, match=self.match)

    def secrets(self):
        return [self.sim.api_token, self.sim.private_key_pem.strip(), self.password]


@pytest.fixture(scope="module")
def fault_runs(ansible_module):
    scenarios = [Scenario(*spec) for spec in SCENARIOS]
    try:
        for scenario in scenarios:
            scenario.inject()
        hosts = [types.SimpleNamespace(name=s.name, python=sys.executable, root=str(ansible_module.parent))
                 for s in scenarios]
        first = ansible_module(hosts, PREFIX + "directory_password", {s.name: s.options() for s in scenarios})
        outcome = {}
        for scenario in scenarios:
            outcome[scenario.name] = [scenario, dict(first[scenario.name]), None, first.output,
                                      _judge(scenario, first[scenario.name])]
            scenario.sim.reset_controls()
        second = ansible_module(hosts, PREFIX + "directory_password", {s.name: s.options() for s in scenarios})
        for scenario in scenarios:
            outcome[scenario.name][2] = dict(second[scenario.name])
        yield outcome
        for scenario in scenarios:
            assert scenario.sim.internal_errors == [], scenario.name
    finally:
        for scenario in scenarios:
            scenario.sim.stop()


@pytest.mark.parametrize("name", [_name(*spec) for spec in SCENARIOS])
def test_each_okta_user_is_reported_as_it_ended_and_a_rerun_converges(request, fault_runs, name):  # pylint: disable=redefined-outer-name
    scenario, first, second, output, judged = fault_runs[name]
    hits, set_but_failed, done_but_not_set, unknown, details = judged
    badinput_lib.record(request, "faults", faults=hits, set_but_failed=set_but_failed,
                        done_but_not_set=done_but_not_set, unknown=unknown)
    assert hits >= 1, "the fault never fired: %s" % name
    text = repr(first) + repr(second)
    assert "Traceback (most recent call last)" not in text and first.get("exception") in (
        None, "(traceback unavailable)"), first
    for secret in scenario.secrets():
        assert secret not in text and secret not in output, name
    assert (set_but_failed, done_but_not_set) == (0, 0), (details, first)
    # Only a write still under way (slow) can be left unknown: oktasim answers every read back.
    assert unknown == 0 or scenario.kind == "slow", first
    for entry in first.get("results", []):
        if entry.get("outcome") == "unknown":
            assert "directory_user_info" in entry["msg"], entry
    # The re-run, with no fault, converges: every user has the wanted password and nothing is reported failed.
    assert not second.get("failed"), second
    assert all(scenario.sim.check_password(user_id, scenario.password) for user_id in scenario.users), second
    assert all(entry["outcome"] in ("set", "already_set") for entry in second["results"]), second
    # No user was written more than once per run with a password (a resend only follows a read back showing none).
    sets = [entry for entry in scenario.sim.writes() if entry["operation"] == "update"]
    assert len(sets) <= 2 * len(scenario.users), sets
