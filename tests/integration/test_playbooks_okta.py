"""reset_and_sync with credsync_provider okta, end to end: the users reset in oktasim, then their macsim Macs synced.

A small fleet (fleetsim, no JumpCloud): one Mac changed while offline, one holding the previous password in every
store, one whose user Okta has locked out. Okta is the directory (credsync_directory: org_url, api_token). Every
outcome is read back from the stand-ins, and no secret may appear in the output or the report.
"""

import json
import os
import subprocess
import sys

import pytest

import fleetsim
from credsync_testlib import COLLECTIONS_PATH, in_collection_tree
from oktasim import OktaSim

BIN = os.path.dirname(sys.executable)
LAYOUT = (
    fleetsim.Kind("offline_change", 1, "changed while offline"),
    fleetsim.Kind("previous_everywhere", 1, "previous password known"),
    fleetsim.Kind("offline_change", 1, "locked out in Okta"),
)


def _playbook(tmp, fleet, extra_vars, report, *extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, ANSIBLE_HOST_KEY_CHECKING="False",
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp / "local"), ANSIBLE_REMOTE_TEMP=str(tmp / "remote"),
               ANSIBLE_RETRY_FILES_ENABLED="False")
    env.pop("ANSIBLE_CONFIG", None)
    argv = [os.path.join(BIN, "ansible-playbook"), "-i", fleet.inventory, "-e", "@" + fleet.vars_file,
            "-e", "@" + extra_vars, "-e", "credsync_report_dir=%s" % report, "-f", "3", "-vvv"] + list(extra)
    return subprocess.run(argv + ["macfleet.credsync.reset_and_sync"], cwd=str(tmp), env=env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=600, check=False)


@pytest.fixture(scope="module", name="run")
def _run(tmp_path_factory):
    if not in_collection_tree():
        pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)")
    tmp = tmp_path_factory.mktemp("okta-fleet")
    fleet = fleetsim.build(str(tmp / "fleet"), LAYOUT)
    with OktaSim() as sim:
        users = [h.user for h in fleet.hosts]
        for user in users:
            sim.add_user("%s@example.com" % user, password=fleet.passwords["previous"][user],
                         firstName=user.capitalize(), lastName="Example")
        locked = users[2]
        sim.lock_out("%s@example.com" % locked)
        extra = tmp / "okta-vars.yml"
        descriptor = os.open(str(extra), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write("credsync_provider: okta\ncredsync_directory:\n  org_url: %s\n  api_token: %s\n"
                         % (json.dumps(sim.url), json.dumps(sim.api_token)))
        proc = _playbook(tmp, fleet, str(extra), tmp / "report")
        summary = json.loads((tmp / "report" / "summary.json").read_text())
        yield dict(fleet=fleet, sim=sim, proc=proc, summary=summary, users=users, locked=locked,
                   output=proc.stdout + proc.stderr, report=tmp / "report")


def test_every_user_reset_in_okta_and_every_mac_synced(run):
    fleet, sim = run["fleet"], run["sim"]
    assert run["proc"].returncode == 0, run["output"][-3000:]
    for host in fleet.hosts:
        new = fleet.passwords["new"][host.user]
        assert sim.check_password("%s@example.com" % host.user, new), host.user
        mac = fleet.mac(host.name)
        assert all((mac.login_ok(host.user, new), mac.filevault_ok(host.user, new), mac.preboot_ok(host.user, new),
                    mac.keychain_ok(host.user, new))), host.name
    rows = dict((row["host"], row) for row in run["summary"]["rows"])
    assert all(rows[h.name]["mac"] == "done" for h in fleet.hosts), rows


def test_the_user_okta_locked_out_is_unlocked(run):
    assert run["sim"].user_state("%s@example.com" % run["locked"])["status"] == "ACTIVE"


def test_no_secret_in_the_output_or_the_report(run):
    fleet, sim = run["fleet"], run["sim"]
    secrets = [sim.api_token, fleet.passwords["service"]] + [
        pw for role in ("new", "previous", "local") for pw in fleet.passwords[role].values()]
    texts = [run["output"]] + [p.read_text() for p in run["report"].iterdir() if p.is_file()]
    assert not [s for s in secrets for text in texts if s in text]
