"""reset_and_sync with credsync_generate_for: a password made for a user, kept in a vault file, synced to the Mac.

jcsim and two macsim Macs (fleetsim). amelia's password is generated (credsync_generate_for, credsync_password_file,
the run's vault secret from --vault-password-file); bruno's is given. The password is read back with ansible-vault
view, as the help desk would, and checked in jcsim and in every store of amelia's Mac. It never shows in the output
or the report. A re-run changes nothing for amelia and keeps her password.
"""

import json
import os
import subprocess
import sys

import pytest
import yaml

import fleetsim
import jcsim
from credsync_testlib import COLLECTIONS_PATH, skip_outside_collection_tree

BIN = os.path.dirname(sys.executable)


class Run:
    def __init__(self, tmp, sim):
        self.tmp = tmp
        self.sim = sim
        self.fleet = fleetsim.build(str(tmp / "fleet"), (fleetsim.Kind("previous_everywhere", 2),), directory=sim)
        self.generated, self.given = [h.user for h in self.fleet.hosts]
        self.vault_pass = tmp / "vault-pass"
        self.vault_pass.write_text("help desk secret\n")
        self.password_file = tmp / "helpdesk.vault.yml"
        extra = tmp / "extra.json"
        extra.write_text(fleetsim.untemplated_json({
            "credsync_passwords": {self.given: self.fleet.passwords["new"][self.given]},
            "credsync_generate_for": [self.generated], "credsync_password_file": str(self.password_file)}))
        self.extra = extra

    def playbook(self, name, *extra, playbook="reset_and_sync"):
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, ANSIBLE_HOST_KEY_CHECKING="False",
                   ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(self.tmp / "local"),
                   ANSIBLE_REMOTE_TEMP=str(self.tmp / "remote"), ANSIBLE_RETRY_FILES_ENABLED="False")
        env.pop("ANSIBLE_CONFIG", None)
        report = self.tmp / ("report-" + name)
        argv = [os.path.join(BIN, "ansible-playbook"), "-i", self.fleet.inventory, "-e", "@" + self.fleet.vars_file,
                "-e", "@" + str(self.extra), "-e", "credsync_report_dir=%s" % report,
                "--vault-password-file", str(self.vault_pass), "-f", "2", "-vvv"] + list(extra)
        argv.append("macfleet.credsync." + playbook)
        proc = subprocess.run(argv, cwd=str(self.tmp), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=600, check=False)
        text = proc.stdout + proc.stderr + "".join(p.read_text() for p in report.glob("*") if p.is_file())
        return proc, text

    def view(self):
        proc = subprocess.run([os.path.join(BIN, "ansible-vault"), "view", "--vault-password-file",
                               str(self.vault_pass), str(self.password_file)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
        return yaml.safe_load(proc.stdout)


@pytest.fixture(scope="module", name="run")
def _run(tmp_path_factory):
    skip_outside_collection_tree()
    with jcsim.JumpCloudSim() as sim:
        yield Run(tmp_path_factory.mktemp("generate-fleet"), sim)


def test_the_generated_password_is_set_kept_and_synced_and_a_rerun_keeps_it(run):
    check, text = run.playbook("check", "--check")
    assert check.returncode == 0, text[-4000:]
    assert not run.password_file.exists() and not run.sim.writes()
    assert not any(run.fleet.mac(host.name).write_calls() for host in run.fleet.hosts)
    assert "check mode: the real run makes it" in text
    proc, text = run.playbook("first")
    assert proc.returncode == 0, text[-4000:]
    entries = run.view()
    assert list(entries) == [run.generated] and entries[run.generated]["state"] == "set"
    password = entries[run.generated]["password"]
    assert password not in text
    user_id = run.sim.user_id(run.generated)
    assert run.sim.check_password(user_id, password)
    for host in run.fleet.hosts:
        wanted = password if host.user == run.generated else run.fleet.passwords["new"][host.user]
        mac = run.fleet.mac(host.name)
        assert all((mac.login_ok(host.user, wanted), mac.filevault_ok(host.user, wanted),
                    mac.preboot_ok(host.user, wanted), mac.keychain_ok(host.user, wanted))), host.name
    writes = run.sim.user_state(user_id)["writes"]

    again, text = run.playbook("again")
    assert again.returncode == 0, text[-4000:]
    assert run.view() == entries
    assert run.sim.user_state(user_id)["writes"] == writes
    assert password not in text
    assert stat_mode(run.password_file) == 0o600

    audit, text = run.playbook("audit", playbook="verify_fleet")
    assert audit.returncode == 0, text[-4000:]
    rows = {row["host"]: row for row in json.loads((run.tmp / "report-audit" / "fleet-report.json").read_text())["hosts"]}
    assert all(rows[host.name]["status"] == "in step" for host in run.fleet.hosts), rows
    assert password not in text


def stat_mode(path):
    return os.stat(str(path)).st_mode & 0o777
