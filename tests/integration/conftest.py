"""Run Ansible against simulated Macs (macsim): the `ansible` and `ansible_module` fixtures.

    run = ansible(hosts, "macfleet.credsync.macos_password_sync", {"user": "alice", "password": pw},
                  check=True, diff=True, verbosity=3)
    run.rc, run[host.name] (the task's result), run.output (what ansible-playbook printed), run.workdir

Every module option goes to a vars file read with `-e @FILE` and reaches the task through a template, so no
value (a password above all) is on ansible-playbook's argv or in the playbook. The inventory is macsim's:
local connection, the host's own bin/python3 (Python 3.9, like /usr/bin/python3 on a Mac) set as interpreter.
`args` are the same for every host, or {host_name: options} for options per host. Results are collected by a
notification callback (callback_plugins/credsync_test_results.py), so stdout stays the default callback's
(what an operator sees, at any verbosity) and can be scanned for secrets.
"""

import json
import os
import subprocess
import sys

import pytest


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from credsync_testlib import ansible_env, in_collection_tree  # noqa: E402  pylint: disable=wrong-import-position

from macsim.__main__ import write_inventory  # noqa: E402  pylint: disable=wrong-import-position

BIN = os.path.dirname(sys.executable)
MAX_FORKS = 20


def _with_status(entry):
    """The task's result; callbacks get a failure as a status, so mark it in the result as ansible's register does."""
    result = dict(entry["result"])
    if entry["status"] in ("failed", "unreachable"):
        result["failed"] = True
    return result


class AnsibleRun:
    """One ansible-playbook run: return code, the task's result and status per host, stats, output (stdout + stderr)."""

    def __init__(self, argv, workdir, proc, report):
        self.argv = argv
        self.workdir = workdir
        self.rc = proc.returncode
        self.output = proc.stdout + proc.stderr
        self.statuses = {host: entries[-1]["status"] for host, entries in report["results"].items()}
        self.results = {host: _with_status(entries[-1]) for host, entries in report["results"].items()}
        self.stats = report["stats"]

    def __getitem__(self, host_name):
        return self.results[host_name]

    def __repr__(self):
        return "AnsibleRun(rc=%r, results=%s, output=...%s)" % (
            self.rc, json.dumps(self.results, indent=1, sort_keys=True), self.output[-3000:])


def _playbook(module, option_names):
    """One play, one task; each option templated from the vars file (omitted when a host lacks it)."""
    lines = ["---", "- name: Run %s" % module, "  hosts: all", "  gather_facts: false", "  tasks:",
             "    - name: Call %s" % module, "      %s:" % module]
    for name in option_names:
        lines.append("        %s: \"{{ credsync_test_args[inventory_hostname]['%s'] | default(omit) }}\"" % (name, name))
    return "\n".join(lines) + "\n"


class AnsiblePlaybook:
    """Calls ansible-playbook with one task over macsim hosts; each call works in a new directory under `parent`."""

    def __init__(self, parent):
        self.parent = parent
        self.count = 0

    def __call__(self, hosts, module, args=None, check=False, diff=False, verbosity=0, timeout=300):
        self.count += 1
        work = self.parent / ("ansible-run-%d" % self.count)
        (work / "tmp").mkdir(parents=True)
        names = [host.name for host in hosts]
        assert len(set(names)) == len(names), "host names must be unique: %s" % names
        args = args or {}
        per_host = args if set(args) and set(args) <= set(names) else {name: args for name in names}
        write_inventory(str(work / "inventory.yml"), hosts)
        (work / "vars.json").write_text(json.dumps({"credsync_test_args": per_host}))
        option_names = sorted(set(option for options in per_host.values() for option in options))
        (work / "playbook.yml").write_text(_playbook(module, option_names))
        argv = [os.path.join(BIN, "ansible-playbook"), "-i", str(work / "inventory.yml"),
                "-e", "@" + str(work / "vars.json"), "-f", str(max(1, min(len(hosts), MAX_FORKS)))]
        argv += ["--check"] if check else []
        argv += ["--diff"] if diff else []
        argv += ["-" + "v" * verbosity] if verbosity else []
        argv.append(str(work / "playbook.yml"))
        proc = subprocess.run(argv, cwd=str(work), env=self._env(work), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=timeout, check=False)
        (work / "output.txt").write_text(proc.stdout + proc.stderr)
        report = work / "results.json"
        assert report.exists(), "ansible-playbook wrote no results (rc %d):\n%s\n%s" % (
            proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
        run = AnsibleRun(argv, work, proc, json.loads(report.read_text()))
        missing = sorted(set(names) - set(run.results))
        assert not missing, "no result for %s: %r" % (missing, run)
        return run

    @staticmethod
    def _env(work):
        return ansible_env(work)


def _skip_outside_collection_tree():
    if not in_collection_tree():
        pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)")


@pytest.fixture
def ansible(tmp_path):
    """ansible(hosts, module, args=None, check=False, diff=False, verbosity=0) -> AnsibleRun."""
    _skip_outside_collection_tree()
    return AnsiblePlaybook(tmp_path)


@pytest.fixture(scope="module")
def ansible_module(tmp_path_factory):
    """The same as `ansible`, for module-scoped fixtures (one fleet, several runs, many tests)."""
    _skip_outside_collection_tree()
    return AnsiblePlaybook(tmp_path_factory.mktemp("ansible"))
