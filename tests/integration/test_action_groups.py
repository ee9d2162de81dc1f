"""meta/runtime.yml's action groups: module_defaults for group/macfleet.credsync.jumpcloud and
group/macfleet.credsync.directory give the connection options once, for every module of the group."""

import json
import os
import subprocess
import sys

import pytest
import yaml

import jcsim
from credsync_testlib import COLLECTION_ROOT, COLLECTIONS_PATH, in_collection_tree

BIN = os.path.dirname(sys.executable)

pytestmark = pytest.mark.skipif(not in_collection_tree(),
                                reason="needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)")

PLAYBOOK = """---
- name: Directory modules with the connection given once
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/macfleet.credsync.{group}:
      base_url: "{{{{ jc_url }}}}"
      api_key: "{{{{ jc_key }}}}"
  tasks:
    - name: Read alice
      macfleet.credsync.directory_user_info:
        user: alice
      register: alice

    - name: Unlock bob
      macfleet.credsync.directory_unlock:
        users: [bob]
      register: bob

    - name: Keep what the checks need
      ansible.builtin.copy:
        content: "{{{{ {{'alice': alice.users[0].username, 'bob': bob.results[0].changed}} | to_json }}}}"
        dest: "{{{{ out }}}}"
        mode: "0600"
"""


def test_groups_list_the_modules_that_exist():
    runtime = yaml.safe_load(open(os.path.join(COLLECTION_ROOT, "meta", "runtime.yml")))
    groups = runtime["action_groups"]
    modules = {name[:-3] for name in os.listdir(os.path.join(COLLECTION_ROOT, "plugins", "modules"))}
    assert set(groups) == {"jumpcloud", "directory"}
    assert set(groups["jumpcloud"]) <= modules and set(groups["directory"]) <= modules
    assert {"directory_password", "directory_unlock", "directory_user_info"} <= set(groups["directory"])
    assert "mdm_profile" in groups["jumpcloud"] and "mdm_profile" not in groups["directory"]


@pytest.mark.parametrize("group", ["jumpcloud", "directory"])
def test_module_defaults_group_sets_the_connection(tmp_path, group):
    with jcsim.JumpCloudSim() as sim:
        sim.add_user("alice")
        bob = sim.add_user("bob")
        sim.set_user_fields(bob, account_locked=True)
        playbook = tmp_path / "play.yml"
        playbook.write_text(PLAYBOOK.format(group=group))
        variables = tmp_path / "vars.json"
        variables.write_text(json.dumps({"jc_url": sim.url, "jc_key": sim.api_key, "out": str(tmp_path / "out.json")}))
        variables.chmod(0o600)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, ANSIBLE_NOCOLOR="1",
                   ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"))
        env.pop("ANSIBLE_CONFIG", None)
        proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                               "-e", "ansible_python_interpreter=%s" % sys.executable, "-e", "@%s" % variables,
                               str(playbook)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=300, check=False, cwd=str(tmp_path))
        assert proc.returncode == 0, proc.stdout[-3000:]
        assert json.loads((tmp_path / "out.json").read_text()) == {"alice": "alice", "bob": True}
        assert sim.user_state(bob)["account_locked"] is False
        assert sim.api_key not in proc.stdout
        assert sim.internal_errors == []
