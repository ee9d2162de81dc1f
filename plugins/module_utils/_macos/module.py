# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every macOS module shares: a runner that knows the secrets, errors -> fail_json.

Private to the collection; Python 3.9, standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from .account import CredentialError
from .runner import ToolError, ToolRunner


def runner_for(module, secret_options):
    """A ToolRunner that keeps every secret option's value off argv and out of output."""
    secrets = []
    for name in secret_options:
        value = module.params.get(name)
        secrets.extend(value if isinstance(value, list) else [value])  # a list option: each of its passwords
    return ToolRunner(secrets=secrets)


def run_or_fail(module, runner, work, **partial_result):
    """Call work(); a CredentialError, ToolError or OSError becomes fail_json, its text redacted.

    fail_json is called after the except block: called inside it, ansible-core adds the exception as a
    traceback to the result, and these are expected failures with a clear message, not crashes.
    """
    try:
        return work()
    except (CredentialError, ToolError, OSError) as exc:
        message = runner.redact(str(exc))
    module.fail_json(msg=message, **partial_result)
    return None
