"""The fleet playbooks from the JumpCloud inventory alone (issue 12 point 2).

The fleet (fleetsim) is seeded in jcsim as systems bound to their users; the playbooks get two sources: the
inventory plugin's config and a static file that only says how to reach each simulated Mac. No credsync_user is
written anywhere. Given credsync_passwords for some users, reset_and_sync and verify_fleet work on those users'
Macs only (a user with two Macs gets both); before anything is reset, reset_and_sync reports the Mac without a
service account whose previous password is unknown (skipped, its user not reset) and the shared Mac whose user
is ambiguous; the Mac of a user left out is never contacted.
"""

import json
import os
import subprocess
import sys

import pytest

import fleetsim
import jcsim
from credsync_testlib import COLLECTIONS_PATH, in_collection_tree
from fleetsim import Kind

BIN = os.path.dirname(sys.executable)
LAYOUT = (
    Kind("offline_change", 1, "changed while offline"),
    Kind("offline_change", 1, "the same user's second Mac", second_mac=True),
    Kind("no_service_account", 1, "service account missing, previous password unknown", "skipped",
         previous_known=False),
    Kind("offline_change", 1, "a user this run leaves out"),
)

pytestmark = pytest.mark.skipif(not in_collection_tree(),
                                reason="needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)")


def _unsafe(text):
    return "!unsafe '%s'" % text.replace("'", "''")


class Runs:
    def __init__(self, tmp, sim):
        self.tmp = tmp
        self.sim = sim
        self.fleet = fleetsim.build(str(tmp / "fleet"), LAYOUT, directory=sim)
        self.users = [h.user for h in self.fleet.hosts]
        self.left_out = self.fleet.hosts[3]
        # This run's passwords: every user but the last one's.
        self.vars_file = tmp / "subset.yml"
        chosen = [user for user in dict.fromkeys(self.users) if user != self.left_out.user]
        lines = ["credsync_passwords:"] + ["  %s: %s" % (user, _unsafe(self.fleet.passwords["new"][user]))
                                           for user in chosen]
        self.vars_file.write_text("\n".join(lines) + "\n")
        self.vars_file.chmod(0o600)
        self.report = tmp / "report"
        self.outputs = []

    def playbook(self, name):
        work = self.tmp / ("run-%d" % (len(self.outputs) + 1))
        work.mkdir()
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, ANSIBLE_NOCOLOR="1",
                   ANSIBLE_LOCAL_TEMP=str(work / "local"), ANSIBLE_REMOTE_TEMP=str(work / "remote"),
                   ANSIBLE_RETRY_FILES_ENABLED="False", ANSIBLE_HOST_KEY_CHECKING="False")
        env.pop("ANSIBLE_CONFIG", None)
        argv = [os.path.join(BIN, "ansible-playbook"), "-i", self.fleet.plugin_config,
                "-i", self.fleet.connection_inventory, "-e", "@" + self.fleet.vars_file,
                "-e", "@" + str(self.vars_file), "-e", "credsync_report_dir=%s" % self.report,
                "-e", "credsync_fail_on_error=false", "-f", "4", "-v", "macfleet.credsync." + name]
        proc = subprocess.run(argv, cwd=str(work), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=600, check=False)
        self.outputs.append(proc.stdout + proc.stderr)
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
        return proc.stdout + proc.stderr


@pytest.fixture(scope="module", name="runs")
def _runs(tmp_path_factory):
    with jcsim.JumpCloudSim() as sim:
        runs = Runs(tmp_path_factory.mktemp("jcinv"), sim)
        runs.reset_output = runs.playbook("reset_and_sync")
        runs.summary = json.loads((runs.report / "summary.json").read_text())
        runs.writes = sim.writes()
        runs.verify_output = runs.playbook("verify_fleet")
        runs.audit = json.loads((runs.report / "fleet-report.json").read_text())
        yield runs
        assert sim.internal_errors == []


def _audit(runs, name):
    """The simulated Mac's tool calls (none: no audit file yet)."""
    try:
        return runs.fleet.mac(name).audit()
    except FileNotFoundError:
        return []


def _rows(summary):
    return {row["host"]: row for row in summary["rows"]}


def test_the_macs_of_the_chosen_users_and_only_those(runs):
    hosts = runs.fleet.hosts
    rows = _rows(runs.summary)
    assert rows[hosts[0].name]["mac"] == rows[hosts[1].name]["mac"] == "done"
    assert rows[hosts[0].name]["user"] == rows[hosts[1].name]["user"] == hosts[0].user
    assert runs.left_out.name not in rows
    assert _audit(runs, runs.left_out.name) == []  # never contacted
    for host in hosts[:2]:
        assert runs.fleet.mac(host.name).login_ok(host.user, runs.fleet.passwords["new"][host.user])


def test_before_any_reset_the_unsyncable_macs_are_reported_and_skipped(runs):
    unsyncable = runs.fleet.hosts[2]
    output = runs.reset_output
    report = output.index("%s: no service account with a secure token and no previous password" % unsyncable.name)
    assert report < output.index("Reset the passwords and unlock the accounts")
    assert "mac-shared-lab: no credsync_user" in output
    row = _rows(runs.summary)[unsyncable.name]
    assert row["mac"] == "skipped" and "credsync_skip_unsyncable" in row["why"]
    assert row["directory"] == "skipped"
    assert _rows(runs.summary)["mac-shared-lab"]["mac"] == "skipped"
    written = {entry["user_id"] for entry in runs.writes}
    assert runs.sim.user_id(unsyncable.user) not in written and runs.sim.user_id(runs.left_out.user) not in written
    assert runs.sim.user_id(runs.fleet.hosts[0].user) in written
    assert not [call for call in _audit(runs, unsyncable.name) if call["kind"] == "write"]


def test_verify_fleet_audits_the_same_macs(runs):
    audited = {row["host"]: row["status"] for row in runs.audit["hosts"]}
    assert audited == {runs.fleet.hosts[0].name: "in step", runs.fleet.hosts[1].name: "in step",
                       runs.fleet.hosts[2].name: "drift"}


def test_no_secret_in_the_outputs(runs):
    secrets = [runs.sim.api_key] + [pw for role in ("new", "previous", "local") for pw in
                                    runs.fleet.passwords[role].values()]
    for output in runs.outputs:
        assert not [secret for secret in secrets if secret in output]
