# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test harness only: every task result of a playbook run, per host, written as JSON for pytest."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = """
name: credsync_test_results
type: notification
short_description: write task results per host to a JSON file (tests only)
description:
  - When the playbook ends, writes every task result per host (task name, status, result) and the stats
    as JSON to the file named by the environment variable E(CREDSYNC_TEST_RESULTS).
requirements:
  - enabled with ANSIBLE_CALLBACKS_ENABLED and found through ANSIBLE_CALLBACK_PLUGINS
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "credsync_test_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.results = {}

    def _record(self, result, status):
        entry = {"task": result.task.get_name(), "status": status, "result": dict(result.result)}
        self.results.setdefault(result.host.get_name(), []).append(entry)

    def v2_runner_on_ok(self, result):
        self._record(result, "changed" if result.is_changed() else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("CREDSYNC_TEST_RESULTS")
        if not path:
            return
        summary = {host: stats.summarize(host) for host in sorted(stats.processed)}
        with open(path, "w") as handle:
            json.dump({"results": self.results, "stats": summary}, handle, default=repr, indent=1, sort_keys=True)
