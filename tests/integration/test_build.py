"""The built artifact: galaxy tarball without stand-ins, execution-environment context."""

import os
import subprocess
import sys
import tarfile

import pytest

from credsync_testlib import COLLECTION_ROOT

BIN = os.path.dirname(sys.executable)


def _run(argv, cwd):
    proc = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout.decode()
    return proc.stdout.decode()


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    _run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(out), COLLECTION_ROOT],
         cwd=str(out))
    (path,) = out.glob("macfleet-credsync-*.tar.gz")
    with tarfile.open(str(path)) as archive:
        return archive.getnames()


def test_tarball_has_no_test_stand_ins(tarball):
    # macsim, jcsim, fleetsim, the Samba AD harness and the tests themselves: nothing under tests/ ships.
    assert not [n for n in tarball if n == "tests" or n.startswith("tests/")]
    assert not [n for n in tarball if "__pycache__" in n or n.startswith((".venv", ".build", "scripts", ".ci"))]


def test_tarball_has_the_collection(tarball):
    for name in ("MANIFEST.json", "FILES.json", "README.md", "meta/runtime.yml",
                 "meta/execution-environment.yml", "plugins/module_utils/_macos/runner.py",
                 "playbooks/fleet_status.yml", "requirements.txt", "bindep.txt", "roles/profiles/tasks/main.yml",
                 "profiles/jumpcloud-notifications.mobileconfig", "plugins/modules/directory_password.py"):
        assert name in tarball


def test_execution_environment_context(tmp_path):
    definition = os.path.join(COLLECTION_ROOT, "docs", "execution-environment", "execution-environment.yml")
    _run([os.path.join(BIN, "ansible-builder"), "create", "-f", definition, "-c", str(tmp_path / "context"),
          "--output-filename", "Containerfile"], cwd=str(tmp_path))
    containerfile = (tmp_path / "context" / "Containerfile").read_text()
    assert "ansible-galaxy" in containerfile and "introspect" in containerfile
    assert (tmp_path / "context" / "_build" / "requirements.yml").exists()
