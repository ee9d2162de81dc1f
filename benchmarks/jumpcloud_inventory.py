"""Benchmark: the JumpCloud inventory of N Macs (ansible-inventory --list with macfleet.credsync.jumpcloud).

    scripts/bench.sh jumpcloud_inventory [--systems 10000] [--no-primary-every 100] [--bound-users when_needed]

Against the JumpCloud stand-in (tests/jcsim) on loopback: N users, N Macs each bound to one user, every
--no-primary-every-th Mac without a primary user (so its bound users must be read). Prints the API calls per route
and per system, the seconds, the same with the inventory cache (no call expected), and what reading every
system's bound users one system at a time would have cost.
"""

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time

from _common import BIN, collections_path

import jcsim  # noqa: E402  (tests/ on sys.path via _common)


def inventory(workdir, config):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "tmp"))
    started = time.monotonic()
    proc = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", config, "--list"], env=env, check=False,
                          cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit("ansible-inventory failed: %s" % proc.stderr.decode()[-3000:])
    data = json.loads(proc.stdout)
    return elapsed, data


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--systems", type=int, default=10000)
    parser.add_argument("--no-primary-every", type=int, default=100)
    parser.add_argument("--bound-users", choices=["when_needed", "always"], default="when_needed")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="bench-jcinv-")
    with jcsim.JumpCloudSim() as sim:
        started = time.monotonic()
        users = sim.seed_users(args.systems)
        sim.seed_systems(args.systems, users=users, no_primary_every=args.no_primary_every)
        seeded = time.monotonic() - started
        config = os.path.join(workdir, "bench.jumpcloud.yml")
        with open(config, "w") as handle:
            json.dump({"plugin": "macfleet.credsync.jumpcloud", "base_url": sim.url, "api_key": sim.api_key,
                       "bound_users": args.bound_users, "cache": True, "cache_plugin": "ansible.builtin.jsonfile",
                       "cache_connection": os.path.join(workdir, "cache"), "cache_timeout": 3600}, handle)
        sim.clear_calls()
        seconds, data = inventory(workdir, config)
        routes = sim.route_counts()
        calls = sim.call_count()
        hosts = data["_meta"]["hostvars"]
        with_user = sum(1 for hostvars in hosts.values() if "credsync_user" in hostvars)
        sim.clear_calls()
        cached_seconds, cached = inventory(workdir, config)
        cached_calls = sim.call_count()
        assert len(cached["_meta"]["hostvars"]) == len(hosts)
        assert sim.internal_errors == []
    print("python %s, %s; seeded %d users and %d systems in %.1f s" % (
        platform.python_version(), platform.machine(), args.systems, args.systems, seeded))
    print("hosts: %d (with credsync_user: %d); group macs: %d" % (len(hosts), with_user, len(data["macs"]["hosts"])))
    print("API calls: %d (%s)" % (calls, ", ".join("%s: %d" % item for item in sorted(routes.items()))))
    print("calls per system: %.4f" % (calls / float(args.systems)))
    print("seconds: %.1f (ansible-inventory --list, building and printing %d hosts)" % (seconds, len(hosts)))
    print("with the cache: %d API calls, %.1f s" % (cached_calls, cached_seconds))
    per_system = -(-args.systems // 100) * 2 + args.systems
    print("reading every system's bound users one system at a time would take %d calls (%.2f per system)" % (
        per_system, per_system / float(args.systems)))


if __name__ == "__main__":
    main()
