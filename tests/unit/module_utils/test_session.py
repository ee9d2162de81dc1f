"""_macos.session: who is logged in, from scutil's State:/Users/ConsoleUser and the console device's owner."""

import json
import textwrap

import pytest

from credsync_testlib import in_collection_tree, run_on_python39

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)",
                allow_module_level=True)

# pylint: disable=wrong-import-position
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.session import parse_console_user

# The shape loginwindow publishes (docs/macos-sessions.md): console user, then one dictionary per GUI session.
AT_CONSOLE = """<dictionary> {
  GID : 20
  Name : alice
  SessionInfo : <array> {
    0 : <dictionary> {
      kCGSSessionAuditIDKey : 100501
      kCGSSessionGroupIDKey : 20
      kCGSSessionIDKey : 257
      kCGSSessionLoginwindowSafeLogin : FALSE
      kCGSSessionOnConsoleKey : TRUE
      kCGSSessionSystemSafeBoot : FALSE
      kCGSSessionUserIDKey : 501
      kCGSSessionUserNameKey : alice
      kCGSessionLoginDoneKey : TRUE
    }
    1 : <dictionary> {
      kCGSSessionOnConsoleKey : FALSE
      kCGSSessionUserIDKey : 502
      kCGSSessionUserNameKey : bob
    }
  }
  UID : 501
}
"""
LOGIN_WINDOW = """<dictionary> {
  GID : 0
  Name : loginwindow
  UID : 0
}
"""


def test_console_user_and_every_session():
    assert parse_console_user(AT_CONSOLE) == ("alice", [("alice", "501"), ("bob", "502")])


def test_login_window_is_nobody():
    assert parse_console_user(LOGIN_WINDOW) == (None, [])
    assert parse_console_user("  No such key\n") == (None, [])


def test_switched_out_user_counts_as_logged_in(make_host):
    """Fast user switching: bob at the console, alice's session behind it still holds her keychain."""
    users = [{"name": "alice", "password": "P-1", "logged_in": True},
             {"name": "bob", "password": "P-2", "logged_in": True},
             {"name": "carol", "password": "P-3"}]
    host = make_host({"console_user": "bob", "users": users})
    script = textwrap.dedent("""
        import json
        from ansible_collections.macfleet.credsync.plugins.module_utils._macos.runner import ToolRunner
        from ansible_collections.macfleet.credsync.plugins.module_utils._macos.account import Account
        from ansible_collections.macfleet.credsync.plugins.module_utils._macos.session import Sessions
        runner = ToolRunner()
        sessions = Sessions(runner)
        print(json.dumps([sessions.console_user()] + [sessions.logged_in(Account(runner, n)) for n in
                         ("alice", "bob", "carol")]))
    """)
    proc = run_on_python39(script, env=host.env())
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout.decode().strip().splitlines()[-1]) == ["bob", True, True, False]
    assert host.write_calls() == []
