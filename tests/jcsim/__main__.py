"""python -m jcsim serve: run the simulator until interrupted (from tests/, or with tests/ on PYTHONPATH).

The first line on stdout is the base URL; then key=value lines (org_id, api_key, client_id,
client_secret, token_url, ca_path with --tls), then a line "ready". Stops on SIGINT or SIGTERM.
"""

import argparse
import signal
import sys
import threading

from ._sim import JumpCloudSim


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m jcsim", description="JumpCloud API stand-in for tests")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve until interrupted")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 (default): an ephemeral port")
    serve.add_argument("--users", type=int, default=0, help="seed this many users (user00001...)")
    serve.add_argument("--password", help="the seeded users' password (default: none they could log in with)")
    serve.add_argument("--api-key", help="default: 40 random hex characters")
    serve.add_argument("--org-id")
    serve.add_argument("--multi-tenant", action="store_true", help="x-org-id required on every call")
    serve.add_argument("--client-id")
    serve.add_argument("--client-secret")
    serve.add_argument("--tls", action="store_true", help="HTTPS with a throw-away CA (its path is printed)")
    args = parser.parse_args(argv)

    sim = JumpCloudSim(api_key=args.api_key, org_id=args.org_id, multi_tenant=args.multi_tenant, tls=args.tls,
                       client_id=args.client_id, client_secret=args.client_secret, host=args.host, port=args.port)
    if args.users:
        sim.seed_users(args.users, password=args.password)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_unused: stop.set())
    with sim:
        lines = [sim.url, "org_id=" + sim.org_id, "api_key=" + sim.api_key, "client_id=" + sim.client_id,
                 "client_secret=" + sim.client_secret, "token_url=" + sim.token_url]
        if sim.ca_path:
            lines.append("ca_path=" + sim.ca_path)
        print("\n".join(lines + ["ready"]), flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
