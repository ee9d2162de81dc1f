# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Whether a user has a GUI login session on this Mac (read only).

Two sources, both documented in docs/macos-sessions.md:

* `scutil` with `show State:/Users/ConsoleUser` on stdin prints the dynamic store key loginwindow keeps:
  `Name`/`UID` of the console user (`Name : loginwindow` while nobody is logged in at the console) and a
  `SessionInfo` array with one dictionary per GUI session, on the console or switched out by fast user
  switching (`kCGSSessionUserNameKey`, `kCGSSessionUserIDKey`, `kCGSSessionOnConsoleKey`). When the key does
  not exist scutil prints `  No such key`.
* the owner of /dev/console: the console user, root at the login window.

A user counts as logged in when either source says so: a wrong "logged out" could move aside a keychain a live
session holds, a wrong "logged in" only leaves the keychain for the login dialog. Private to the collection;
Python 3.9, standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import os
import re

from .runner import ToolError

# The console device. An environment variable can name another path (a stand-in Mac in tests points it at a file
# it owns); on a Mac nobody sets it and /dev/console is read.
CONSOLE_ENV = "MACFLEET_CREDSYNC_CONSOLE"
CONSOLE = "/dev/console"
LOGINWINDOW = "loginwindow"

_ENTRY = re.compile(r"^\s*([A-Za-z][\w]*) : (.*?)\s*$")


def parse_console_user(text):
    """scutil's `show State:/Users/ConsoleUser` output -> (console name or None, [(name, uid) of every session]).

    Only the keys named above are read; nested dictionaries are told apart by the key names themselves
    (kCGSSession* only appear inside SessionInfo)."""
    console = None
    sessions = []
    current = {}
    for line in text.splitlines():
        match = _ENTRY.match(line)
        if not match:
            if line.strip() == "}" and current:
                sessions.append((current.get("kCGSSessionUserNameKey"), current.get("kCGSSessionUserIDKey")))
                current = {}
            continue
        key, value = match.groups()
        if key == "Name" and line.startswith("  Name"):
            console = value
        elif key.startswith("kCGSSession"):
            current[key] = value
    if current:
        sessions.append((current.get("kCGSSessionUserNameKey"), current.get("kCGSSessionUserIDKey")))
    if console == LOGINWINDOW:
        console = None
    return console, sessions


class Sessions:
    """The GUI sessions of this Mac as loginwindow publishes them, and the console's owner."""

    def __init__(self, runner, console_path=None):
        self.runner = runner
        self.console_path = console_path or os.environ.get(CONSOLE_ENV) or CONSOLE
        self._read = None

    def _scutil(self):
        if self._read is None:
            result = self.runner.run("scutil", [], stdin="show State:/Users/ConsoleUser\n")
            if result.rc != 0:
                raise ToolError(self.runner.describe_failure(result), result)
            self._read = parse_console_user(result.stdout)
        return self._read

    def console_user(self):
        """The short name of the user at the console, None at the login window."""
        return self._scutil()[0]

    def console_owner_uid(self):
        try:
            return os.stat(self.console_path).st_uid
        except OSError:
            return None

    def logged_in(self, account):
        """Whether `account` has a GUI session: at the console, switched out, or owning the console device."""
        console, sessions = self._scutil()
        if console == account.name:
            return True
        for name, uid in sessions:
            if name == account.name or (uid is not None and uid == str(account.uid)):
                return True
        return self.console_owner_uid() == account.uid and account.uid != 0
