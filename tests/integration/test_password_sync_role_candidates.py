"""The password_sync role with candidate previous passwords: its result says which one opened each store, by position.

The role hands the module password_sync_previous_password (when given) followed by password_sync_previous_passwords,
so the positions it reports count from that combined list (roles/password_sync/README.md). No value is reported.
"""

import json
import os
import subprocess
import sys

from credsync_testlib import ansible_env, mac_scenario, mac_user, skip_outside_collection_tree
from macsim.__main__ import write_inventory

NEW, PREVIOUS, NOT_HERS, HELD = "Directory-Pass-2", "Previous-Pass-1", "Not-Hers-Pass-8", "History-Pass-3"

PLAYBOOK = """---
- name: The password_sync role with a history
  hosts: all
  gather_facts: false
  roles:
    - role: macfleet.credsync.password_sync
      vars:
        password_sync_user: alice
        password_sync_password: "{{ credsync_test['password'] }}"
        password_sync_previous_password: "{{ credsync_test['previous'] }}"
        password_sync_previous_passwords: "{{ credsync_test['history'] }}"
  post_tasks:
    - name: Show the role's result
      ansible.builtin.debug:
        msg: "{{ password_sync_result }}"
"""


def test_role_reports_the_position_of_the_candidate_that_opened_each_store(make_host, tmp_path):
    skip_outside_collection_tree()
    host = make_host(mac_scenario(mac_user(HELD)))
    work = tmp_path / "role"
    (work / "tmp").mkdir(parents=True)
    write_inventory(str(work / "inventory.yml"), [host])
    (work / "vars.json").write_text(json.dumps({"credsync_test": {
        "password": NEW, "previous": PREVIOUS, "history": [NOT_HERS, HELD]}}))
    (work / "playbook.yml").write_text(PLAYBOOK)
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(work / "inventory.yml"),
            "-e", "@" + str(work / "vars.json"), str(work / "playbook.yml")]
    proc = subprocess.run(argv, cwd=str(work), env=ansible_env(work), stdin=subprocess.DEVNULL, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    result = json.loads((work / "results.json").read_text())["results"][host.name][-1]["result"]["msg"]
    assert result["status"] == "done", result
    # previous_password is position 0, the history follows from 1: HELD is position 2 in every store.
    assert result["opened_by_previous"] == {"login": 2, "filevault": 2, "keychain": 2}, result
    assert result["candidates_untried"] == {}
    assert host.login_ok("alice", NEW) and host.keychain_ok("alice", NEW)
    for secret in (NEW, PREVIOUS, NOT_HERS, HELD):
        assert secret not in output and secret not in json.dumps(result)
