"""macsim: a strict stand-in for the macOS credential tools (test harness only).

Never shipped, never imported by the collection's plugins. See tests/macsim/README.md.
"""

from ._host import Host, SERVICE_ACCOUNT, create_host, create_hosts, load_scenario  # noqa: F401
from ._pythons import find_python  # noqa: F401
