# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
name: set_passwords
short_description: The passwords a generated-password file records as set, by user
version_added: 0.1.0
description:
  - Takes the contents of a vault file written by M(macfleet.credsync.directory_password) with O(macfleet.credsync.directory_password#module:generate=true)
    (read back with M(ansible.builtin.include_vars) and the run's vault secret) and returns a mapping of each user
    whose reset the file records as V(set) to that user's password.
  - Users whose entry is still V(pending), or V(unknown) or V(failed), are left out, since the directory may not
    hold that password.
  - The result holds passwords; use it in a task with C(no_log) or pass it straight to a module option that is
    C(no_log).
positional: _input
options:
  _input:
    description:
      - The mapping the file holds, user to C(password), C(state) and C(generated).
    type: dict
    required: true
  users:
    description:
      - Only these users. All users when omitted.
    type: list
    elements: str
author:
  - macfleet.credsync contributors (@macfleet)
"""

EXAMPLES = r"""
- name: Read the vault file of generated passwords back
  ansible.builtin.include_vars:
    file: /secure/generated-passwords.yml
    name: generated_file
  no_log: true

- name: Keep the passwords of the users whose reset is set
  ansible.builtin.set_fact:
    new_passwords: "{{ generated_file | macfleet.credsync.set_passwords(users=['alice', 'bob']) }}"
  no_log: true
"""

RETURN = r"""
_value:
  description:
    - A mapping of user to password, for the users whose entry has state V(set).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.macfleet.credsync.plugins.plugin_utils._generated import PasswordFileError, set_passwords


def _set_passwords(entries, users=None):
    try:
        return set_passwords(entries, users)
    except PasswordFileError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule:
    """The passwords of a generated-password file that are set."""

    def filters(self):
        return {"set_passwords": _set_passwords}
