# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Generated passwords and the Ansible-Vault file that is the only place they are kept (controller side).

Private to the collection: the directory_password action plugin uses it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import datetime
import os
import secrets
import string
import tempfile

import yaml

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.parsing.vault import VaultLib, get_file_vault_secret, is_encrypted

from ansible_collections.macfleet.credsync.plugins.module_utils._common.passwords import password_problems

# No { } % # (Ansible would read a password holding them as a template when the file is loaded as vars), no quote,
# backslash or space (a help desk reads the password out or types it), and none of l I 1 O 0, which look alike.
SYMBOLS = "!$*+-.=?@^_~"
_LETTERS = "".join(c for c in string.ascii_letters if c not in "lIO")
_DIGITS = "23456789"
ALPHABET = _LETTERS + _DIGITS + SYMBOLS
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, _DIGITS, SYMBOLS)
MIN_LENGTH, MAX_LENGTH = 14, 64
STATES = ("pending", "set", "unknown", "failed")
HEADER = ("# Passwords made by macfleet.credsync.directory_password (generate=true), one per user: password, state\n"
          "# (pending, set, unknown, failed: what became of the reset) and when it was generated (UTC).\n")


class PasswordFileError(AnsibleError):
    """The password file cannot be read or written; nothing was sent."""


def generate_password(length, username=""):
    """A password of `length` from `secrets`, with every kind of character, without the user's name in it."""
    name = (username or "").split("@")[0].lower()
    while True:
        password = "".join(secrets.choice(ALPHABET) for _position in range(length))
        if not all(any(c in kind for c in password) for kind in _CLASSES):
            continue
        if len(name) >= 3 and name in password.lower():
            continue
        if password_problems(password):  # the Mac-side validator; cannot fail with this alphabet, checked anyway
            continue
        return password


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def set_passwords(entries, users=None):
    """{user: password} for the users whose reset the file records as `set` (only `users`, when given).

    A pending, unknown or failed entry is left out: the directory may not hold that password.
    """
    if not isinstance(entries, dict):
        raise PasswordFileError("set_passwords: expected the mapping a password_file holds, got %s"
                                % type(entries).__name__)
    if isinstance(users, (str, bytes)) or not (users is None or isinstance(users, (list, tuple, set))):
        # A user name given as text would be read letter by letter, and match nobody.
        raise PasswordFileError("set_passwords: users must be a list of user names, got %s" % type(users).__name__)
    wanted = None if users is None else set(users)
    return {user: entry["password"] for user, entry in entries.items()
            if isinstance(entry, dict) and entry.get("state") == "set" and isinstance(entry.get("password"), str)
            and (wanted is None or user in wanted)}


class PasswordFile:
    """The vault-encrypted YAML mapping {user: {password, state, generated}}, replaced whole, mode 0600."""

    def __init__(self, path, secret, vault_id):
        self.path = path
        self.secret = secret
        self.vault_id = vault_id
        self._vault = VaultLib([(vault_id, secret)])

    def load(self):
        """The entries in the file, or {} when there is none yet."""
        if not os.path.exists(self.path):
            if not os.path.isdir(os.path.dirname(os.path.abspath(self.path))):
                raise PasswordFileError("password_file %s: its directory does not exist" % self.path)
            return {}
        try:
            with open(self.path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise PasswordFileError("password_file %s cannot be read: %s" % (self.path, exc.strerror))
        if not is_encrypted(data):
            raise PasswordFileError("password_file %s is not encrypted with Ansible Vault; it is left as it is (give "
                                    "a new file, or one this option wrote)" % self.path)
        try:
            text = to_text(self._vault.decrypt(data))
        except AnsibleError:
            raise PasswordFileError("password_file %s: the vault secret does not open it (another vault id or "
                                    "password?)" % self.path)
        entries = yaml.safe_load(text) or {}
        if not isinstance(entries, dict) or not all(
                isinstance(entry, dict) and isinstance(entry.get("password"), str) for entry in entries.values()):
            raise PasswordFileError("password_file %s opens, but is not a mapping of users to password and state"
                                    % self.path)
        return entries

    def save(self, entries):
        """Encrypt and replace the file (a new file beside it, renamed over it): it is whole or as it was."""
        text = HEADER + yaml.safe_dump({str(user): {"password": entry["password"], "state": entry["state"],
                                                    "generated": entry["generated"]}
                                        for user, entry in entries.items()},
                                       default_flow_style=False, sort_keys=False, allow_unicode=True)
        data = self._vault.encrypt(to_bytes(text), secret=self.secret, vault_id=self.vault_id)
        folder = os.path.dirname(os.path.abspath(self.path))
        descriptor, partial = tempfile.mkstemp(dir=folder, prefix=".%s." % os.path.basename(self.path))
        try:
            with os.fdopen(descriptor, "wb") as handle:  # mkstemp made it 0600
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, self.path)
        except OSError as exc:
            if os.path.exists(partial):
                os.unlink(partial)
            raise PasswordFileError("password_file %s cannot be written: %s" % (self.path, exc.strerror))


def vault_secret(loader, vault_id=None, vault_password_file=None):
    """(vault_id, secret): from vault_password_file, or among the run's secrets (--vault-id, --vault-password-file)."""
    if vault_password_file:
        if not os.path.exists(vault_password_file):
            raise PasswordFileError("vault_password_file %s does not exist" % vault_password_file)
        secret = get_file_vault_secret(filename=vault_password_file, vault_id=vault_id, loader=loader)
        secret.load()
        return vault_id or "default", secret
    # The run's secrets are the loader's: DataLoader has no public way to read them.
    run_secrets = list(getattr(getattr(loader, "_vault", None), "secrets", None) or [])
    run_secrets = [(label, secret) for label, secret in run_secrets if secret is not None]
    if vault_id:
        chosen = [pair for pair in run_secrets if pair[0] == vault_id]
        if not chosen:
            raise PasswordFileError("vault_id %s: no such vault secret was given to ansible-playbook (--vault-id "
                                    "%s@prompt, or give vault_password_file)" % (vault_id, vault_id))
        return chosen[0]
    if len(run_secrets) == 1:
        return run_secrets[0]
    default = [pair for pair in run_secrets if pair[0] == "default"]
    if default:
        return default[0]
    if not run_secrets:
        raise PasswordFileError("generate keeps the passwords in a vault-encrypted file, and no vault secret was "
                                "given: run ansible-playbook with --vault-id (or --vault-password-file), or give "
                                "vault_password_file")
    raise PasswordFileError("several vault secrets were given (%s): say which one with vault_id"
                            % ", ".join(label for label, _secret in run_secrets))
