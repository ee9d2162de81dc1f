"""Shared by the benchmark scripts: run a playbook from the venv, time it, find the stand-ins."""

import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION_ROOT = os.path.dirname(HERE)
TESTS = os.path.join(COLLECTION_ROOT, "tests")
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)
BIN = os.path.dirname(sys.executable)

import fleetsim  # noqa: E402  pylint: disable=wrong-import-position  # from TESTS, put on the path above


def collections_path():
    """The directory above ansible_collections (scripts/bench.sh runs us from the placed copy)."""
    path = os.path.dirname(os.path.dirname(os.path.dirname(COLLECTION_ROOT)))
    if not COLLECTION_ROOT.endswith(os.path.join("ansible_collections", "macfleet", "credsync")):
        raise SystemExit("run through scripts/bench.sh (the collection must sit at ansible_collections/macfleet/credsync)")
    return path


def write(path, text):
    with open(path, "w") as handle:
        handle.write(text)
    return path


def controller_inventory(workdir):
    return write(os.path.join(workdir, "inventory.yml"), "all:\n  hosts:\n    controller:\n      ansible_connection: local\n"
                 "      ansible_python_interpreter: %s\n" % json.dumps(sys.executable))


def run_playbook(workdir, inventory, playbook_text, variables, forks=5, vars_files=()):
    """ansible-playbook with variables from files; returns (seconds, CompletedProcess).

    In a session of its own: with no controlling terminal, tools read prompted secrets from standard input."""
    playbook = write(os.path.join(workdir, "playbook.yml"), playbook_text)
    varsfile = write(os.path.join(workdir, "vars.json"), fleetsim.untemplated_json(variables))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_HOST_KEY_CHECKING="False",
               ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "tmp"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORKS=str(forks))
    argv = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, "-e", "@" + varsfile]
    for path in vars_files:
        argv += ["-e", "@" + path]
    started = time.monotonic()
    proc = subprocess.run(argv + [playbook], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False,
                          stdin=subprocess.DEVNULL, start_new_session=True)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout.decode()[-4000:])
        raise SystemExit("ansible-playbook failed (rc %d)" % proc.returncode)
    return elapsed, proc


# Appended to a list-form play whose task ends with no_log: a user the module reports failed (in a 429 storm, one
# whose calls were all refused, retries spent) is a result, not a crash, and is named (never a password).
NAME_FAILED = """      register: credsync_bench_reset
      failed_when: credsync_bench_reset.results is not defined
    - name: Name the users reported failed
      ansible.builtin.debug:
        msg: "credsync-bench-failed={{ credsync_bench_reset.results | selectattr('failed') | map(attribute='user')
              | join(',') }}="
"""


def failed_users(proc):
    """The users a NAME_FAILED play reported failed."""
    found = re.search(r"credsync-bench-failed=([^=]*)=", proc.stdout.decode())
    return set(filter(None, found.group(1).split(","))) if found else set()


def reset_entries(names, round_no):
    """One {user, password} per name, a password per round that every directory's default policy accepts."""
    return [{"user": name, "password": "Reset-%d-%06d-Aa9!" % (round_no, index)} for index, name in enumerate(names)]
