"""fleetsim command line (from tests/): a simulated fleet that outlives the command, for playbooks to run against.

    python -m fleetsim up --dir DIR [--layout demo]   start jcsim and create the fleet in the background;
                                                      returns once DIR/inventory.yml, DIR/credsync-vars.yml
                                                      (mode 0600), and for the jumpcloud inventory plugin
                                                      DIR/fleet.jumpcloud.yml (0600) and DIR/connection.yml
                                                      are written
    python -m fleetsim down --dir DIR                 stop what `up` started (its pid is in DIR/fleetsim.pid)

The background process serves the JumpCloud stand-in until `down` (SIGTERM); its log is DIR/fleetsim.log.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "fleetsim"  # pylint: disable=redefined-builtin

import jcsim  # noqa: E402  pylint: disable=wrong-import-position

from fleetsim import LAYOUTS, build  # noqa: E402  pylint: disable=wrong-import-position

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READY_TIMEOUT = 300


def _serve(args):
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_unused: stop.set())
    with jcsim.JumpCloudSim() as sim:
        started = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        fleet = build(args.dir, LAYOUTS[args.layout], directory=sim)
        ready = {"directory": sim.url, "started": started, "inventory": fleet.inventory, "vars_file": fleet.vars_file,
                 "hosts": len([h for h in fleet.hosts if h.name]), "users": len({h.user for h in fleet.hosts}),
                 "plugin_config": fleet.plugin_config, "connection_inventory": fleet.connection_inventory}
        with open(os.path.join(args.dir, "ready.json"), "w") as handle:
            json.dump(ready, handle)
        stop.wait()
    return 0


def _up(args):
    os.makedirs(args.dir, exist_ok=True)
    ready = os.path.join(args.dir, "ready.json")
    if os.path.exists(ready):
        os.unlink(ready)
    with open(os.path.join(args.dir, "fleetsim.log"), "w") as log:
        child = subprocess.Popen([sys.executable, "-m", "fleetsim", "serve", "--dir", args.dir, "--layout", args.layout],
                                 cwd=TESTS, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    with open(os.path.join(args.dir, "fleetsim.pid"), "w") as handle:
        handle.write("%d\n" % child.pid)
    deadline = time.monotonic() + READY_TIMEOUT
    while not os.path.exists(ready):
        if child.poll() is not None or time.monotonic() > deadline:
            _down(args)
            with open(os.path.join(args.dir, "fleetsim.log")) as log:
                sys.stderr.write(log.read()[-3000:])
            raise SystemExit("fleetsim: the fleet did not come up")
        time.sleep(0.1)
    with open(ready) as handle:
        info = json.load(handle)
    print("fleetsim: JumpCloud stand-in at %s with %d users; %d simulated Macs; inventory %s; passwords in %s (0600)"
          % (info["directory"], info["users"], info["hosts"], info["inventory"], info["vars_file"]))
    return 0


def _down(args):
    pid_file = os.path.join(args.dir, "fleetsim.pid")
    if not os.path.exists(pid_file):
        return 0
    with open(pid_file) as handle:
        pid = int(handle.read())
    try:
        os.kill(pid, signal.SIGTERM)
        for _attempt in range(100):
            if not _alive(pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.unlink(pid_file)
    return 0


def _alive(pid):
    """Running (a zombie nobody reaps, e.g. under a container's init, has stopped)."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        os.kill(pid, 0)
        return True


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fleetsim")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("up", "serve", "down"):
        command = commands.add_parser(name)
        command.add_argument("--dir", required=True, type=os.path.abspath)
        if name != "down":
            command.add_argument("--layout", choices=sorted(LAYOUTS), default="demo")
    args = parser.parse_args(argv)
    return {"up": _up, "serve": _serve, "down": _down}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
