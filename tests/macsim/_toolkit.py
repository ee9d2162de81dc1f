"""What every simulated tool shares: argv, stdin, prompts, faults, audit.

A tool module exposes ``main(ctx)`` returning an exit code. Around it the
runner holds the host lock, counts the call, applies injected faults, and
writes one audit record with argv and a SHA-256 of the stdin bytes the tool
was given (never the text).
"""

import datetime
import hashlib
import os
import select
import signal
import sys

from ._state import HostState

# Exit code of a macsim refusal that a real Mac would turn into a hang.
EXIT_WOULD_HANG = 124


class ToolExit(Exception):
    """Raised to end a tool call with an exit code (output already written)."""

    def __init__(self, code):
        super(ToolExit, self).__init__(code)
        self.code = code


class ToolContext(object):
    def __init__(self, host_root, tool, argv, stdin=None, stdout=None, stderr=None):
        self.host = HostState(host_root)
        self.tool = tool
        self.argv = list(argv)
        self._stdin = stdin if stdin is not None else sys.stdin.buffer
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr
        self._consumed = bytearray()
        self._commands = []
        self._die_armed = None
        self._wrote = False
        self.fault = None

    # -- output ------------------------------------------------------------
    def out(self, text=""):
        self.stdout.write(text + "\n")

    def err(self, text=""):
        self.stderr.write(text + "\n")

    def nslog(self, message):
        """sysadminctl style: 'YYYY-MM-DD HH:MM:SS.mmm tool[pid:tid] message' on stderr."""
        now = datetime.datetime.now()
        stamp = now.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (now.microsecond // 1000)
        pid = os.getpid()
        self.err("%s %s[%d:%d] %s" % (stamp, self.tool, pid, pid * 7 + 3, message))

    # -- stdin and prompts -----------------------------------------------------
    def readline(self):
        """One line of stdin without its newline; None at end of input.

        The tools keep what they read as a C string: a NUL ends it there, and the rest of the line is lost
        (what a tool then stores is not what was sent).
        """
        line = self._stdin.readline()
        if not line:
            return None
        self._consumed.extend(line)
        return line.split(b"\0", 1)[0].decode("utf-8", "surrogateescape").rstrip("\n").rstrip("\r")

    def read_all(self):
        data = self._stdin.read()
        self._consumed.extend(data)
        return data

    def prompt_secret(self, prompt):
        """Emulate readpassphrase(3): /dev/tty first, stdin only without a terminal.

        With a controlling terminal the real tool blocks on /dev/tty (the hang of
        ansible/ansible#50524). A stand-in that hung would stall the test suite,
        so macsim refuses loudly instead: the caller must start the tool in a
        new session (setsid) to have its prompts answered on stdin.
        """
        if _has_controlling_terminal():
            self.err("macsim: %s prompted %r with a controlling terminal attached: the real "
                     "tool reads /dev/tty here and hangs; start it in a new session"
                     % (self.tool, prompt.strip()))
            raise ToolExit(EXIT_WOULD_HANG)
        self.stderr.write(prompt)
        self.stderr.flush()
        line = self.readline()
        if line is None:
            self.stderr.write("\n")
        return line

    # -- commands, faults and write steps -------------------------------------------
    def begin(self, command, kind):
        """Declare one logical command ('read' or 'write'); injected faults fire here."""
        self._commands.append({"name": command, "kind": kind})
        for fault in self.host.data.get("faults", []):
            if fault.get("fired") or not _fault_matches(fault, self.tool, command, kind):
                continue
            fault["seen"] = fault.get("seen", 0) + 1
            self.host.mark()
            if fault["seen"] < fault.get("nth", 1):
                continue
            fault["fired"] = True
            self.fault = {"mode": fault["mode"], "command": command}
            if fault["mode"] == "fail":
                self.err(fault.get("message", "macsim: injected failure in %s %s" % (self.tool, command)))
                raise ToolExit(fault.get("exit", 1))
            if fault["mode"] == "die":
                self._die_armed = fault
                if kind != "write":
                    self._die()
            else:
                raise ValueError("unknown fault mode %r" % fault["mode"])

    def steps(self, *steps):
        """Run the steps of one write; an armed 'die' fault kills the process half-way."""
        die_at = None
        if self._die_armed is not None:
            die_at = self._die_armed.get("after_steps", len(steps) // 2)
        for index, step in enumerate(steps):
            if die_at is not None and index == die_at:
                self._die()
            step()
        if die_at is not None:
            self._die()

    def _die(self):
        """Persist what was done so far, log the call as killed, then SIGKILL ourselves."""
        self.finish(-signal.SIGKILL)
        self.stdout.flush()
        self.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    def finish(self, code):
        self._drain_stdin()
        kinds = set(c["kind"] for c in self._commands)
        record = {
            "tool": self.tool,
            "argv": self.argv,
            "stdin": _stdin_record(self._consumed),
            "commands": self._commands,
            "kind": "write" if "write" in kinds else "read",
            "mutated": self._wrote,
            "exit": code,
            "fault": self.fault,
        }
        self.host.append_audit(record)
        self.host.save()

    def wrote(self):
        """Record that this call changed a store (state or a keychain file)."""
        self._wrote = True
        self.host.mark()

    def _drain_stdin(self):
        """Record stdin the caller sent but the tool did not read (to hash it too)."""
        try:
            fd = self._stdin.fileno()
        except (AttributeError, OSError, ValueError):
            data = self._stdin.read() if hasattr(self._stdin, "read") else b""
            self._consumed.extend(data or b"")
            return
        if os.isatty(fd):
            return
        while True:
            ready = select.select([fd], [], [], 0)[0]
            if not ready:
                return
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            self._consumed.extend(chunk)


def _fault_matches(fault, tool, command, kind):
    if fault.get("tool", "*") not in ("*", tool):
        return False
    if fault.get("command") and fault["command"] != command:
        return False
    return fault.get("kind", "any") in ("any", kind)


def _stdin_record(consumed):
    if not consumed:
        return None
    return {"bytes": len(consumed), "sha256": hashlib.sha256(bytes(consumed)).hexdigest()}


def _has_controlling_terminal():
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


def run_tool(host_root, tool, argv, main):
    """Run one tool call under the host lock; returns the exit code."""
    ctx = ToolContext(host_root, tool, argv)
    with ctx.host.locked():
        try:
            code = main(ctx)
        except ToolExit as exc:
            code = exc.code
        ctx.stdout.flush()
        ctx.stderr.flush()
        ctx.finish(code)
    return code
