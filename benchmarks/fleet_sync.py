"""Benchmark: sync a fleet of simulated Macs with the password_sync role vs. a playbook of command tasks.

    scripts/bench.sh fleet_sync [--macs 200] [--forks 10]

Every Mac (macsim) holds its user's previous password in every store (the state after an admin reset in the
directory). Three runs, with pipelining (as recommended for real Macs):
- the role (macfleet.credsync.password_sync: one module run per Mac);
- the role again on the fleet it synced (the idempotent re-run): its wall time relative to the first run and
  the write calls it made, counted from every Mac's macsim audit log;
- on a second fleet in the same state, the tool calls an admin scripts today: one ansible.builtin.command task
  per call (read the account, check the passwords, change the login password, check FileVault, re-key the
  keychain, refresh Preboot, verify), each secret on the tool's standard input.
Prints wall and CPU time of each run (CPU: ansible-playbook and every process it started, which other load on
the machine does not inflate), the ratio (target >= 5 in CPU), the re-run's share of the first run (target <= 35%
in CPU), the re-run's write calls (target 0) and the tool calls per Mac of each role run (macsim audit logs;
targets 20 and 8); exits 1 when a fleet is not in step afterwards.
"""

import argparse
import os
import platform
import resource
import sys
import tempfile

from _common import run_playbook

import fleetsim  # noqa: E402  (tests/ on sys.path via _common)

ROLE = """---
- name: Sync with the password_sync role
  hosts: macs
  gather_facts: false
  roles:
    - role: macfleet.credsync.password_sync
      vars:
        password_sync_user: "{{ credsync_user }}"
        password_sync_password: "{{ credsync_passwords[credsync_user] }}"
        password_sync_previous_password: "{{ credsync_previous_passwords[credsync_user] }}"
"""

# The calls an admin's script makes for this flow, in the module's order, one task each.
_TOOL_CALLS = [
    ("Read the account", ["dscl", ".", "-read", "/Users/{{ u }}", "NFSHomeDirectory", "GeneratedUID",
                          "AuthenticationAuthority"], None, "account"),
    ("Does the new password open the account", ["dscl", ".", "-authonly", "{{ u }}"], "new", None),
    ("Does the previous one", ["dscl", ".", "-authonly", "{{ u }}"], "old", None),
    ("Is FileVault on", ["fdesetup", "isactive"], None, None),
    ("List the FileVault users", ["diskutil", "apfs", "listCryptoUsers", "-plist", "/"], None, None),
    ("Does FileVault open with the new password", ["diskutil", "apfs", "unlockVolume", "/", "-user", "{{ guid }}",
                                                   "-stdinpassphrase", "-verify"], "new", None),
    ("Does FileVault open with the previous one", ["diskutil", "apfs", "unlockVolume", "/", "-user", "{{ guid }}",
                                                   "-stdinpassphrase", "-verify"], "old", None),
    ("Lock the keychain to test it", ["security", "lock-keychain", "{{ keychain }}"], None, None),
    ("Does the keychain open with the new password", ["security", "unlock-keychain", "{{ keychain }}"], "new", None),
    ("Does it open with the previous one", ["security", "unlock-keychain", "{{ keychain }}"], "old", None),
    ("Lock the keychain again", ["security", "lock-keychain", "{{ keychain }}"], None, None),
    ("Change the login password", ["dscl", "-q", "."], "passwd", None),
    ("Check the new login password", ["dscl", ".", "-authonly", "{{ u }}"], "new", None),
    ("Check FileVault followed", ["diskutil", "apfs", "unlockVolume", "/", "-user", "{{ guid }}", "-stdinpassphrase",
                                  "-verify"], "new", None),
    ("Re-key the keychain", ["security", "set-keychain-password", "{{ keychain }}"], "rekey", None),
    ("Check the keychain opens", ["security", "unlock-keychain", "{{ keychain }}"], "new", None),
    ("Lock the keychain", ["security", "lock-keychain", "{{ keychain }}"], None, None),
    ("Refresh Preboot", ["diskutil", "apfs", "updatePreboot", "/"], None, None),
]
_STDIN = {
    "new": "{{ new }}",
    "old": "{{ old }}",
    "passwd": "passwd /Users/{{ u }} {{ old }} {{ new }}",
    "rekey": "{{ old }}\\n{{ new }}\\n{{ new }}",
}


def _command_playbook():
    lines = ["---", "- name: Sync the way an admin scripts it today", "  hosts: macs", "  gather_facts: false",
             "  vars:", "    u: \"{{ credsync_user }}\"", "    new: \"{{ credsync_passwords[credsync_user] }}\"",
             "    old: \"{{ credsync_previous_passwords[credsync_user] }}\"",
             "    guid: \"{{ account.stdout_lines | select('match', 'GeneratedUID: ') | first | split(': ') | last }}\"",
             "    keychain: \"{{ account.stdout_lines | select('match', 'NFSHomeDirectory: ') | first | split(': ') | last"
             " }}/Library/Keychains/login.keychain-db\"", "  tasks:"]
    for name, argv, stdin, register in _TOOL_CALLS:
        lines += ["    - name: %s" % name, "      ansible.builtin.command:", "        argv:"]
        lines += ["          - \"%s\"" % word for word in argv]
        if stdin:
            lines.append("        stdin: \"%s\"" % _STDIN[stdin])
            lines.append("      no_log: true")
        lines += ["      register: %s" % (register or "step"), "      changed_when: false", "      failed_when: false"]
    return "\n".join(lines) + "\n"


def _fleet(workdir, name, count):
    return fleetsim.build(os.path.join(workdir, name), (fleetsim.Kind("previous_everywhere", count),))


def _run(workdir, fleet, playbook, forks):
    """(wall seconds, CPU seconds of ansible-playbook and everything it started: controller, modules, tools)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, _proc = run_playbook(workdir, fleet.inventory, playbook, {}, forks, vars_files=[fleet.vars_file])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def _in_step(fleet):
    """Macs whose login, FileVault, Preboot and keychain all open with the new password."""
    good = 0
    for host in fleet.hosts:
        mac, new = fleet.mac(host.name), fleet.passwords["new"][host.user]
        good += all((mac.login_ok(host.user, new), mac.filevault_ok(host.user, new), mac.preboot_ok(host.user, new),
                     mac.keychain_ok(host.user, new)))
    return good


def _writes(fleet):
    return sum(len(fleet.mac(host.name).write_calls()) for host in fleet.hosts)


def _calls(fleet):
    """Tool calls so far on each Mac (its macsim audit log: one line per process)."""
    return [len(fleet.mac(host.name).audit()) for host in fleet.hosts]


def _per_mac(before, after):
    counts = [b - a for a, b in zip(before, after)]
    return "%.1f per Mac (max %d)" % (float(sum(counts)) / len(counts), max(counts))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--macs", type=int, default=200)
    parser.add_argument("--forks", type=int, default=10)
    args = parser.parse_args()
    # As recommended for real Macs (docs/inventory-examples.md), for every run alike.
    os.environ["ANSIBLE_PIPELINING"] = "True"
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory() as workdir:
        role_fleet = _fleet(workdir, "role", args.macs)
        calls_start = _calls(role_fleet)
        role = _run(workdir, role_fleet, ROLE, args.forks)
        role_writes = _writes(role_fleet)
        calls_first = _calls(role_fleet)
        rerun = _run(workdir, role_fleet, ROLE, args.forks)
        rerun_writes = _writes(role_fleet) - role_writes
        calls_rerun = _calls(role_fleet)

        command_fleet = _fleet(workdir, "commands", args.macs)
        commands = _run(workdir, command_fleet, _command_playbook(), args.forks)
        in_step = {"role": _in_step(role_fleet), "commands": _in_step(command_fleet)}

    print("machine:  %s, %s, %d CPUs, Python %s" % (platform.machine(), platform.platform(), os.cpu_count(),
                                                    platform.python_version()))
    print("load:     %.1f before, %.1f after (1-minute load average)" % (load_before[0], os.getloadavg()[0]))
    print("fleet:    %d simulated Macs, previous password in every store, forks %d, pipelining" % (args.macs, args.forks))
    print("          wall s    CPU s")
    print("role:     %7.1f  %7.1f   %d write calls, Macs in step: %d" % (role + (role_writes, in_step["role"])))
    print("commands: %7.1f  %7.1f   %d tasks per Mac, Macs in step: %d"
          % (commands + (len(_TOOL_CALLS), in_step["commands"])))
    ratios = (commands[0] / role[0], commands[1] / role[1])
    print("ratio:    %7.1f x %6.1f x (commands / role; target >= 5 in CPU)" % ratios)
    print("re-run:   %7.1f  %7.1f   = %.0f%% (wall), %.0f%% (CPU) of the first run (target <= 35%% in CPU); %d write "
          "calls (target 0)" % (rerun + (100.0 * rerun[0] / role[0], 100.0 * rerun[1] / role[1], rerun_writes)))
    print("tool calls: first run %s (target <= 20), re-run %s (target <= 8)"
          % (_per_mac(calls_start, calls_first), _per_mac(calls_first, calls_rerun)))
    if in_step["role"] != args.macs or in_step["commands"] != args.macs:
        sys.exit("not every Mac is in step: %s" % in_step)


if __name__ == "__main__":
    main()
