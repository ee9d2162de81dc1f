"""Helpers shared by every test suite, importable as `credsync_testlib` (tests/ is on sys.path).

conftest.py files all import as the module `conftest`, so `from conftest import X` in a test gets
whichever conftest pytest loaded last; shared helpers live here instead.
"""


import os
import subprocess
import sys

import pytest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
COLLECTION_ROOT = os.path.dirname(TESTS_DIR)
# ansible_collections.macfleet.credsync imports need the directory above ansible_collections.
COLLECTIONS_PATH = os.path.dirname(os.path.dirname(os.path.dirname(COLLECTION_ROOT)))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)
if COLLECTION_ROOT.endswith(os.path.join("ansible_collections", "macfleet", "credsync")) and COLLECTIONS_PATH not in sys.path:
    sys.path.insert(0, COLLECTIONS_PATH)

import macsim  # noqa: E402  pylint: disable=wrong-import-position


class ToolResult(object):
    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout.decode("utf-8", "replace")
        self.stderr = proc.stderr.decode("utf-8", "replace")

    def __repr__(self):
        return "ToolResult(rc=%r, stdout=%r, stderr=%r)" % (self.rc, self.stdout, self.stderr)


def run_tool(host, tool, *args, **kwargs):
    """Run a simulated tool as a module would: its own session (no tty), stdin piped."""
    data = kwargs.pop("input", None)
    if isinstance(data, str):
        data = data.encode("utf-8")
    new_session = kwargs.pop("new_session", True)
    assert not kwargs, kwargs
    proc = subprocess.run([os.path.join(host.bin, tool)] + list(args), input=data,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          start_new_session=new_session, timeout=60, check=False,
                          stdin=None if data is not None else subprocess.DEVNULL)
    return ToolResult(proc)


CALLBACK_DIR = os.path.join(TESTS_DIR, "integration", "callback_plugins")


def ansible_env(work):
    """The environment of the tests' ansible-playbook runs: the collection from this tree, no user configuration,
    temporary directories under `work`, the results callback writing WORK/results.json, no colour."""
    env = dict(os.environ)
    env.pop("ANSIBLE_CONFIG", None)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS_PATH,
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
        "ANSIBLE_CALLBACK_PLUGINS": CALLBACK_DIR,
        "ANSIBLE_CALLBACKS_ENABLED": "credsync_test_results",
        "CREDSYNC_TEST_RESULTS": str(work / "results.json"),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_LOCAL_TEMP": str(work / "tmp" / "local"),
        "ANSIBLE_REMOTE_TEMP": str(work / "tmp" / "remote"),
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    })
    return env


def in_collection_tree():
    return COLLECTION_ROOT.endswith(os.path.join("ansible_collections", "macfleet", "credsync"))


def skip_outside_collection_tree():
    """Skip the test unless Ansible can load the collection from where it is (scripts/test.sh places it so)."""
    if not in_collection_tree():
        pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)")


def run_on_python39(script, env=None, timeout=120):
    """Run `script` (Python source) on Python 3.9, with the collection importable."""
    if not in_collection_tree():
        pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)")
    run_env = dict(os.environ if env is None else env)
    run_env["PYTHONPATH"] = COLLECTIONS_PATH
    return subprocess.run([macsim.find_python("3.9"), "-c", script], env=run_env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout, check=False)


# -- the simulated Mac the Mac-side suites start from (macsim's scenario keys: tests/macsim/README.md) ---------------
MAC_USER = "alice"
PREVIOUS_PASSWORD = "Previous-Pass-1"
DIRECTORY_PASSWORD = "Directory-Pass-2"
MAX_FAILED_LOGINS = 3  # the pwpolicy threshold of mac_scenario(lockout=True)


def mac_user(password, **fields):
    """alice in a macsim scenario: every store holds `password`, her login keychain two items.

    fields: other user keys (logged_in, failed_logins, filevault, ...), or ones that replace these (keychain).
    """
    return dict({"name": MAC_USER, "password": password, "keychain": {"password": password, "items": 2}}, **fields)


def mac_scenario(*users, lockout=False, **host):
    """A macsim scenario with `users`; lockout: pwpolicy refuses a user after MAX_FAILED_LOGINS failed logins.

    host: the scenario's other top-level keys (hostname, filevault, console_user, ...).
    """
    scenario = dict(host, users=list(users))
    if lockout:
        scenario["policy"] = {"max_failed_logins": MAX_FAILED_LOGINS}
    return scenario
