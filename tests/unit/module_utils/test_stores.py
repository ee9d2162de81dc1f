"""_macos stores on Python 3.9 against macsim: awkward passwords, lock-state care, parsing."""

import json
import textwrap

import pytest

from credsync_testlib import in_collection_tree, run_on_python39

TRICKY = "sp ace 'single' \"double\" back\\slash $HOME `tick` ;|&* ünï"
PRELUDE = """
import json, sys
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.runner import ToolRunner
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.account import Account
from ansible_collections.macfleet.credsync.plugins.module_utils._macos import stores
"""


def _py39(host, body, **values):
    script = PRELUDE + "".join("%s = %s\n" % (k, json.dumps(v)) for k, v in values.items()) + textwrap.dedent(body)
    proc = run_on_python39(script, env=host.env())
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


@pytest.mark.parametrize("new", [TRICKY, "plain-Pass-2", "-leading-dash", "x" * 120])
def test_change_with_any_characters_through_dscl_interactive(make_host, new):
    host = make_host({"users": [{"name": "alice", "password": "Old-Pass-1"}]})
    out = _py39(host, """
        runner = ToolRunner(secrets=[OLD, NEW])
        login = stores.LocalLogin(runner, Account(runner, "alice"))
        login.change(OLD, NEW)
        print(json.dumps(login.state(NEW, OLD)))
    """, OLD="Old-Pass-1", NEW=new)
    assert out == "in_sync"
    assert host.login_ok("alice", new) and host.filevault_ok("alice", new)
    assert all(new not in json.dumps(r["argv"]) for r in host.audit())


def test_keychain_state_restores_an_unlocked_keychain(make_host):
    host = make_host({"users": [{"name": "alice", "password": "P-1", "keychain": {"password": "P-1", "locked": False}}]})
    out = _py39(host, """
        runner = ToolRunner(secrets=["P-1"])
        keychain = stores.LoginKeychain(runner, Account(runner, "alice"))
        print(json.dumps([keychain.state("wrong-first", "P-1"), keychain.unlocked()]))
    """)
    assert out == ["previous", True]


def test_keychain_state_leaves_a_locked_keychain_locked(make_host):
    host = make_host({"users": [{"name": "alice", "password": "P-1", "keychain": {"password": "P-1"}}]})
    out = _py39(host, """
        runner = ToolRunner()
        keychain = stores.LoginKeychain(runner, Account(runner, "alice"))
        print(json.dumps(keychain.state("P-1", None)))
    """)
    assert out == "in_sync" and host.keychain_locked("alice")


def test_move_aside_never_deletes(make_host):
    host = make_host({"users": [{"name": "alice", "password": "P-1", "keychain": {"password": "K-9", "items": 4}}]})
    out = _py39(host, """
        runner = ToolRunner()
        keychain = stores.LoginKeychain(runner, Account(runner, "alice"))
        keychain.state("P-1", None)
        moved = keychain.move_aside()
        keychain.create("P-1")
        print(json.dumps([moved, keychain.verify("P-1")]))
    """)
    moved, ok = out
    assert ok and moved.endswith(".keychain-db") and "login_replaced_" in moved
    assert host.keychain_ok("alice", "K-9", path=moved) and host.keychain_ok("alice", "P-1")
    assert len(host.keychain_items("alice")) == 4


def test_preboot_staleness_follows_the_password_change(make_host, run):
    host = make_host({"users": [{"name": "alice", "password": "P-1"}]})
    body = """
        runner = ToolRunner()
        print(json.dumps(stores.Preboot(runner).state(Account(runner, "alice"))))
    """
    assert _py39(host, body) == "in_sync"
    run(host, "dscl", "-q", ".", input="passwd /Users/alice P-1 P-2\n")
    assert _py39(host, body) == "stale"
    run(host, "diskutil", "apfs", "updatePreboot", "/")
    assert _py39(host, body) == "in_sync"


def test_parse_dscl_read():
    if not in_collection_tree():
        pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)")
    from ansible_collections.macfleet.credsync.plugins.module_utils._macos.account import parse_dscl_read
    text = ("dsAttrTypeNative:accountPolicyData:\n<?xml version=\"1.0\"?>\n<plist>\n\t<dict/>\n</plist>\n"
            "AuthenticationAuthority: ;ShadowHash;HASHLIST:<X> ;SecureToken;\nRealName:\n Alice Smith\nUniqueID: 501\n")
    parsed = parse_dscl_read(text)
    assert parsed["AuthenticationAuthority"] == [";ShadowHash;HASHLIST:<X>", ";SecureToken;"]
    assert parsed["RealName"] == ["Alice Smith"] and parsed["UniqueID"] == ["501"]
    assert parsed["accountPolicyData"][0].startswith("<?xml")
