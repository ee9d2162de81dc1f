"""fleetsim: a simulated fleet for the playbooks (test harness only: never shipped, never imported by plugins/).

The JumpCloud stand-in (jcsim) holding the fleet's users and systems, simulated Macs (macsim) in mixed states,
inventories, and the vars file (mode 0600) with every password, generated at run time. Used by
scripts/main.sh, the molecule scenarios, tests/integration/test_playbooks.py and benchmarks/fleet_sync.py.

    fleet = build(out_dir, LAYOUTS["demo"], directory=jumpcloud_sim)
    fleet.inventory, fleet.vars_file, fleet.hosts (name, user, kind, expected), fleet.passwords

With a directory, each Mac is also a JumpCloud system (hostname, its user bound as primarySystemUser, userMetrics
with the secure token, fde, hasServiceAccount, lastContact), so the inventory plugin macfleet.credsync.jumpcloud
can build the fleet from the directory: fleet.plugin_config (OUT/fleet.jumpcloud.yml) and fleet.connection_inventory
(OUT/connection.yml: only how to reach each simulated Mac) are the two sources for `-i`. The directory also holds
a Windows PC and a shared Mac with two bound users and no primary one (in group user_ambiguous, never synced).
"""

import dataclasses
import json
import os
import secrets
import socket
import string

import macsim
from macsim.__main__ import SCENARIO_DIR

# The scenario files' stand-in passwords, by role; each host gets its own, generated here.
_SCENARIO_USER = "alice"
_ROLES = {"Directory-Pass-2": "new", "Previous-Pass-1": "previous", "Local-Only-Pass-9": "local",
          "Svc-Acct-Pass-1": "service"}
# Symbols include { } % so a password that looks like a template proves the vars file marks them !unsafe.
_SYMBOLS = "!#$%*+-=?@^_~{}"
_ALPHABET = string.ascii_letters + string.digits + _SYMBOLS
_NAMES = ("amelia", "bruno", "chloe", "dmitri", "elena", "farid", "grace", "hugo", "ines", "jonas", "keiko",
          "liam", "maya", "nils", "olga", "pablo", "quinn", "rosa", "sami", "tara", "umar", "vera", "wyatt",
          "xenia", "yusuf", "zoe", "aiko", "bjorn", "carla", "dario", "emil", "freya", "gita", "hanna", "ivan",
          "julia", "kofi", "lena", "marco", "nora")


@dataclasses.dataclass(frozen=True)
class Kind:
    """Hosts in one state. scenario: a file of tests/macsim/scenarios (None: a directory user without a Mac)."""

    scenario: str
    count: int = 1
    label: str = ""
    expected: str = "done"           # what reset_and_sync should report for the Mac: done, skipped, failed
    previous_known: bool = True      # the vars file gives the user's previous password
    enabled: bool = True             # credsync_enabled
    in_directory: bool = True
    directory_locked: bool = False
    offline: bool = False            # an ssh host on a closed port: unreachable
    second_mac: bool = False         # the previous host's user has this Mac too (same user, same passwords)


LAYOUTS = {
    # scripts/main.sh: a few dozen Macs in every state the flow meets.
    "demo": (
        Kind("in_sync", 5, "already in step"),
        Kind("offline_change", 5, "changed while offline"),
        Kind("settings_change", 4, "changed in System Settings", previous_known=False),
        Kind("previous_everywhere", 4, "previous password unknown", previous_known=False),
        Kind("previous_everywhere", 3, "previous password known"),
        Kind("stale_preboot", 2, "keychain behind, Preboot stale"),
        Kind("filevault_off", 3, "FileVault off"),
        Kind("locked_out", 2, "locked out on the Mac and in the directory", directory_locked=True),
        Kind("no_service_account", 2, "service account missing", "failed", previous_known=False),
        Kind("previous_everywhere", 1, "sync disabled on this Mac", "skipped", enabled=False),
        Kind("previous_everywhere", 1, "user not in the directory", "skipped", in_directory=False),
        Kind("in_sync", 1, "Mac offline", "failed", offline=True),
        Kind("offline_change", 1, "changed while offline"),
        Kind("offline_change", 1, "a second Mac of the same user", second_mac=True),
    ),
    # tests/integration/test_playbooks.py: one host per outcome.
    "small": (
        Kind("offline_change", 1, "changed while offline"),
        Kind("settings_change", 1, "changed in System Settings", previous_known=False),
        Kind("locked_out", 1, "locked out", directory_locked=True),
        Kind("no_service_account", 1, "service account missing", "failed", previous_known=False),
        Kind("previous_everywhere", 1, "sync disabled on this Mac", "skipped", enabled=False),
        Kind("in_sync", 1, "Mac offline", "failed", offline=True),
    ),
    # extensions/molecule/directory_reset: directory users only.
    "directory": (
        Kind(None, 3, "to reset"),
        Kind(None, 1, "locked in the directory", directory_locked=True),
        Kind(None, 1, "not in the directory", "skipped", in_directory=False),
    ),
}


@dataclasses.dataclass
class FleetHost:
    name: str
    user: str
    kind: Kind
    root: str = None                 # the macsim host directory (None: no Mac, or offline)


@dataclasses.dataclass
class Fleet:
    out: str
    hosts: list
    passwords: dict                  # {"new": {user: pw}, "previous": {...}, "local": {...}, "service": pw}
    inventory: str = None
    vars_file: str = None
    plugin_config: str = None        # the jumpcloud inventory plugin's config (with a directory)
    connection_inventory: str = None  # how to reach each simulated Mac, nothing else

    def mac(self, name):
        return macsim.Host(next(h.root for h in self.hosts if h.name == name))

    def describe(self):
        """What the fleet is, without a secret (fleet.json)."""
        return [{"host": h.name, "user": h.user, "state": h.kind.label, "scenario": h.kind.scenario,
                 "expected": h.kind.expected} for h in self.hosts]


def new_password(username=""):
    """20 characters of every class the directory's policy asks for, never containing the username."""
    while True:
        password = "".join(secrets.choice(_ALPHABET) for _position in range(20))
        classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, _SYMBOLS)
        if all(any(c in chars for c in password) for chars in classes) and \
                (not username or username.lower() not in password.lower()):
            return password


def _usernames(count):
    return list(_NAMES[:count]) if count <= len(_NAMES) else ["user%03d" % (i + 1) for i in range(count)]


def _personalise(value, user, mine):
    """The scenario with its user renamed and its stand-in passwords replaced by this host's."""
    if isinstance(value, dict):
        return {k: (user if k == "name" and v == _SCENARIO_USER else _personalise(v, user, mine))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_personalise(v, user, mine) for v in value]
    if isinstance(value, str) and value in _ROLES:
        return mine[_ROLES[value]]
    return value


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build(out, layout, directory=None, prefix="mac"):
    """Create the layout's Macs under OUT/macs and its users in `directory` (a started jcsim.JumpCloudSim),
    and write OUT/inventory.yml and OUT/credsync-vars.yml (mode 0600). Returns the Fleet."""
    os.makedirs(out, exist_ok=True)
    total = sum(kind.count for kind in layout)
    names = iter(_usernames(total))
    service = new_password()
    passwords = {"new": {}, "previous": {}, "local": {}, "service": service}
    hosts = []
    number = 0
    for kind in layout:
        scenario = macsim.load_scenario(os.path.join(SCENARIO_DIR, kind.scenario + ".yml")) if kind.scenario else None
        for _index in range(kind.count):
            if not kind.second_mac:
                user = next(names)
                mine = {"new": new_password(user), "previous": new_password(user), "local": new_password(user),
                        "service": service}
                for role in ("new", "previous", "local"):
                    passwords[role][user] = mine[role]
                user_id = None
                if directory is not None and kind.in_directory:
                    user_id = directory.add_user(user, password=mine["previous"], email="%s@example.com" % user)
                    if kind.directory_locked:
                        directory.set_user_fields(user_id, account_locked=True)
            if scenario is None:
                hosts.append(FleetHost(None, user, kind))
                continue
            number += 1
            name = "%s-%03d" % (prefix, number)
            root = None
            if not kind.offline:
                # macsim gives a scenario without the key its own service account: give this fleet's instead.
                spec = dict(scenario, hostname=name)
                spec.setdefault("service_account", {"password": "Svc-Acct-Pass-1"})
                root = macsim.create_host(os.path.join(out, "macs", name), _personalise(spec, user, mine)).root
            hosts.append(FleetHost(name, user, kind, root))
            if directory is not None:
                _add_system(directory, hosts[-1], scenario, user_id)
    fleet = Fleet(out, hosts, passwords)
    if any(h.name for h in hosts):
        fleet.inventory = _write_inventory(os.path.join(out, "inventory.yml"), hosts)
        if directory is not None:
            _add_other_systems(directory, hosts)
            fleet.connection_inventory = _write_inventory(os.path.join(out, "connection.yml"), hosts, connection_only=True)
            fleet.plugin_config = _write_plugin_config(os.path.join(out, "fleet.jumpcloud.yml"), directory)
    fleet.vars_file = _write_vars(os.path.join(out, "credsync-vars.yml"), fleet, directory)
    with open(os.path.join(out, "fleet.json"), "w") as handle:
        json.dump(fleet.describe(), handle, indent=1)
    return fleet


# When a switched-off Mac last reached the directory: long before the plugin's online window.
_LONG_AGO = "2026-01-01T00:00:00.000Z"


def _add_system(directory, host, scenario, user_id):
    """The Mac as the JumpCloud agent reports it: a system with its user bound as primarySystemUser."""
    service = scenario.get("service_account", True) is not None
    fields = {"fde": {"active": bool(scenario.get("filevault", True)), "keyPresent": bool(scenario.get("filevault", True))},
              "hasServiceAccount": service,
              "serviceAccountState": {"hasSecureToken": service, "passwordAPFSValid": service, "passwordODValid": service}}
    if host.kind.offline:
        fields.update(active=False, lastContact=_LONG_AGO)
    system_id = directory.add_system(host.name, **fields)
    if user_id is not None:
        token = macsim.Host(host.root).secure_token(host.user) if host.root else True
        directory.bind_user(system_id, user_id, primary=True, secure_token=token)


def _add_other_systems(directory, hosts):
    """What a real directory holds besides the fleet's Macs: a Windows PC (left out by the plugin's OS filter)
    and a shared Mac with two bound users and no primary one (in user_ambiguous: whose password to sync is
    not the plugin's guess to make). Neither is in the connection inventory: nothing may try to reach them."""
    directory.add_system("win-reception", os_family="windows")
    users = [directory.user_id(user) for user in dict.fromkeys(h.user for h in hosts if h.kind.in_directory)][:2]
    shared = directory.add_system("mac-shared-lab")
    for user_id in users:
        directory.bind_user(shared, user_id)


def _write_plugin_config(path, directory):
    """The inventory plugin's config: the stand-in's URL and key (mode 0600: the key is a secret)."""
    lines = ["---", "# Generated by fleetsim for this run only: the JumpCloud stand-in as an inventory source.",
             "plugin: macfleet.credsync.jumpcloud", "base_url: %s" % json.dumps(directory.url),
             "api_key: %s" % json.dumps(directory.api_key)]
    if directory.url.startswith("http://"):  # plain http on loopback: no certificate to verify, nothing to warn of
        lines.append("validate_certs: false")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def _write_inventory(path, hosts, connection_only=False):
    """The static inventory: the Macs with their users; connection_only: how to reach each Mac, nothing else
    (group macs and credsync_user then come from the jumpcloud inventory plugin)."""
    lines = ["---", "# Simulated Macs (fleetsim): each runs its own bin/python3 (Python 3.9, as /usr/bin/python3 on",
             "# macOS) with the simulated tools first on PATH, as the current user (real Macs need become: root).",
             "all:", "  children:", "    macs:", "      vars:", "        ansible_become: false", "      hosts:"]
    if connection_only:
        lines[3:] = ["all:", "  vars:", "    ansible_become: false", "  hosts:"]
    for host in (h for h in hosts if h.name):
        lines.append("        %s:" % host.name)
        if host.root:
            lines += ["          ansible_connection: local",
                      "          ansible_python_interpreter: %s" % json.dumps(macsim.Host(host.root).python),
                      "          macsim_root: %s" % json.dumps(host.root)]
        else:  # switched off: nothing listens on this port
            lines += ["          ansible_connection: ssh", "          ansible_host: 127.0.0.1",
                      "          ansible_port: %d" % _closed_port(), "          ansible_ssh_timeout: 5"]
        if not connection_only:
            lines.append("          credsync_user: %s" % host.user)
        if not host.kind.enabled:
            lines.append("          credsync_enabled: false")
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def _unsafe(text):
    """A YAML scalar Ansible never templates (a password may contain {{ )."""
    return "!unsafe '%s'" % text.replace("'", "''")


def untemplated_json(variables):
    """Ansible extra vars as JSON in which no string is ever templated.

    Ansible reads `-e @file.json` with its legacy JSON decoder, which takes {"__ansible_unsafe": text} as the JSON
    spelling of YAML's !unsafe. Without it a generated password holding {{ or {% is read as a template."""
    def mark(value):
        if isinstance(value, str):
            return {"__ansible_unsafe": value}
        if isinstance(value, dict):
            return {key: mark(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [mark(item) for item in value]
        return value
    return json.dumps(mark(variables))


def _write_vars(path, fleet, directory):
    lines = ["---", "# Generated by fleetsim for this run only (mode 0600): the passwords of the simulated fleet."]
    if directory is not None:
        lines += ["credsync_provider: jumpcloud", "credsync_directory:",
                  "  base_url: %s" % json.dumps(directory.url), "  api_key: %s" % _unsafe(directory.api_key)]
        if directory.url.startswith("http://"):  # the stand-in on loopback: no certificate to verify
            lines.append("  validate_certs: false")
    lines.append("credsync_passwords:")
    lines += ["  %s: %s" % (user, _unsafe(pw)) for user, pw in fleet.passwords["new"].items()]
    known = list(dict.fromkeys(h.user for h in fleet.hosts if h.kind.previous_known))  # a user may have two Macs
    lines.append("credsync_previous_passwords:" + ("" if known else " {}"))
    lines += ["  %s: %s" % (user, _unsafe(fleet.passwords["previous"][user])) for user in known]
    lines.append("credsync_admin_password: %s" % _unsafe(fleet.passwords["service"]))
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path
