# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
name: password_problems
short_description: What is wrong with passwords bound for a Mac, without showing them
version_added: 0.1.0
description:
  - Checks passwords with the collection's one password validator, the same one the Mac and directory modules run
    before they write anything - a string, not empty or blank, no line break, NUL or other control character, at most
    127 bytes in UTF-8 (the longest FileVault passphrase).
  - Returns one message per bad password naming whose it is and every rule it breaks, never the password itself, so
    the result can go in an assertion's message.
  - The fleet playbooks use it to refuse the whole run before the directory is touched.
positional: _input
options:
  _input:
    description:
      - A mapping of names (users) to passwords (or to lists of candidate passwords, such as a password history -
        each one is checked and named by its position), a list of mappings with C(user) and C(password) (the form
        M(macfleet.credsync.directory_password) takes as O(macfleet.credsync.directory_password#module:passwords)),
        or one password.
    type: raw
    required: true
  optional:
    description:
      - Whether a missing (null) password is fine, as for a previous password that is not known.
    type: bool
    default: false
  what:
    description:
      - What the messages call the password, such as V(previous password) or the name of a variable.
    type: str
    default: password
author:
  - macfleet.credsync contributors (@macfleet)
"""

EXAMPLES = r"""
- name: Refuse the run before any write when a password cannot be a Mac's
  ansible.builtin.assert:
    that: credsync_passwords | macfleet.credsync.password_problems | length == 0
    fail_msg: "{{ credsync_passwords | macfleet.credsync.password_problems | join('; ') }}"
    quiet: true

- name: One password, named in the message as the variable that holds it
  ansible.builtin.assert:
    that: temporary_password | macfleet.credsync.password_problems | length == 0
    fail_msg: "{{ temporary_password | macfleet.credsync.password_problems(what='temporary_password') | first }}"
"""

RETURN = r"""
_value:
  description:
    - "One message per bad password, such as C(alice: password is empty); an empty list when every password is good."
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.macfleet.credsync.plugins.module_utils._common.passwords import password_problems


def _problems(passwords, optional=False, what="password"):
    if isinstance(passwords, dict):
        entries = []
        for name, value in passwords.items():
            if isinstance(value, (list, tuple)):  # candidates (a history): each one, by position
                entries += [("%s: %s [%d]" % (name, what, position), item) for position, item in enumerate(value)]
            else:
                entries.append(("%s: %s" % (name, what), value))
    elif isinstance(passwords, (list, tuple)):
        if not all(isinstance(entry, dict) and "user" in entry for entry in passwords):
            raise AnsibleFilterError("password_problems: a list must hold mappings with user and password")
        entries = [("%s: %s" % (entry["user"], what), entry.get("password")) for entry in passwords]
    else:
        entries = [(what, passwords)]
    messages = []
    for what, value in entries:
        if value is None and optional:
            continue
        problems = password_problems(value)
        if problems:
            messages.append("%s %s" % (what, "; ".join(problems)))
    return messages


class FilterModule:
    """The collection's password validator as a filter."""

    def filters(self):
        return {"password_problems": _problems}
