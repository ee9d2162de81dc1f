# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Mac modules' input check, run before anything is inspected or written (check mode and state=verified
too, so check mode predicts exactly what a real run does).

Passwords go through the collection's one validator (_common/passwords.py); user options must be macOS
short names (account.short_name_problems). Every problem of every option is reported at once.

Private to the collection; Python 3.9, standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from .._common.passwords import PasswordError, check_password
from .account import CredentialError, short_name_problems


class InputError(CredentialError):
    """Bad input: nothing was inspected or written. The message names each option and rule, never a value."""


def check_inputs(passwords=(), short_names=(), password_lists=(), exclusive=()):
    """Raise InputError listing every broken rule.

    passwords: (option name, value, optional) triples; an optional password may be None (not given) but,
    when given, is a password like any other (an empty one is refused: omit the option instead).
    short_names: (option name, value, optional) triples; an optional name may be None.
    password_lists: (option name, value) pairs: None or a list of passwords, each one named by its position.
    exclusive: (option name, value) pairs of which at most one may be given.
    """
    messages = []
    given = [what for what, value in exclusive if value is not None]
    if len(given) > 1:
        messages.append("%s are mutually exclusive: give one of them" % " and ".join(given))
    for what, values in password_lists:
        if values is None:
            continue
        if not isinstance(values, list):
            messages.append("%s must be a list of passwords, not %s" % (what, type(values).__name__))
            continue
        for position, value in enumerate(values):
            try:
                check_password(value, "%s[%d]" % (what, position))
            except PasswordError as exc:
                messages.append(str(exc))
    for what, value, optional in passwords:
        try:
            check_password(value, what, optional=optional)
        except PasswordError as exc:
            messages.append(str(exc))
    for what, value, optional in short_names:
        if value is None and optional:
            continue
        problems = short_name_problems(value)
        if problems:
            messages.append("%s %s" % (what, "; ".join(problems)))
    if messages:
        raise InputError(NOTHING_DONE % "; ".join(messages))


NOTHING_DONE = "%s (nothing was checked or changed on this Mac)"


def given_name_problems(given, names):
    """The user options among `names` as the task gave them, checked as short names ("<option> <rules>").

    For CheckedModule: run before AnsibleModule logs its invocation, which a NUL in a user name would
    otherwise fail in words that name no option.
    """
    problems = []
    for name in names:
        if given.get(name) is not None:
            broken = short_name_problems(given[name])
            if broken:
                problems.append("%s %s" % (name, "; ".join(broken)))
    return problems
