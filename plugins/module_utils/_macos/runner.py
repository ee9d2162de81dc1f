# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run the macOS credential tools with secrets on stdin only.

Private to the collection (leading underscore): not a public API.

Why not AnsibleModule.run_command: it cannot start the child in a new session.
The tools that prompt (sysadminctl with '-', diskutil apfs changePassphrase)
read their answers with readpassphrase(3), which uses /dev/tty whenever the
process has a controlling terminal, and then hangs under Ansible's ssh -tt
(ansible/ansible#50524). A child in its own session has no controlling
terminal, so the prompts fall back to stdin, where we feed the secrets.

Runs on the managed Mac: Python 3.9, standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import collections
import os
import plistlib
import subprocess

from .._common.redact import redact

ToolResult = collections.namedtuple("ToolResult", ["argv", "rc", "stdout", "stderr"])


class ToolError(Exception):
    """A tool could not be run, or ran and failed; the message carries no secret."""

    def __init__(self, message, result=None):
        super(ToolError, self).__init__(message)
        self.result = result


class ToolRunner:
    """Starts tools in a new session, feeds stdin, redacts, and keeps secrets off argv.

    search_path: where to find the tools; the PATH of the module's environment
    first, then the system directories where Apple installs them.
    """

    SYSTEM_DIRS = ("/usr/bin", "/usr/sbin", "/bin", "/sbin")

    def __init__(self, secrets=(), timeout=120, search_path=None):
        self._secrets = [s for s in secrets if isinstance(s, str) and s]
        self.timeout = timeout
        if search_path is None:
            search_path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p]
            search_path += [d for d in self.SYSTEM_DIRS if d not in search_path]
        self.search_path = search_path
        self._paths = {}

    def add_secret(self, secret):
        if isinstance(secret, str) and secret and secret not in self._secrets:
            self._secrets.append(secret)

    def redact(self, text):
        return redact(text, self._secrets)

    def which(self, tool):
        if tool not in self._paths:
            for directory in self.search_path:
                candidate = os.path.join(directory, tool)
                if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                    self._paths[tool] = candidate
                    break
            else:
                raise ToolError("%s not found in %s: is this a Mac?" % (tool, os.pathsep.join(self.search_path)))
        return self._paths[tool]

    def run(self, tool, args, stdin=None, check=False):
        """Run `tool args...`; stdin is text (secrets go there, never in args)."""
        argv = [self.which(tool)] + list(args)
        for arg in argv:
            for secret in self._secrets:
                if secret in arg:
                    # Defence in depth: a bug that would expose a secret in `ps` stops here.
                    raise ToolError("refusing to run %s: a secret would appear on its command line" % tool)
        env = dict(os.environ, LANG="C", LC_ALL="C")
        try:
            # Not run_command: only Popen can start the child in its own session (see above).
            proc = subprocess.Popen(  # pylint: disable=ansible-bad-function
                argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, close_fds=True,
                start_new_session=True)
        except OSError as exc:
            raise ToolError("cannot run %s: %s" % (tool, exc))
        try:
            out, err = proc.communicate(stdin.encode("utf-8") if stdin is not None else None, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise ToolError("%s did not finish within %ss (waiting for a prompt?)" % (tool, self.timeout))
        result = ToolResult(argv, proc.returncode, self.redact(out.decode("utf-8", "replace")),
                            self.redact(err.decode("utf-8", "replace")))
        if check and result.rc != 0:
            raise ToolError(self.describe_failure(result), result)
        return result

    def plist(self, result):
        """The tool's -plist output as a dict; a ToolError (not a traceback) when it is not one."""
        try:
            data = plistlib.loads(result.stdout.encode("utf-8"))
        except Exception:  # pylint: disable=broad-except
            data = None  # plistlib raises several kinds (expat, binascii, InvalidFileException)
        if not isinstance(data, dict):
            raise ToolError("%s printed no readable property list (exit %s)" % (
                os.path.basename(result.argv[0]), result.rc), result)
        return data

    def describe_failure(self, result):
        detail = (result.stderr.strip() or result.stdout.strip() or "no output").splitlines()[-1]
        return "%s exited %s: %s" % (os.path.basename(result.argv[0]), result.rc, detail)
