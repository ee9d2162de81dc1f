"""Offline stand-in for the get-pip.py that ansible-test downloads to bootstrap pip.

ansible-test fetches get-pip.py from a host outside the package index, which this
network cannot reach; it first looks in ~/.ansible/test/cache/get_pip_<version>.py,
where scripts/test.sh places this file. ansible-test runs it with pip-install style
arguments ("pip==X" plus options); get-pip's own --no-setuptools/--no-wheel are not
pip options and are dropped.
"""

import subprocess
import sys

ARGS = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + ARGS)
