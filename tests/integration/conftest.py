"""Run Ansible against simulated Macs (macsim): the `ansible` fixture.

    result = ansible(hosts, "macfleet.credsync.macos_password_sync", {"user": "alice", "password": pw},
                     check=True, diff=True, verbosity=3)
    result.rc, result.results["host1"], result.output

Every module option goes to a vars file read with `-e @FILE` and reaches the task through a template,
so no value (a password above all) is on ansible-playbook's argv or in the playbook. The inventory is
macsim's: local connection, the host's own bin/python3 (Python 3.9, like /usr/bin/python3 on a Mac)
set as interpreter. `args` may also map host names to per-host options.
"""

import importlib.util
import json
import os
import subprocess
import sys

import pytest


def _root_conftest():
    """tests/conftest.py as a module of its own name.

    conftest.py files outside packages all import as `conftest`; pytest drops the previous one from
    sys.modules before loading the next, so once this file is loaded `from conftest import X` in any test
    module gets *this* module. Load the root one under another name and re-export its helpers below.
    """
    name = "credsync_tests_conftest"
    if name not in sys.modules:
        path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "conftest.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_ROOT = _root_conftest()
# Re-exported for `from conftest import ...` in test modules (the fixtures stay the root's).
TESTS_DIR = _ROOT.TESTS_DIR
COLLECTION_ROOT = _ROOT.COLLECTION_ROOT
COLLECTIONS_PATH = _ROOT.COLLECTIONS_PATH
ToolResult = _ROOT.ToolResult
run_tool = _ROOT.run_tool
in_collection_tree = _ROOT.in_collection_tree
run_on_python39 = _ROOT.run_on_python39

from macsim.__main__ import write_inventory  # noqa: E402  pylint: disable=wrong-import-position

BIN = os.path.dirname(sys.executable)
RESULT_STATUSES = ("ok", "changed", "failed", "fatal", "skipping", "unreachable")


class AnsibleRun:
    """One ansible-playbook run: return code, per-host task results, raw output."""

    def __init__(self, argv, proc, results, stats):
        self.argv = argv
        self.rc = proc.returncode
        self.output = proc.stdout
        self.stderr = proc.stderr
        self.results = results
        self.stats = stats

    def __getitem__(self, host_name):
        return self.results[host_name]

    def __repr__(self):
        return "AnsibleRun(rc=%r, results=%s, stderr=%r)" % (self.rc, json.dumps(self.results, indent=1, sort_keys=True),
                                                             self.stderr[-3000:])


def _playbook(module, option_names):
    """One play, one task; each option templated from the vars file (omitted when a host lacks it)."""
    lines = ["---", "- name: Run %s" % module, "  hosts: all", "  gather_facts: false", "  tasks:",
             "    - name: Call %s" % module, "      %s:" % module]
    for name in option_names:
        lines.append("        %s: \"{{ credsync_test_args[inventory_hostname]['%s'] | default(omit) }}\"" % (name, name))
    lines.append("      register: credsync_test_result")
    return "\n".join(lines) + "\n"


def _json_document(text):
    """The json callback's document: the last line that is exactly '{' starts it (-v output may precede it)."""
    lines = text.splitlines(True)
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].rstrip("\r\n") == "{":
            return json.loads("".join(lines[index:]))
    raise AssertionError("no JSON document in ansible-playbook output:\n%s" % text[-3000:])


def _json_results(document):
    results = {}
    for play in document.get("plays", []):
        for task in play.get("tasks", []):
            results.update(task.get("hosts", {}))
    return results, document.get("stats", {})


def _default_results(text):
    """With the default callback (ANSIBLE_CALLBACK_RESULT_FORMAT=json): 'STATUS: [host] => {...}' blocks."""
    decoder = json.JSONDecoder()
    results = {}
    for line_start, line in _iter_lines(text):
        for status in RESULT_STATUSES:
            if not line.startswith(status + ": ["):
                continue
            host_name = line[len(status) + 3:line.index("]")]
            brace = text.find("{", line_start)
            if brace < 0 or brace > line_start + len(line):
                continue
            results[host_name], _end = decoder.raw_decode(text, brace)
    return results


def _iter_lines(text):
    start = 0
    for line in text.splitlines(True):
        yield start, line
        start += len(line)


@pytest.fixture
def ansible(tmp_path):
    """ansible(hosts, module, args, check=False, diff=False, verbosity=0) -> AnsibleRun.

    hosts: macsim Host objects (one play over all, forks = number of hosts). args: the module's options,
    the same for every host, or {host_name: options}. verbosity > 0 uses the default callback (what an
    operator sees with -vvv; results parsed from its JSON blocks); otherwise the json callback.
    """
    if not in_collection_tree():
        pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)")
    counter = [0]

    def _run(hosts, module, args=None, check=False, diff=False, verbosity=0, timeout=300):
        counter[0] += 1
        work = tmp_path / ("ansible-run-%d" % counter[0])
        (work / "tmp").mkdir(parents=True)
        names = [host.name for host in hosts]
        assert len(set(names)) == len(names), "host names must be unique: %s" % names
        args = args or {}
        per_host = args if args and set(args) <= set(names) else {name: args for name in names}
        write_inventory(str(work / "inventory.yml"), hosts)
        (work / "vars.json").write_text(json.dumps({"credsync_test_args": per_host}))
        option_names = sorted(set(option for options in per_host.values() for option in options))
        (work / "playbook.yml").write_text(_playbook(module, option_names))
        env = dict(os.environ)
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS_PATH,
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default" if verbosity else "ansible.builtin.json",
            "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
            "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_LOCAL_TEMP": str(work / "tmp" / "local"),
            "ANSIBLE_REMOTE_TEMP": str(work / "tmp" / "remote"),
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
        })
        env.pop("ANSIBLE_CONFIG", None)
        argv = [os.path.join(BIN, "ansible-playbook"), "-i", str(work / "inventory.yml"), "-e", "@" + str(work / "vars.json"),
                "-f", str(max(1, min(len(hosts), 20)))]
        argv += ["--check"] if check else []
        argv += ["--diff"] if diff else []
        argv += ["-" + "v" * verbosity] if verbosity else []
        argv.append(str(work / "playbook.yml"))
        proc = subprocess.run(argv, cwd=str(work), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=timeout, check=False)
        if verbosity:
            results, stats = _default_results(proc.stdout), {}
        else:
            results, stats = _json_results(_json_document(proc.stdout))
        missing = sorted(set(names) - set(results))
        assert not missing, "no result for %s:\n%s\n%s" % (missing, proc.stdout[-3000:], proc.stderr[-3000:])
        return AnsibleRun(argv, proc, results, stats)

    return _run
