"""simhttp: the HTTP/1.1 edge shared by the project's API stand-ins (jcsim and oktasim).

A stand-in is an App: `handle(method, target, headers, body) -> Reply`, free of sockets. Server
runs it on a threaded socket server (TLS handshakes in the worker threads) and parses requests with
h11, so chunked bodies, keep-alive, Expect: 100-continue and malformed requests are handled as HTTP/1.1
says, while Reply actions keep the low-level faults a test needs: a TCP reset before any answer, an
answer cut short, and (in the App) a slow answer. The test controls every stand-in shares (fault rules,
the call log) and a throw-away CA are here too. See README.md in this directory.
"""

from ._controls import FAULT_PHASES, Controls, Fault, Trigger, apply_fault
from ._server import App, Reply, Server
from ._service import Service
from ._tls import make_certificates

__all__ = ["App", "Controls", "FAULT_PHASES", "Fault", "Reply", "Server", "Service", "Trigger", "apply_fault",
           "make_certificates"]
