"""Benchmark: reset N Active Directory users with directory_password's list form vs. one task run per user.

    scripts/bench.sh ad_reset [--users 1000] [--loop-users 1000] [--verify 100]

Against a real Samba AD DC (tests/samba_ad) provisioned into a temporary directory on 127.0.0.1; needs
root and the Debian packages scripts/test.sh installs. Both ways go through a forwarder that counts the
LDAP connections opened. Prints users/s for each way and their ratio, and checks with real binds, on a
sample of --verify users per way, that the new password works and the old one does not.
"""

import argparse
import os
import platform
import random
import tempfile
import time

from _common import controller_inventory, reset_entries, run_playbook

from samba_ad import ConnectionCounter, SambaDC  # noqa: E402  (tests/ on sys.path via _common)

CONNECTION = """
        provider: ad
        server: localhost
        port: "{{ ad_port }}"
        bind_user: "{{ ad_user }}"
        bind_password: "{{ ad_password }}"
        ca_path: "{{ ad_ca }}"
"""

LIST_FORM = """---
- name: Reset with the list form
  hosts: controller
  gather_facts: false
  tasks:
    - name: Reset every user in one module run
      macfleet.credsync.directory_password:%s        passwords: "{{ resets }}"
      no_log: true
""" % CONNECTION

LOOP = """---
- name: Reset with one task run per user
  hosts: controller
  gather_facts: false
  tasks:
    - name: Reset each user in a module run of its own
      macfleet.credsync.directory_password:%s        user: "{{ item.user }}"
        password: "{{ item.password }}"
      loop: "{{ resets }}"
      no_log: true
""" % CONNECTION


def _verify(dc, resets, old, sample):
    """Users of a random sample whose new password does not bind, or whose old one (old[user]) still does."""
    wrong = 0
    for entry in random.Random(len(resets)).sample(resets, min(sample, len(resets))):
        user = entry["user"]
        if dc.bind_error(user, entry["password"]) is not None or dc.bind_error(user, old[user]) != "52e":
            wrong += 1
    return wrong


def _timed(workdir, inventory, playbook, variables):
    with ConnectionCounter() as counter:
        seconds, _proc = run_playbook(workdir, inventory, playbook, dict(variables, ad_port=counter.port))
        return seconds, counter.count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--loop-users", type=int, default=1000, help="users reset with one task run each")
    parser.add_argument("--verify", type=int, default=100, help="users checked by binding, per way")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir, SambaDC(os.path.join(workdir, "dc")) as dc:
        os.makedirs(os.path.join(workdir, "tmp"), exist_ok=True)
        inventory = controller_inventory(workdir)
        started = time.monotonic()
        names = ["bench%05d" % index for index in range(args.users)]
        for name in names:
            dc.add_user(name, "Initial-Pass-0!")
        seed_seconds = time.monotonic() - started
        base = {"ad_user": dc.service_user, "ad_password": dc.service_password, "ad_ca": dc.ca_path}

        list_resets = reset_entries(names, 1)
        list_seconds, list_connections = _timed(workdir, inventory, LIST_FORM, dict(base, resets=list_resets))
        list_wrong = _verify(dc, list_resets, dict.fromkeys(names, "Initial-Pass-0!"), args.verify)

        loop_resets = reset_entries(names[:args.loop_users], 2)
        loop_seconds, loop_connections = _timed(workdir, inventory, LOOP, dict(base, resets=loop_resets))
        loop_wrong = _verify(dc, loop_resets, {entry["user"]: entry["password"] for entry in list_resets}, args.verify)

    list_rate = args.users / list_seconds
    loop_rate = args.loop_users / loop_seconds
    print("machine: %s, %s, Python %s, %d CPUs, load average %.1f" % (
        platform.machine(), platform.platform(), platform.python_version(), os.cpu_count(), os.getloadavg()[0]))
    print("domain controller: Samba AD DC on 127.0.0.1 (single process), provisioned in %.1f s, started in %.1f s, "
          "%d users added in %.1f s" % (dc.timings["provision"], dc.timings["start"], args.users, seed_seconds))
    print("list form:  %5d users in %7.1f s = %7.1f users/s, %d LDAP connection(s), %d of %d checked users wrong"
          % (args.users, list_seconds, list_rate, list_connections, list_wrong, min(args.verify, args.users)))
    print("task each:  %5d users in %7.1f s = %7.1f users/s, %d LDAP connection(s), %d of %d checked users wrong"
          % (args.loop_users, loop_seconds, loop_rate, loop_connections, loop_wrong, min(args.verify, args.loop_users)))
    print("ratio:      %.1f x" % (list_rate / loop_rate))


if __name__ == "__main__":
    main()
