"""Entry point of a simulated host's bin/ shims.

    python -I -S run.py HOST_ROOT TOOL [ARGS...]

The shim passes HOST_ROOT and TOOL; the audit log records only ARGS, the argv
a real tool would see.
"""

import importlib
import os
import sys

if __package__ in (None, ""):
    # Started as a script by a shim: make the package importable without site.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "macsim"  # pylint: disable=redefined-builtin


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    host_root, tool, args = argv[0], argv[1], argv[2:]
    if tool not in importlib.import_module("macsim.tools").TOOLS:
        sys.stderr.write("macsim: no such tool %r\n" % tool)
        return 127
    toolkit = importlib.import_module("macsim._toolkit")
    module = importlib.import_module("macsim.tools.%s" % tool)
    return toolkit.run_tool(host_root, tool, args, module.main)


if __name__ == "__main__":
    code = main()
    sys.exit(code & 0xFF if code >= 0 else 1)
