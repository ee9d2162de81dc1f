# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shows, on the controller, how far a long list-form directory run has got while its module runs.

The module writes counts to a file (module_utils/_directory/progress.py); a thread here reads it every few seconds
and prints one line when something changed. Counts only: never a name, never a secret. Private to the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json
import threading
import time

# Lists shorter than this finish too soon for a progress line to help.
MIN_USERS = 100
INTERVAL = 10.0


def progress_line(label, counts, seconds):
    done, total, failed = counts.get("done", 0), counts.get("total", 0), counts.get("failed", 0)
    share = " (%d%%)" % (100 * done // total) if total else ""
    rate = done / seconds if seconds > 0 else 0.0
    return "%s: %d of %d users done%s, %.1f users/s, %d failed so far" % (label, done, total, share, rate, failed)


class ProgressWatch:
    """A thread that shows the module's counts (at most once per interval) until stop()."""

    def __init__(self, label, path, show, interval=INTERVAL, clock=time.monotonic):
        self.label = label
        self.path = path
        self.show = show
        self.interval = interval
        self.lines = 0
        self._clock = clock
        self._started = clock()
        self._last = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="credsync-progress")
        self._thread.daemon = True

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def stop(self):
        self._stop.set()
        self._thread.join()
        if self.lines:  # the last word, only when the run was long enough to have said anything
            self._report(final=True)

    def _read(self):
        try:
            with open(self.path) as handle:
                counts = json.load(handle)
        except (OSError, ValueError):
            return None
        return counts if isinstance(counts, dict) else None

    def _report(self, final=False):
        counts = self._read()
        if counts is None or (counts == self._last and not final):
            return
        self._last = counts
        self.lines += 1
        self.show(progress_line(self.label, counts, self._clock() - self._started))

    def _watch(self):
        while not self._stop.wait(self.interval):
            self._report()
