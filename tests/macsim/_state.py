"""Host state of a simulated Mac: load, lock, save, hash, audit.

A simulated host is a directory:

    HOST/state.json     users, FileVault, crypto users, Preboot, policy, faults
    HOST/audit.jsonl    one JSON line per tool call (argv, stdin hash, exit code)
    HOST/bin/           dscl, sysadminctl, fdesetup, diskutil, security, pwpolicy,
                        dscacheutil, sw_vers and python3 (the host's interpreter)
    HOST/root/Users/U   home directories; login keychains live under them

Passwords are never stored: only salted PBKDF2 hashes. Everything here is
standard library only and runs on Python 3.9.
"""

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import time

STATE_FILE = "state.json"
AUDIT_FILE = "audit.jsonl"
LOCK_FILE = ".lock"

# A stand-in, not a vault: few iterations keep hundreds of hosts fast to build.
_PBKDF2_ITERATIONS = 1000

PERSONAL_RECOVERY_UUID = "EBC6C064-0000-11AA-AA11-00306543ECAC"
ICLOUD_RECOVERY_UUID = "64C0C6EB-0000-11AA-AA11-00306543ECAC"


def hash_secret(secret, salt=None):
    """Salted PBKDF2-SHA512 of a password or passphrase."""
    if salt is None:
        salt = os.urandom(16)
    elif isinstance(salt, str):
        salt = bytes.fromhex(salt)
    dk = hashlib.pbkdf2_hmac("sha512", secret.encode("utf-8"), salt, _PBKDF2_ITERATIONS)
    return {"salt": salt.hex(), "iterations": _PBKDF2_ITERATIONS, "dk": dk.hex()}


def check_secret(secret, stored):
    if not stored or secret is None:
        return False
    dk = hashlib.pbkdf2_hmac("sha512", secret.encode("utf-8"), bytes.fromhex(stored["salt"]),
                             stored["iterations"])
    return hmac.compare_digest(dk.hex(), stored["dk"])


def atomic_write_json(path, data):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
    os.replace(tmp, path)


def read_json(path):
    with open(path) as handle:
        return json.load(handle)


class HostState(object):
    """The mutable state of one host, read and written under a file lock."""

    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.data = None
        self.dirty = False

    @property
    def state_path(self):
        return os.path.join(self.root, STATE_FILE)

    @property
    def audit_path(self):
        return os.path.join(self.root, AUDIT_FILE)

    @contextlib.contextmanager
    def locked(self):
        """Hold the host lock for a whole tool call, as one process at a time."""
        with open(os.path.join(self.root, LOCK_FILE), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                self.load()
                yield self
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def load(self):
        self.data = read_json(self.state_path)
        self.dirty = False
        return self.data

    def save(self):
        atomic_write_json(self.state_path, self.data)
        self.dirty = False

    def mark(self):
        self.dirty = True

    # -- users -------------------------------------------------------------
    def user(self, name):
        return self.data["users"].get(name)

    def user_by_guid(self, guid):
        for name, user in self.data["users"].items():
            if user["GeneratedUID"].upper() == guid.upper():
                return name, user
        return None, None

    def has_secure_token(self, name):
        user = self.user(name)
        if not user:
            return False
        authority = user.get("AuthenticationAuthority", [])
        return ";SecureToken;" in authority and ";DisabledTags;SecureToken" not in authority

    def set_secure_token(self, name, enabled):
        authority = [a for a in self.user(name)["AuthenticationAuthority"] if a != ";SecureToken;"]
        if enabled:
            authority.append(";SecureToken;")
        self.user(name)["AuthenticationAuthority"] = authority
        self.mark()

    def set_password(self, name, password):
        user = self.user(name)
        user["password"] = hash_secret(password)
        user["accountPolicyData"]["passwordLastSetTime"] = time.time()
        self.mark()

    # -- FileVault ------------------------------------------------------------
    def crypto_user(self, guid):
        return self.data["crypto_users"].get(guid.upper())

    def set_crypto_passphrase(self, guid, passphrase):
        self.data["crypto_users"][guid.upper()]["hash"] = hash_secret(passphrase)
        self.mark()

    # -- keychains ------------------------------------------------------------
    def keychain_unlocked(self, path):
        return os.path.realpath(path) in self.data["unlocked_keychains"]

    def set_keychain_unlocked(self, path, unlocked):
        real = os.path.realpath(path)
        listed = self.data["unlocked_keychains"]
        if unlocked and real not in listed:
            listed.append(real)
        elif not unlocked and real in listed:
            listed.remove(real)
        self.mark()

    # -- audit --------------------------------------------------------------
    def append_audit(self, record):
        self.data["call_seq"] = self.data.get("call_seq", 0) + 1
        record["seq"] = self.data["call_seq"]
        self.mark()
        with open(self.audit_path, "a") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")


# -- keychain files -----------------------------------------------------------
# A simulated keychain is a JSON file at the real path (login.keychain-db).
# Only `security` and macsim's own test API read it; the module never does.
KEYCHAIN_MAGIC = "macsim-keychain-1"


def new_keychain(password, items=()):
    return {"magic": KEYCHAIN_MAGIC, "password": hash_secret(password),
            "settings": {"lock_on_sleep": True, "timeout": 300}, "items": list(items)}


def read_keychain(path):
    data = read_json(path)
    if data.get("magic") != KEYCHAIN_MAGIC:
        raise ValueError("not a keychain: %s" % path)
    return data


def write_keychain(path, data):
    """Rewrite in place as securityd does: owner and mode of an existing file are kept."""
    try:
        info = os.stat(path)
    except OSError:
        info = None
    atomic_write_json(path, data)
    if info is not None:
        os.chmod(path, info.st_mode & 0o7777)
        if os.geteuid() == 0:
            os.chown(path, info.st_uid, info.st_gid)


# -- the Preboot volume -----------------------------------------------------------
# What the FileVault login window reads lives on the Preboot volume, refreshed only by
# `diskutil apfs updatePreboot`. macsim keeps its truth per crypto user in state
# ("preboot"), and also writes the file a real Mac has there, whose modification time
# is the last refresh: the one thing a read-only check can look at.
PREBOOT_MOUNT = os.path.join("root", "System", "Volumes", "Preboot")


def preboot_info_path(host_root, group_uuid):
    return os.path.join(host_root, PREBOOT_MOUNT, group_uuid, "var", "db", "CryptoUserInfo.plist")


def write_preboot_info(host_root, state, when=None):
    import plistlib
    path = preboot_info_path(host_root, state["volume"]["group_uuid"])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    users = {}
    for guid in state["preboot"]:
        for name, user in state["users"].items():
            if user["GeneratedUID"].upper() == guid.upper():
                users[guid] = {"ShortName": name, "FullName": user["RealName"]}
    with open(path, "wb") as handle:
        plistlib.dump(users, handle)
    if when is not None:
        os.utime(path, (when, when))
