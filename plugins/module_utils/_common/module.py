# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""An AnsibleModule that looks at the options as the task gave them, before it validates or logs them.

AnsibleModule fails on some inputs in words that name no option: a NUL anywhere in a logged option
ends the syslog line of the invocation ("Failed to log to syslog (embedded null character)"), and a
string given for a list of dictionaries is "dictionary requested, could not parse JSON or key=value".
It also turns a mapping given for a string option into its text without a word. CheckedModule runs the
caller's checks on the options as given first; when one fails, the module fails with every problem,
naming each option, and without logging the invocation.

Private to the collection. Used on the Mac too: Python 3.9, standard library and ansible's module_utils.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule


def raw_module_options():
    """The task's options as they reached the module, before AnsibleModule converted their types.

    ansible.module_utils.basic documents _load_params() for modules that need the options as given;
    AnsibleModule itself keeps only the converted ones.
    """
    try:
        raw = basic._load_params()  # pylint: disable=protected-access  # looked up when called, not imported
    except Exception:  # pylint: disable=broad-except  # no raw options (unit tests): nothing to check early
        return None
    return raw if isinstance(raw, dict) else None


def _holds_nul(value):
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_holds_nul(item) for item in value)
    return False


def nul_problems(spec, given, where=""):
    """The logged options (not no_log) whose given value holds a NUL, as "<option> ..." problems."""
    problems = []
    if not isinstance(given, dict):
        return problems
    for name, option in sorted(spec.items()):
        value = given.get(name)
        if value is None or option.get("no_log"):
            continue
        label = where + name
        if option.get("options") and isinstance(value, list):
            for index, item in enumerate(value):
                problems += nul_problems(option["options"], item, "%s[%d]." % (label, index))
        elif option.get("options") and isinstance(value, dict):
            problems += nul_problems(option["options"], value, label + ".")
        elif _holds_nul(value):
            problems.append("%s holds a NUL character, which no macOS tool, directory or log can take" % label)
    return problems


class CheckedModule(AnsibleModule):
    """An AnsibleModule whose options are checked as the task gave them, first.

    early_problems(raw) -> [problem]: the caller's checks of the options as given ("<option> <rule>"
    texts). A NUL in an option that is logged is always a problem. When there is one, the module fails
    with all of them (joined into `message`, "%s"; the `problems` key lists them) as soon as it can,
    without logging the invocation. log: False for a module built only to check.
    """

    def __init__(self, early_problems=None, message="%s", log=True, **kwargs):
        raw = raw_module_options()
        problems = []
        if raw:
            problems = list(early_problems(raw)) if early_problems is not None else []
            named = [problem.split(" ", 1)[0] for problem in problems]
            problems += [problem for problem in nul_problems(kwargs.get("argument_spec") or {}, raw)
                         if problem.split(" ", 1)[0] not in named]
        self._early_problems = problems
        self._early_message = message
        if problems or not log:
            kwargs["no_log"] = True
        super(CheckedModule, self).__init__(**kwargs)
        if problems:
            self.fail_json(msg="")

    def fail_json(self, msg, **kwargs):  # pylint: disable=arguments-differ  # the signature varies across ansible-core
        if self._early_problems:
            msg = self._early_message % "; ".join(self._early_problems)
            kwargs = dict(problems=self._early_problems)
        super(CheckedModule, self).fail_json(msg=msg, **kwargs)
