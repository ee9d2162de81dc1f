"""macsim command line: create simulated Macs from scenario files, inspect them.

    python -m macsim create --out DIR --scenario FILE [--scenario FILE...] [--count N]
                            [--prefix mac] [--inventory FILE]
    python -m macsim show HOST_DIR
    python -m macsim audit HOST_DIR
"""

import argparse
import json
import os
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "macsim"  # pylint: disable=redefined-builtin

from macsim import _host  # noqa: E402  pylint: disable=wrong-import-position

SCENARIO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios")


def _scenario_path(name):
    if os.path.exists(name):
        return name
    candidate = os.path.join(SCENARIO_DIR, name if name.endswith(".yml") else name + ".yml")
    if os.path.exists(candidate):
        return candidate
    raise SystemExit("macsim: no scenario %r (files in %s: %s)" % (
        name, SCENARIO_DIR, ", ".join(sorted(os.listdir(SCENARIO_DIR)))))


def write_inventory(path, hosts, group="macs"):
    """A YAML inventory: local connection, the host's own python3 (3.9) as interpreter."""
    lines = ["---", "all:", "  children:", "    %s:" % group, "      hosts:"]
    for host in hosts:
        lines.append("        %s:" % host.name)
        lines.append("          ansible_connection: local")
        lines.append("          ansible_python_interpreter: %s" % json.dumps(host.python))
        lines.append("          macsim_root: %s" % json.dumps(host.root))
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="macsim")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="create simulated Macs")
    create.add_argument("--out", required=True)
    create.add_argument("--scenario", action="append", required=True,
                        help="scenario file or name in tests/macsim/scenarios (repeatable)")
    create.add_argument("--count", type=int)
    create.add_argument("--prefix", default="mac")
    create.add_argument("--inventory")
    for name in ("show", "audit"):
        sub.add_parser(name).add_argument("host")
    args = parser.parse_args(argv)

    if args.command == "create":
        started = time.time()
        scenarios = [_host.load_scenario(_scenario_path(s)) for s in args.scenario]
        hosts = _host.create_hosts(args.out, scenarios, count=args.count, prefix=args.prefix)
        if args.inventory:
            write_inventory(args.inventory, hosts)
        print("created %d hosts in %s in %.2fs" % (len(hosts), args.out, time.time() - started))
    elif args.command == "show":
        state = _host.Host(args.host).state()
        print(json.dumps({k: state[k] for k in ("hostname", "os", "filevault", "users")}, indent=1,
                         sort_keys=True, default=str))
    else:
        for record in _host.Host(args.host).audit():
            print(json.dumps(record, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
