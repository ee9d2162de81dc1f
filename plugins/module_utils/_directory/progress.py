# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How far a list-form run has got, written now and then to a file the action plugin reads while the module runs.

A module's output reaches the controller only when it ends, so a run over thousands of users would be silent for
minutes. The file holds counts only (users done, failed so far, the total): never a name, never a secret. It is
replaced whole (written beside it, then renamed), so a reader never sees half of it. Private to the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json
import os
import threading
import time


class ProgressFile:
    """Counts users as they finish; writes {"done", "failed", "total"} at most once per `every` seconds."""

    def __init__(self, path, total, every=1.0, clock=time.monotonic):
        self.path = path
        self.total = total
        self.every = every
        self._clock = clock
        self._lock = threading.Lock()
        self._done = 0
        self._failed = 0
        self._written = None

    def tick(self, failed=False):
        """One more user finished (failed or not)."""
        with self._lock:
            self._done += 1
            self._failed += 1 if failed else 0
            now = self._clock()
            if self._written is None or now - self._written >= self.every:
                self._write(now)

    def close(self):
        with self._lock:
            self._write(self._clock())

    def _write(self, now):
        self._written = now
        partial = "%s.%d.part" % (self.path, os.getpid())
        try:
            with open(partial, "w") as handle:
                json.dump({"done": self._done, "failed": self._failed, "total": self.total}, handle)
            os.replace(partial, self.path)
        except OSError:
            # Progress is a courtesy: a directory gone or full must not fail the resets themselves.
            pass
