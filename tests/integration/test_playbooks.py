"""The fleet playbooks end to end: reset_and_sync and verify_fleet against jcsim and a handful of macsim Macs.

One fleet (fleetsim's "small" layout: changed offline, changed in System Settings, locked out on the Mac and in
the directory, service account missing, sync disabled, switched off) goes through reset_and_sync at -vvv, then
verify_fleet, then reset_and_sync again with credsync_reset_since. Every outcome is read back from the stand-ins
(jcsim's records, macsim's stores and audit logs), and no secret may appear in any output or file written.
"""

import csv
import html.parser
import json
import os
import subprocess
import sys

import pytest

import fleetsim
import jcsim
from credsync_testlib import COLLECTIONS_PATH, in_collection_tree

BIN = os.path.dirname(sys.executable)
STORES = ("login", "filevault", "preboot", "keychain")
VERIFIED = {"done": "in step", "failed": "drift", "skipped": "skipped"}


class Run:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.output = proc.stdout + proc.stderr


class FleetRuns:
    """The fleet, the directory and each playbook run, for the tests to read."""

    def __init__(self, tmp, sim, layout=fleetsim.LAYOUTS["small"]):
        self.tmp = tmp
        self.sim = sim
        self.fleet = fleetsim.build(str(tmp / "fleet"), layout, directory=sim)
        self.report = tmp / "report"
        self.runs = {}
        # Filled by the fixture, run by run.
        self.check_summary = self.writes_after_check = self.audit_after_check = None
        self.first = self.first_summary = self.writes_after_first = self.audit_after_first = None
        self.verify = self.again = self.again_summary = None

    def playbook(self, name, *extra):
        work = self.tmp / ("run-%d" % (len(self.runs) + 1))
        work.mkdir()
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, ANSIBLE_HOST_KEY_CHECKING="False",
                   ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(work / "local"), ANSIBLE_REMOTE_TEMP=str(work / "remote"),
                   ANSIBLE_RETRY_FILES_ENABLED="False")
        env.pop("ANSIBLE_CONFIG", None)
        argv = [os.path.join(BIN, "ansible-playbook"), "-i", self.fleet.inventory, "-e", "@" + self.fleet.vars_file,
                "-e", "credsync_report_dir=%s" % self.report, "-f", "6", "-vvv"] + list(extra)
        proc = subprocess.run(argv + ["macfleet.credsync." + name], cwd=str(work), env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600, check=False)
        run = Run(proc)
        self.runs[len(self.runs) + 1] = run
        return run

    def secrets(self):
        passwords = self.fleet.passwords
        return ([self.sim.api_key, passwords["service"]]
                + [pw for role in ("new", "previous", "local") for pw in passwords[role].values()])

    def summary(self):
        return json.loads((self.report / "summary.json").read_text())


@pytest.fixture(scope="module", name="runs")
def _runs(tmp_path_factory):
    if not in_collection_tree():
        pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)")
    with jcsim.JumpCloudSim() as sim:
        runs = FleetRuns(tmp_path_factory.mktemp("fleet"), sim)
        runs.playbook("reset_and_sync", "--check")
        runs.check_summary = runs.summary()
        runs.writes_after_check = sim.writes()
        runs.audit_after_check = {h.name: runs.fleet.mac(h.name).write_calls() for h in runs.fleet.hosts if h.root}
        runs.first = runs.playbook("reset_and_sync")
        runs.first_summary = runs.summary()
        runs.writes_after_first = sim.writes()
        runs.audit_after_first = {h.name: len(runs.fleet.mac(h.name).audit()) for h in runs.fleet.hosts if h.root}
        runs.verify = runs.playbook("verify_fleet")
        hint = [line for line in (runs.report / "summary.txt").read_text().splitlines() if "credsync_reset_since=" in line]
        since = hint[0].split("credsync_reset_since=")[1]
        runs.again = runs.playbook("reset_and_sync", "-e", "credsync_reset_since=%s" % since)
        runs.again_summary = runs.summary()
        yield runs


def _row(summary, host):
    return next(row for row in summary["rows"] if row["host"] == host)


def test_each_mac_gets_the_expected_outcome_and_a_reason(runs):
    for host in (h for h in runs.fleet.hosts if h.name):
        row = _row(runs.first_summary, host.name)
        assert (row["user"], row["mac"]) == (host.user, host.kind.expected), row
        assert row["why"], row
    why = {h.kind.label: _row(runs.first_summary, h.name)["why"] for h in runs.fleet.hosts}
    assert "_jumpcloudserviceaccount does not exist" in why["service account missing"]
    assert why["sync disabled on this Mac"] == "sync disabled on this Mac (credsync_enabled: false)"
    assert why["Mac offline"].startswith("unreachable: ")
    assert why["locked out"].startswith("account unlocked, login change")
    assert "admin reset" in why["changed in System Settings"] and "keychain recreate" in why["changed in System Settings"]
    totals = {"users_reset": 6, "users_skipped": 0, "users_failed": 0, "macs_done": 3, "macs_skipped": 1, "macs_failed": 2}
    assert runs.first_summary["totals"] == totals


def test_check_mode_reports_the_same_outcomes_and_writes_nothing(runs):
    assert runs.writes_after_check == []
    assert not [calls for calls in runs.audit_after_check.values() if calls]
    for host in (h for h in runs.fleet.hosts if h.name):
        row = _row(runs.check_summary, host.name)
        # A locked-out account cannot be checked until the unlock, which check mode only reports.
        expected = "failed" if host.kind.label == "locked out" else host.kind.expected
        assert row["directory"] == _row(runs.first_summary, host.name)["directory"] and row["mac"] == expected, row
        if expected == "done":
            assert row["why"] == _row(runs.first_summary, host.name)["why"]


def test_a_directory_that_refuses_the_call_leaves_every_mac_alone(tmp_path):
    if not in_collection_tree():
        pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)")
    with jcsim.JumpCloudSim() as sim:
        runs = FleetRuns(tmp_path, sim, layout=(fleetsim.Kind("previous_everywhere", 2),))
        wrong = tmp_path / "wrong-key.yml"
        wrong.write_text(json.dumps({"credsync_directory": {"base_url": sim.url, "api_key": "0" * 40}}))
        run = runs.playbook("reset_and_sync", "-e", "@%s" % wrong)
        assert run.rc == 2 and sim.writes() == []
        for host in runs.fleet.hosts:
            row = _row(runs.summary(), host.name)
            assert (row["directory"], row["mac"]) == ("failed", "skipped"), row
            assert row["why"].startswith("directory reset failed: ") and "401" in row["why"], row
            assert runs.fleet.mac(host.name).audit() == []


def test_a_failed_mac_fails_the_run_only_at_the_end(runs):
    assert runs.first.rc == 2
    assert "USER       DIRECTORY" in runs.first.output  # the summary was printed before the run failed
    assert "2 Macs failed: see the summary above" in runs.first.output


def test_the_directory_holds_the_new_passwords_each_set_once(runs):
    sim, fleet = runs.sim, runs.fleet
    for host in fleet.hosts:
        user_id = sim.user_id(host.user)
        assert sim.check_password(user_id, fleet.passwords["new"][host.user])
        state = sim.user_state(user_id)
        assert not state["account_locked"] and not state["password_expired"]
    operations = sorted(entry["operation"] for entry in runs.writes_after_first)
    assert operations == ["put"] * len(fleet.hosts) + ["unlock"]


def test_synced_macs_open_with_the_new_password_and_the_others_are_untouched(runs):
    for host in (h for h in runs.fleet.hosts if h.root):
        mac, user = runs.fleet.mac(host.name), host.user
        new, previous = runs.fleet.passwords["new"][user], runs.fleet.passwords["previous"][user]
        if host.kind.expected == "done":
            assert all((mac.login_ok(user, new), mac.filevault_ok(user, new), mac.preboot_ok(user, new),
                        mac.keychain_ok(user, new))), host
        else:
            assert mac.write_calls() == [], host
            assert mac.login_ok(user, previous), host


def test_verify_fleet_reports_every_store_of_every_mac_in_html_csv_and_json(runs):
    assert runs.verify.rc == 0, runs.verify.output[-3000:]
    report = json.loads((runs.report / "fleet-report.json").read_text())
    rows = {row["host"]: row for row in report["hosts"]}
    with open(str(runs.report / "fleet-report.csv"), encoding="utf-8") as handle:
        csv_rows = {row["host"]: row for row in csv.DictReader(handle)}
    page = _HtmlRows()
    page.feed((runs.report / "fleet-report.html").read_text())
    for host in (h for h in runs.fleet.hosts if h.name):
        expected = "unreachable" if host.kind.offline else VERIFIED[host.kind.expected]
        assert rows[host.name]["status"] == expected, rows[host.name]
        assert csv_rows[host.name]["status"] == expected
        cells = page.rows[host.name]
        assert cells[:3] == [host.name, host.user, expected]
        for index, store in enumerate(STORES):
            assert csv_rows[host.name][store] == rows[host.name]["stores"][store]
            assert cells[3 + index] == rows[host.name]["stores"][store].replace("_", " ")
        if expected == "in step":
            assert set(rows[host.name]["stores"].values()) <= {"in_sync", "not_applicable"}
    drift = next(h.name for h in runs.fleet.hosts if h.kind.label == "service account missing")
    assert rows[drift]["why"] == "out of step: login, filevault, keychain"


def test_verify_fleet_changes_nothing(runs):
    for host in (h for h in runs.fleet.hosts if h.root):
        calls = runs.fleet.mac(host.name).audit()[runs.audit_after_first[host.name]:]
        assert bool(calls) == host.kind.enabled, host  # a Mac excluded from the sync is not audited either
        assert not [c for c in calls if c["kind"] == "write"], host


def test_a_rerun_with_reset_since_resets_nobody_twice_and_finds_the_macs_in_step(runs):
    assert len(runs.sim.writes()) == len(runs.writes_after_first)
    totals = runs.again_summary["totals"]
    assert (totals["users_reset"], totals["users_skipped"]) == (0, 6)
    for host in (h for h in runs.fleet.hosts if h.name):
        row = _row(runs.again_summary, host.name)
        assert row["directory"] == "skipped"
        assert row["mac"] == host.kind.expected
        if host.kind.expected == "done":
            assert row["why"] == "already in step"


def test_no_secret_in_any_output_or_file(runs):
    secrets = runs.secrets()
    for number, run in runs.runs.items():
        assert "ok:" in run.output  # -vvv output was captured
        leaked = [s for s in secrets if s in run.output]
        assert not leaked, "run %d printed %d secrets" % (number, len(leaked))
    # The two files that hold secrets on purpose (mode 0600): the vars file, and the inventory plugin's config.
    kept = (runs.tmp / "fleet" / "credsync-vars.yml", runs.tmp / "fleet" / "fleet.jumpcloud.yml")
    written = [p for p in runs.tmp.rglob("*") if p.is_file() and p not in kept
               and "macs" not in p.relative_to(runs.tmp).parts]
    assert any(p.parent == runs.report for p in written)
    for path in written:
        text = path.read_bytes().decode("utf-8", "replace")
        assert not [s for s in secrets if s in text], path
    assert oct(os.stat(runs.fleet.vars_file).st_mode & 0o777) == "0o600"


class _HtmlRows(html.parser.HTMLParser):
    """The report table's body rows: {first cell: [cell texts]}."""

    def __init__(self):
        super().__init__()
        self.rows, self._row, self._cell, self._in_body = {}, None, None, False

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row:
            self.rows[self._row[0]] = self._row
            self._row = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
