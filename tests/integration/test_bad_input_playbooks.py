"""Bad input to the fleet playbooks (reset_and_sync, verify_fleet): refused before the directory or any Mac is touched.

One small fleet (jcsim and two macsim Macs). Each case runs a playbook with its own vars file (no fleet vars file:
the case's vars are all there is) and is judged by badinput_lib: refused with a message naming the variable or the
rule, with nothing written in the directory (jcsim's write log) or on a Mac (macsim's audit log), no traceback, and
no secret in ansible-playbook's output. Good inputs beside the bad ones run in check mode, so the fleet stays as it
was for every case.
"""

import os
import subprocess
import sys

import pytest

import badinput_lib
import fleetsim
import jcsim
from badinput_lib import Case
from credsync_testlib import COLLECTIONS_PATH, skip_outside_collection_tree

BIN = os.path.dirname(sys.executable)
GOOD_PASSWORD = "Good-Pass-1!xyz"
# Placeholders the fixture fills with this fleet's values.
NEW, PREVIOUS, ADMIN = "<new>", "<previous>", "<admin>"


def _with(**changes):
    """The fleet's own vars with changes; a value of None removes the variable."""
    return changes


def _password(value):
    return _with(credsync_passwords={"amelia": value, "bruno": NEW})


def _password_for_bruno_only(**changes):
    return _with(credsync_passwords={"bruno": NEW}, **changes)


HOSTILE = badinput_lib.HOSTILE_PASSWORDS

RESET_CASES = [Case("reset-password-%s" % name, _password(value), mentions=("amelia", rule),
                    secrets=[value] if isinstance(value, str) and len(value) > 3 else [])
               for name, value, rule in HOSTILE]
RESET_CASES += [Case("reset-previous-%s" % name, _with(credsync_previous_passwords={"amelia": value}),
                     mentions=("amelia: previous password", rule),
                     secrets=[value] if isinstance(value, str) and len(value) > 3 else [])
                for name, value, rule in HOSTILE if name in ("nul", "lf", "esc", "twobyte64", "dict")]
RESET_CASES += [Case("reset-admin-%s" % name, _with(credsync_admin_password=value),
                     mentions=("credsync_admin_password", rule),
                     secrets=[value] if isinstance(value, str) and len(value) > 3 else [])
                for name, value, rule in HOSTILE if name in ("tab", "dict")]
RESET_CASES += [
    Case("reset-passwords-missing", _with(credsync_passwords=None), mentions=("credsync_passwords",)),
    Case("reset-passwords-empty", _with(credsync_passwords={}), mentions=("credsync_passwords",)),
    Case("reset-passwords-list", _with(credsync_passwords=[GOOD_PASSWORD]), mentions=("credsync_passwords",),
         secrets=[GOOD_PASSWORD]),
    Case("reset-passwords-string", _with(credsync_passwords=GOOD_PASSWORD), mentions=("credsync_passwords",),
         secrets=[GOOD_PASSWORD]),
    Case("reset-previous-list", _with(credsync_previous_passwords=[PREVIOUS]), mentions=("credsync_previous_passwords",)),
    # A user's previous password may be a list of candidates (a history): each is checked, named by position.
    Case("reset-previous-history-bad", _with(credsync_previous_passwords={"amelia": [PREVIOUS, "Hist\nory-1"]}),
         mentions=("amelia: previous password [1]", "line break"), secrets=["Hist\nory-1"]),
    Case("reset-previous-history-empty-item", _with(credsync_previous_passwords={"amelia": [""]}),
         mentions=("amelia: previous password [0]", "empty")),
    Case("reset-provider-unknown", _with(credsync_provider="okta-ish"), mentions=("credsync_provider",)),
    Case("reset-directory-string", _with(credsync_directory="https://console.jumpcloud.com"),
         mentions=("credsync_directory",)),
    Case("reset-since-garbage", _with(credsync_reset_since="yesterday"), mentions=("credsync_reset_since",)),
    Case("reset-since-number", _with(credsync_reset_since=20261202), mentions=("credsync_reset_since",)),
    Case("reset-temporary-garbage", _with(credsync_temporary="maybe"), mentions=("credsync_temporary",)),
    Case("reset-fail-on-error-garbage", _with(credsync_fail_on_error="sometimes"), mentions=("credsync_fail_on_error",)),
    Case("reset-skip-unsyncable-garbage", _with(credsync_skip_unsyncable="perhaps"),
         mentions=("credsync_skip_unsyncable",)),
    Case("reset-generate-for-string", _with(credsync_generate_for="amelia", credsync_password_file="/tmp/p.yml"),
         mentions=("credsync_generate_for",)),
    Case("reset-generate-for-mapping", _with(credsync_generate_for={"amelia": True}, credsync_password_file="/tmp/p.yml"),
         mentions=("credsync_generate_for",)),
    Case("reset-generate-without-file", _password_for_bruno_only(credsync_generate_for=["amelia"]),
         mentions=("credsync_generate_for", "credsync_password_file")),
    Case("reset-generate-and-given", _with(credsync_generate_for=["amelia"], credsync_password_file="/tmp/p.yml"),
         mentions=("credsync_generate_for", "both")),
    # Good inputs beside the bad ones (check mode: nothing changes either way).
    Case("reset-good", _with(), bad=False),
    Case("reset-good-history", _with(credsync_previous_passwords={"amelia": ["Not-Hers-Pass-8", PREVIOUS]}), bad=False),
    Case("reset-good-127-bytes", _password("A1-" + "x" * 124), bad=False, secrets=["A1-" + "x" * 124]),
    Case("reset-good-symbols", _password("Sp ace 'q' \"d\" \\ ;|&* ünï 🔑 9"), bad=False),
    # Jinja's delimiters are data in a password (the vars file marks it unsafe, as docs/inventory-examples.md asks).
    Case("reset-good-template-look", _password("Looks{{like}}a{%tag%}{#-1"), bad=False,
         secrets=["Looks{{like}}a{%tag%}{#-1"]),
    Case("reset-good-since-and-temporary", _with(credsync_reset_since="2026-01-01T00:00:00", credsync_temporary="true"),
         bad=False),
]

VERIFY_CASES = [
    Case("verify-passwords-list", _with(credsync_passwords=[GOOD_PASSWORD]), mentions=("credsync_passwords",),
         secrets=[GOOD_PASSWORD]),
    Case("verify-report-dir-mapping", _with(credsync_report_dir={"path": "/tmp"}), mentions=("credsync_report_dir",)),
] + [Case("verify-password-%s" % name, _password(value), mentions=("amelia", rule),
          secrets=[value] if isinstance(value, str) and len(value) > 3 else [])
     for name, value, rule in HOSTILE if name in ("empty", "nul", "lf", "esc", "twobyte64", "dict")] + [
    Case("verify-good", _with(), bad=False),
]


class Fleet:
    """jcsim and two Macs; each case's vars are the fleet's own with the case's changes."""

    def __init__(self, tmp, sim):
        self.tmp = tmp
        self.sim = sim
        self.fleet = fleetsim.build(str(tmp / "fleet"), (fleetsim.Kind("previous_everywhere", 2),), directory=sim)
        self.passwords = self.fleet.passwords
        self.count = 0

    def base_vars(self):
        return {
            "credsync_provider": "jumpcloud",
            "credsync_directory": {"base_url": self.sim.url, "api_key": self.sim.api_key},
            "credsync_passwords": dict(self.passwords["new"]),
            "credsync_previous_passwords": dict(self.passwords["previous"]),
            "credsync_admin_password": self.passwords["service"],
            "credsync_report_dir": str(self.tmp / "report"),
        }

    def fill(self, value, user="bruno"):
        placeholders = {NEW: self.passwords["new"][user], PREVIOUS: self.passwords["previous"][user],
                        ADMIN: self.passwords["service"]}
        if isinstance(value, dict):
            return {k: self.fill(v, k if k in self.passwords["new"] else user) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v, user) for v in value]
        return placeholders.get(value, value) if isinstance(value, str) else value

    def secrets(self):
        return [self.sim.api_key, self.passwords["service"]] + [
            pw for role in ("new", "previous") for pw in self.passwords[role].values()]

    def writes(self):
        return len(self.sim.writes()), {h.name: len(self.fleet.mac(h.name).write_calls()) for h in self.fleet.hosts}

    def run(self, playbook, case, check):
        self.count += 1
        work = self.tmp / ("case-%d" % self.count)
        work.mkdir()
        variables = self.base_vars()
        for name, value in case.args.items():
            if value is None:
                variables.pop(name, None)
            else:
                variables[name] = self.fill(value)
        # Every string marked unsafe: the fleet's generated passwords may hold {{ or {%, and a case's value is data.
        (work / "vars.json").write_text(fleetsim.untemplated_json(variables))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, ANSIBLE_HOST_KEY_CHECKING="False",
                   ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(work / "local"), ANSIBLE_REMOTE_TEMP=str(work / "remote"),
                   ANSIBLE_RETRY_FILES_ENABLED="False")
        env.pop("ANSIBLE_CONFIG", None)
        argv = [os.path.join(BIN, "ansible-playbook"), "-i", self.fleet.inventory, "-e", "@" + str(work / "vars.json")]
        argv += ["--check"] if check else []
        before = self.writes()
        proc = subprocess.run(argv + ["macfleet.credsync." + playbook], cwd=str(work), env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600, check=False)
        os.unlink(str(work / "vars.json"))
        output = proc.stdout + proc.stderr
        result = {"failed": proc.returncode != 0, "msg": output}
        return result, output, self.writes() != before


@pytest.fixture(scope="module", name="fleet")
def _fleet(tmp_path_factory):
    skip_outside_collection_tree()
    with jcsim.JumpCloudSim() as sim:
        yield Fleet(tmp_path_factory.mktemp("bad-input-playbooks"), sim)


def _judge(request, fleet, playbook, case):
    # A bad case runs for real (it must be refused before any write); a good one in check mode.
    result, output, wrote = fleet.run(playbook, case, check=not case.bad)
    case.secrets = tuple(case.secrets) + tuple(fleet.secrets())
    verdict = badinput_lib.verdict(case, result, output, wrote)
    badinput_lib.record(request, "bad input", verdict=verdict, bad=case.bad)
    expected = badinput_lib.REFUSED if case.bad else badinput_lib.OK
    assert verdict == expected, "%s: %s (wrote: %s)\n%s" % (case.name, verdict, wrote, output[-2500:])


@pytest.mark.parametrize("case", RESET_CASES, ids=[c.name for c in RESET_CASES])
def test_reset_and_sync_refuses_bad_input_before_any_write(request, fleet, case):
    _judge(request, fleet, "reset_and_sync", case)


@pytest.mark.parametrize("case", VERIFY_CASES, ids=[c.name for c in VERIFY_CASES])
def test_verify_fleet_refuses_bad_input_before_any_mac_is_asked(request, fleet, case):
    _judge(request, fleet, "verify_fleet", case)
