"""Create simulated Macs from scenarios, and read their state back for tests."""

import glob
import json
import os
import random
import time
import uuid

from . import _state
from ._pythons import find_python
from .tools import TOOLS

SERVICE_ACCOUNT = "_jumpcloudserviceaccount"
_RUN_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run.py")
_AUTH_AUTHORITY = [
    ";ShadowHash;HASHLIST:<SALTED-SHA512-PBKDF2,SRP-RFC5054-4096-SHA512-PBKDF2>",
    ";Kerberosv5;;{name}@LKDC:SHA1.{lkdc};LKDC:SHA1.{lkdc};",
]


def load_scenario(path_or_text):
    """A scenario from a YAML/JSON file path, a YAML string or a dict."""
    if isinstance(path_or_text, dict):
        return path_or_text
    text = path_or_text
    if os.path.exists(path_or_text):
        with open(path_or_text) as handle:
            text = handle.read()
    try:
        import yaml  # test side only: PyYAML comes with ansible-core
        return yaml.safe_load(text)
    except ImportError:
        return json.loads(text)


def _uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()


def _new_user(state, rng, spec, uid, home_root):
    name = spec["name"]
    password = spec["password"]
    home = os.path.join(home_root, name)
    guid = spec.get("guid") or _uuid(rng)
    authority = [a.format(name=name, lkdc=rng.getrandbits(64)) for a in _AUTH_AUTHORITY]
    if spec.get("secure_token", True):
        authority.append(";SecureToken;")
    now = time.time()
    failed = int(spec.get("failed_logins", 0))
    state["users"][name] = {
        "RecordName": name,
        "RealName": spec.get("real_name", name.strip("_").replace(".", " ").title()),
        "UniqueID": spec.get("uid", uid),
        "PrimaryGroupID": 20,
        "GeneratedUID": guid,
        "NFSHomeDirectory": home,
        "UserShell": "/bin/zsh",
        "AuthenticationAuthority": authority,
        "password": _state.hash_secret(password),
        "admin": bool(spec.get("admin", False)),
        "hidden": name.startswith("_"),
        "disabled": bool(spec.get("disabled", False)),
        "accountPolicyData": {
            "creationTime": now - 86400 * 90,
            "failedLoginCount": failed,
            "failedLoginTimestamp": now - 60 if failed else 0,
            "passwordLastSetTime": now - 86400,
        },
    }
    filevault = spec.get("filevault", True)
    if filevault is not False and filevault is not None and state["filevault"]:
        passphrase = password if filevault is True else filevault
        crypto = _state.hash_secret(passphrase)
        state["crypto_users"][guid] = {"type": "Local Open Directory User", "hash": crypto,
                                       "volume_owner": True}
        preboot = spec.get("preboot", True)
        if preboot is True or preboot == passphrase:
            state["preboot"][guid] = {"hash": dict(crypto), "updated": now - 3600}
            # Set before the Preboot refresh: a read-only check sees Preboot as fresh.
            state["users"][name]["accountPolicyData"]["passwordLastSetTime"] = now - 86400 * 3
        elif preboot:
            # Refreshed before the last password change: stale.
            state["preboot"][guid] = {"hash": _state.hash_secret(preboot), "updated": now - 86400 * 2}
    keychain = spec.get("keychain", True)
    os.makedirs(os.path.join(home, "Library", "Keychains"), exist_ok=True)
    os.chmod(os.path.join(home, "Library", "Keychains"), 0o700)
    if os.geteuid() == 0:
        os.chown(os.path.join(home, "Library", "Keychains"), state["users"][name]["UniqueID"],
                 state["users"][name]["PrimaryGroupID"])
    if keychain:
        if keychain is True:
            keychain = {}
        items = keychain.get("items", 3)
        if isinstance(items, int):
            items = [{"class": "genp", "service": "service-%d.example" % i, "account": name,
                      "label": "%s item %d" % (name, i), "data": "item-data-%d" % i}
                     for i in range(items)]
        path = os.path.join(home, "Library", "Keychains", "login.keychain-db")
        _state.write_keychain(path, _state.new_keychain(keychain.get("password", password), items))
        # As the Security framework creates it: its default mode under the user's umask (022: 0644),
        # inside a 0700 Keychains folder (docs/macos-sessions.md).
        os.chmod(path, keychain.get("mode", 0o666 & ~int(spec.get("umask", 0o022))))
        if os.geteuid() == 0:  # the user's own file, as on a Mac
            os.chown(path, state["users"][name]["UniqueID"], state["users"][name]["PrimaryGroupID"])
        # A GUI session unlocks the login keychain with the password the user logged in with, and securityd
        # keeps it unlocked for the session; one that does not open with it stays locked (and macOS asks).
        locked = keychain.get("locked", not (spec.get("logged_in") and keychain.get("password", password) == password))
        if not locked:
            state["unlocked_keychains"].append(os.path.realpath(path))
            if spec.get("logged_in"):
                state["session_unlocked_keychains"].append(os.path.realpath(path))
    for index, aside in enumerate(spec.get("keychains_aside") or ()):
        _aside_keychain(state, name, home, index, aside)
    if spec.get("logged_in"):
        state["sessions"].append({"name": name, "on_console": False})
    return name


def _aside_keychain(state, name, home, index, aside):
    """A keychain kept next to the login keychain under another name, as macos_password_sync's move aside
    (login_replaced_<UTC time>.keychain-db) or macOS's "Create New Keychain" (login_renamed_N.keychain-db) leave it.

    aside: {name: file name in ~/Library/Keychains, password, items (a count; labels say which keychain),
    owner: "user" (default) or "root", mode (default 0644)}. Locked: nothing unlocks a keychain moved aside."""
    file_name = aside["name"]
    if "/" in file_name or file_name in ("", ".", ".."):
        raise ValueError("keychains_aside name must be a file name in ~/Library/Keychains: %r" % file_name)
    items = aside.get("items", 3)
    if isinstance(items, int):
        items = [{"class": "genp", "service": "aside-%d-service-%d.example" % (index, i), "account": name,
                  "label": "%s aside %s item %d" % (name, file_name, i), "data": "aside-%d-data-%d" % (index, i)}
                 for i in range(items)]
    path = os.path.join(home, "Library", "Keychains", file_name)
    _state.write_keychain(path, _state.new_keychain(aside["password"], items))
    os.chmod(path, aside.get("mode", 0o644))
    if os.geteuid() == 0:
        user = state["users"][name]
        owner = (0, 0) if aside.get("owner") == "root" else (user["UniqueID"], user["PrimaryGroupID"])
        os.chown(path, *owner)


def create_host(root, scenario=None, python=None, target_python=None, seed=None):
    """Build a simulated Mac in directory `root` (created) from a scenario.

    python: interpreter that runs the simulated tools (default: a 3.9, like the Mac).
    target_python: interpreter behind HOST/bin/python3, Ansible's interpreter for the host
    (default: Python 3.9, as /usr/bin/python3 on macOS).
    """
    scenario = load_scenario(scenario or {})
    root = os.path.abspath(root)
    rng = random.Random(seed if seed is not None else os.urandom(8))
    os.makedirs(os.path.join(root, "bin"), exist_ok=True)
    home_root = os.path.join(root, "root", "Users")
    os.makedirs(home_root, exist_ok=True)
    state = {
        "hostname": scenario.get("hostname", os.path.basename(root)),
        "os": {"ProductName": "macOS", "ProductVersion": str(scenario.get("os_version", "14.6.1")),
               "BuildVersion": scenario.get("build_version", "23G93")},
        "hardware_uuid": _uuid(rng),
        "volume": {"device": "disk3s5", "group_uuid": _uuid(rng)},
        "filevault": bool(scenario.get("filevault", True)),
        "crypto_users": {},
        "preboot": {},
        "users": {},
        "policy": {"global": {}, "users": {}},
        "unlocked_keychains": [],
        "sessions": [],             # GUI login sessions: [{name, on_console}] (scutil State:/Users/ConsoleUser)
        "session_unlocked_keychains": [],  # unlocked by a session's login, not by a tool: locking them disturbs it
        "session_keychain_locks": [],  # a session's keychain locked under it: what the module must never do
        "faults": [],
        "call_seq": 0,
    }
    max_failed = scenario.get("policy", {}).get("max_failed_logins")
    if max_failed:
        state["policy"]["global"]["maxFailedLoginAttempts"] = int(max_failed)
    if state["filevault"] and scenario.get("personal_recovery_key", True):
        state["crypto_users"][_state.PERSONAL_RECOVERY_UUID] = {
            "type": "Personal Recovery User", "volume_owner": True,
            "hash": _state.hash_secret(scenario.get("recovery_key", "ABCD-EFGH-IJKL-MNOP-QRST-UVWX"))}
    uid = 501
    service = scenario.get("service_account", {"password": "Svc-Acct-Pass-1"})
    if service:
        service = dict(service, name=SERVICE_ACCOUNT, admin=True)
        service.setdefault("keychain", False)
        service.setdefault("filevault", service.get("secure_token", True))
        _new_user(state, rng, service, 499, home_root)
    for spec in scenario.get("users", []):
        _new_user(state, rng, spec, uid, home_root)
        if spec.get("max_failed_logins"):  # the user's own policy (pwpolicy -u U), applied with the global one
            state["policy"]["users"][spec["name"]] = {"maxFailedLoginAttempts": int(spec["max_failed_logins"])}
        uid += 1
    state["users"]["root"] = {
        "RecordName": "root", "RealName": "System Administrator", "UniqueID": 0,
        "PrimaryGroupID": 0, "GeneratedUID": "FFFFEEEE-DDDD-CCCC-BBBB-AAAA00000000",
        "NFSHomeDirectory": "/var/root", "UserShell": "/bin/sh",
        "AuthenticationAuthority": [], "password": None, "admin": True, "hidden": True,
        "disabled": True, "accountPolicyData": {"creationTime": 0, "failedLoginCount": 0,
                                                "failedLoginTimestamp": 0, "passwordLastSetTime": 0}}
    _set_console(root, state, scenario.get("console_user", next((s["name"] for s in state["sessions"]), None)))
    updates = [entry["updated"] for entry in state["preboot"].values()]
    _state.write_preboot_info(root, state, min(updates) if updates else time.time() - 3600)
    _state.atomic_write_json(os.path.join(root, _state.STATE_FILE), state)
    open(os.path.join(root, _state.AUDIT_FILE), "a").close()
    host = Host(root)
    host.write_shims(python or find_python("3.9"), target_python or find_python("3.9"))
    return host


CONSOLE = os.path.join("root", "dev", "console")


def _set_console(root, state, name):
    """The user at the console (None: the login window): scutil's ConsoleUser and the owner of HOST/root/dev/console,
    the console device of the simulated Mac (modules read it through MACFLEET_CREDSYNC_CONSOLE, set by the shim)."""
    for session in state["sessions"]:
        session["on_console"] = session["name"] == name
    if name is not None and name not in [s["name"] for s in state["sessions"]]:
        state["sessions"].append({"name": name, "on_console": True})
    path = os.path.join(root, CONSOLE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "a").close()
    if os.geteuid() == 0:  # as on a Mac: the console user owns it, root at the login window
        os.chown(path, state["users"][name]["UniqueID"] if name else 0, 20 if name else 0)


def create_hosts(parent, scenarios, count=None, prefix="mac", **kwargs):
    """Many hosts: one per scenario, or `count` hosts cycling through the scenarios."""
    scenarios = [load_scenario(s) for s in scenarios]
    total = count if count is not None else len(scenarios)
    hosts = []
    for index in range(total):
        scenario = dict(scenarios[index % len(scenarios)])
        name = "%s-%03d" % (prefix, index + 1)
        scenario.setdefault("hostname", name)
        hosts.append(create_host(os.path.join(parent, name), scenario, **kwargs))
    return hosts


class Host(object):
    """A simulated Mac on disk, with read-back helpers for tests (never used by modules)."""

    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.bin = os.path.join(self.root, "bin")
        self.python = os.path.join(self.bin, "python3")

    def __repr__(self):
        return "Host(%r)" % self.root

    @property
    def name(self):
        return self.state()["hostname"]

    def write_shims(self, tool_python, target_python):
        for tool in TOOLS:
            _write_exec(os.path.join(self.bin, tool),
                        "#!/bin/sh\nexec '%s' -I -S '%s' '%s' %s \"$@\"\n"
                        % (tool_python, _RUN_PY, self.root, tool))
        # Ansible's interpreter for this host: the Mac's python3 with the host's tools on PATH.
        _write_exec(self.python, "#!/bin/sh\nPATH='%s':\"$PATH\"\nMACFLEET_CREDSYNC_CONSOLE='%s'\n"
                    "export PATH MACFLEET_CREDSYNC_CONSOLE\nexec '%s' \"$@\"\n"
                    % (self.bin, os.path.join(self.root, CONSOLE), target_python))

    def env(self, base=None):
        env = dict(os.environ if base is None else base)
        env["PATH"] = self.bin + os.pathsep + env.get("PATH", "")
        env["MACFLEET_CREDSYNC_CONSOLE"] = os.path.join(self.root, CONSOLE)
        return env

    # -- GUI sessions -------------------------------------------------------------
    def sessions(self):
        return [s["name"] for s in self.state().get("sessions", [])]

    def session_keychain_locks(self):
        """Keychains a tool locked while a live session held them: the session's apps lost access."""
        return self.state().get("session_keychain_locks", [])

    # -- read-back ----------------------------------------------------------
    def state(self):
        return _state.read_json(os.path.join(self.root, _state.STATE_FILE))

    def update_state(self, change):
        """Apply change(state_dict) under the host lock (test set-up only)."""
        host_state = _state.HostState(self.root)
        with host_state.locked():
            change(host_state.data)
            host_state.save()

    def audit(self):
        with open(os.path.join(self.root, _state.AUDIT_FILE)) as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def write_calls(self):
        return [r for r in self.audit() if r["kind"] == "write"]

    def calls_with_secret(self, secrets):
        """The tool calls whose argv holds one of `secrets` (any process on a Mac can read another's argv)."""
        return [r for r in self.audit() if any(secret in " ".join(r["argv"]) for secret in secrets)]

    def user(self, name):
        return self.state()["users"].get(name)

    def home(self, name):
        return self.state()["users"][name]["NFSHomeDirectory"]

    def keychain_path(self, name):
        return os.path.join(self.home(name), "Library", "Keychains", "login.keychain-db")

    def login_ok(self, name, password):
        user = self.user(name)
        return bool(user) and _state.check_secret(password, user["password"])

    def filevault_ok(self, name, password):
        """Would the unlocked volume accept this passphrase for the user's crypto user?"""
        state = self.state()
        crypto = state["crypto_users"].get(state["users"][name]["GeneratedUID"])
        return bool(crypto) and _state.check_secret(password, crypto["hash"])

    def preboot_ok(self, name, password):
        """Would the FileVault login window (which reads Preboot) accept this password?"""
        state = self.state()
        entry = state["preboot"].get(state["users"][name]["GeneratedUID"])
        return bool(entry) and _state.check_secret(password, entry["hash"])

    def preboot_fresh(self, name):
        state = self.state()
        guid = state["users"][name]["GeneratedUID"]
        crypto, entry = state["crypto_users"].get(guid), state["preboot"].get(guid)
        return bool(crypto) and bool(entry) and crypto["hash"] == entry["hash"]

    def keychain_ok(self, name, password, path=None):
        data = _state.read_keychain(path or self.keychain_path(name))
        return _state.check_secret(password, data["password"])

    def keychain_locked(self, name, path=None):
        return os.path.realpath(path or self.keychain_path(name)) not in self.state()["unlocked_keychains"]

    def keychain_files(self, name):
        return sorted(glob.glob(os.path.join(self.home(name), "Library", "Keychains", "*.keychain-db")))

    def keychain_items(self, name):
        """Every item in every keychain file of the user (live and moved aside)."""
        items = []
        for path in self.keychain_files(name):
            items.extend(_state.read_keychain(path)["items"])
        return items

    def secure_token(self, name):
        user = self.user(name)
        return bool(user) and ";SecureToken;" in user["AuthenticationAuthority"]

    def add_fault(self, mode="fail", tool="*", nth=1, command=None, kind="any", **extra):
        """Arm a fault: the Nth matching call fails ('fail') or dies half-way ('die')."""
        fault = dict(extra, mode=mode, tool=tool, nth=nth, kind=kind, seen=0, fired=False)
        if command:
            fault["command"] = command
        self.update_state(lambda s: s["faults"].append(fault))

    def clear_faults(self):
        self.update_state(lambda s: s.__setitem__("faults", []))


def _write_exec(path, text):
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, 0o755)
