"""simhttp: the HTTP/1.1 edge shared by the project's API stand-ins (jcsim today, an Okta stand-in later).

A stand-in is an App: `handle(method, target, headers, body) -> Reply`, free of sockets. Server
runs it on a threaded socket server (TLS handshakes in the worker threads) and parses requests with
h11, so chunked bodies, keep-alive, Expect: 100-continue and malformed requests are handled as HTTP/1.1
says, while Reply actions keep the low-level faults a test needs: a TCP reset before any answer, an
answer cut short, and (in the App) a slow answer. See README.md in this directory.
"""

from ._server import App, Reply, Server

__all__ = ["App", "Reply", "Server"]
