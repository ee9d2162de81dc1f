"""_macos.runner on Python 3.9 (the Mac's interpreter) against macsim hosts."""

import json
import os
import pty
import select
import textwrap

import pytest

from credsync_testlib import in_collection_tree, run_on_python39

SCENARIO = {"users": [{"name": "alice", "password": "Alice-Pass-1"}]}
SVC = "Svc-Acct-Pass-1"

PRELUDE = """
import json, sys
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.runner import ToolRunner, ToolError
"""


def _py39(host, body):
    proc = run_on_python39(PRELUDE + textwrap.dedent(body), env=host.env())
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def test_secret_on_stdin_never_on_argv(make_host):
    host = make_host(SCENARIO)
    out = _py39(host, """
        r = ToolRunner(secrets=["Alice-Pass-1"])
        res = r.run("dscl", ["-q", "."], stdin="authonly alice 'Alice-Pass-1'\\n")
        print(json.dumps([res.rc, res.stdout, sys.version_info[:2]]))
    """)
    assert out == [0, "", [3, 9]]
    raw = open(os.path.join(host.root, "audit.jsonl")).read()
    assert "Alice-Pass-1" not in raw and '"sha256"' in raw


def test_refuses_a_secret_on_argv(make_host):
    host = make_host(SCENARIO)
    out = _py39(host, """
        r = ToolRunner(secrets=["Alice-Pass-1"])
        try:
            r.run("dscl", [".", "-authonly", "alice", "Alice-Pass-1"])
            print(json.dumps("ran"))
        except ToolError as exc:
            print(json.dumps(str(exc)))
    """)
    assert "secret would appear on its command line" in out
    assert host.audit() == []


def test_output_is_redacted(make_host):
    host = make_host(SCENARIO)
    out = _py39(host, """
        r = ToolRunner(secrets=["501"])
        res = r.run("dscl", [".", "-read", "/Users/alice", "UniqueID"])
        print(json.dumps(res.stdout))
    """)
    assert out == "UniqueID: ********\n"


def test_prompts_answered_on_stdin_even_under_a_controlling_terminal(make_host):
    """Under ssh -tt the module has a terminal; the runner's new session avoids the hang."""
    if not in_collection_tree():
        pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)")
    host = make_host(SCENARIO)
    script = PRELUDE + textwrap.dedent("""
        import os
        assert os.open("/dev/tty", os.O_RDWR) >= 0  # we do have a controlling terminal
        r = ToolRunner(secrets=["Alice-New-2", "%s"], timeout=30)
        res = r.run("sysadminctl", ["-resetPasswordFor", "alice", "-newPassword", "-",
                                    "-adminUser", "_jumpcloudserviceaccount", "-adminPassword", "-"],
                    stdin="Alice-New-2\\n%s\\n")
        print("RESULT", json.dumps([res.rc, res.stderr]))
    """ % (SVC, SVC))
    from credsync_testlib import COLLECTIONS_PATH
    import macsim
    env = host.env()
    env["PYTHONPATH"] = COLLECTIONS_PATH
    pid, fd = pty.fork()
    if pid == 0:  # child: pty.fork made the pty its controlling terminal
        os.execve(macsim.find_python("3.9"), ["python3.9", "-c", script], env)
    output = b""
    while True:
        ready = select.select([fd], [], [], 60)[0]
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.waitpid(pid, 0)
    text = output.decode()
    assert "RESULT" in text, text
    assert host.login_ok("alice", "Alice-New-2")
    assert "Alice-New-2" not in text and SVC not in text


def test_missing_tool_is_a_clear_error(make_host):
    host = make_host(SCENARIO)
    out = _py39(host, """
        r = ToolRunner(search_path=["/nonexistent"])
        try:
            r.run("dscl", ["."])
        except ToolError as exc:
            print(json.dumps(str(exc)))
    """)
    assert out.startswith("dscl not found in /nonexistent")
