"""HTTP/1.1 plumbing: a threading server (TLS handshakes in the worker threads) and a handler that
hands each request to the App and carries out its Reply, including the broken ones."""

import socket
import struct
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ._util import phrase


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real clients use it
    server_version = "jcsim/1.0"
    sys_version = ""
    timeout = 60  # an idle keep-alive connection frees its thread after this

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin  # the base class names it so
        """Quiet: tests read the call log instead."""

    def _refuse(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def _respond(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._refuse(411)  # chunked request bodies are not simulated: 411 Length Required
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._refuse(400)
            return
        body = self.rfile.read(length) if length > 0 else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.app.handle(self.command, self.path, headers, body)
        if reply.action == "reset":
            self._reset()
            return
        self.send_response(reply.status, phrase(reply.status))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        payload = reply.body
        if reply.action == "truncate":
            # Announce the whole body, send half of it, then close: the client sees a short read.
            self.send_header("Content-Length", str(max(len(payload), 16)))
            payload = payload[:len(payload) // 2]
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _respond

    def _reset(self):
        """Drop the connection with a TCP RST (SO_LINGER 0), before any byte of an answer."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, app, ssl_context=None):
        self.app = app
        self.ssl_context = ssl_context
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        """Runs in the connection's thread: the TLS handshake happens here, never in the accept loop."""
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(Handler.timeout)
        secure = self.ssl_context.wrap_socket(request, server_side=True)
        try:
            super().finish_request(secure, client_address)
        finally:
            secure.close()

    def handle_error(self, request, client_address):
        """Quiet: clients drop connections on purpose (timeouts, failed TLS checks). Simulator bugs are
        caught in App.handle and listed in JumpCloudSim.internal_errors instead."""
