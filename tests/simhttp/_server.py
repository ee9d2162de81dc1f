"""The server: a threaded TCP server whose worker threads do the TLS handshake, then read requests and
write answers through an h11 connection (h11 parses and frames; this module only moves bytes).

Why h11: it is python-hyper's sans-IO HTTP/1.1 state machine, pure Python and well kept. Being sans-IO,
it leaves the socket to us, which the faults need: a TCP reset before any byte of an answer, an answer
that announces its length and stops half-way. A full server (http.server, aiohttp, a WSGI server)
would own the socket and hide exactly that; http.server also hand-parses requests (no chunked bodies).
"""

import email.utils
import http
import socket
import socketserver
import struct
import threading
import traceback

import h11

MAX_BODY = 32 * 1024 * 1024  # a request body above this is refused with 413
MAX_HEAD = 32 * 1024  # request line and headers above this: 431 (h11's error hint)
_FRAMING = ("content-length", "transfer-encoding", "connection")  # the server's, never the App's
_NO_BODY_STATUSES = (204, 304)


class Reply:
    """What to send. action: "send"; "reset" (drop the connection with a TCP RST, no answer);
    "truncate" (announce the full Content-Length, send half the body, close)."""

    ACTIONS = ("send", "reset", "truncate")

    def __init__(self, status, body=b"", headers=None, action="send"):
        if action not in self.ACTIONS:
            raise ValueError("action must be one of %s" % ", ".join(self.ACTIONS))
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.action = action


class App:
    """A stand-in's request pipeline, free of sockets. Subclasses implement `handle`."""

    def handle(self, method, target, headers, body):
        """One request: `method` as sent (any token), `target` the request target (path and query),
        `headers` {lower-case name: value} (repeated headers joined with ", "), `body` bytes (de-chunked;
        b"" when there is none). Returns a Reply."""
        raise NotImplementedError

    def refuse(self, status, message):
        """The answer to a request refused at the HTTP edge, before `handle` (malformed request, head or
        body too large, unsupported transfer coding...). Override to give the stand-in's error body."""
        return Reply(status, message.encode("utf-8"), {"Content-Type": "text/plain; charset=utf-8"})


def _reason(status):
    try:
        return http.HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        return b""


class _Connection:
    """One client connection: requests read and answered in turn (keep-alive) until either side closes."""

    def __init__(self, server, sock):
        self.server = server
        self.sock = sock
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)

    def serve(self):
        while True:
            request = self._read_request()
            if request is None:
                return
            method = request[0]
            try:
                reply = self.server.app.handle(*request)
            except Exception:  # pylint: disable=broad-except  # an App bug: answer 500, keep it visible
                self.server.errors.append(traceback.format_exc())
                reply = self.server.app.refuse(500, "internal error")
            if not self._answer(reply, method):
                return
            if self.conn.our_state is not h11.DONE or self.conn.their_state is not h11.DONE:
                self._close()  # Connection: close (asked, or HTTP/1.0): h11 says MUST_CLOSE
                return
            self.conn.start_next_cycle()

    # --- reading -------------------------------------------------------------------------------

    def _read_request(self):
        """(method, target, headers, body) of the next request, or None when the connection is done."""
        head = None
        chunks = []
        size = 0
        while True:
            try:
                event = self.conn.next_event()
            except h11.RemoteProtocolError as exc:
                self._refuse(exc.error_status_hint, "malformed request: %s" % exc)
                return None
            if event is h11.NEED_DATA:
                if head is not None and self.conn.they_are_waiting_for_100_continue:
                    self._write(self.conn.send(h11.InformationalResponse(status_code=100, headers=[],
                                                                         reason=b"Continue")))
                data = self._recv()
                if data is None:
                    return None
                self.conn.receive_data(data)
            elif isinstance(event, h11.Request):
                head = event
                length = dict(event.headers).get(b"content-length")
                if length is not None and int(length) > self.server.max_body:  # h11 checked it is digits
                    self._refuse(413, "request body too large")
                    return None
            elif isinstance(event, h11.Data):
                size += len(event.data)
                if size > self.server.max_body:
                    self._refuse(413, "request body too large")
                    return None
                chunks.append(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return (head.method.decode("ascii"), head.target.decode("ascii"), self._headers(head),
                        b"".join(chunks))
            else:  # ConnectionClosed, or PAUSED after a protocol switch we never grant
                return None

    @staticmethod
    def _headers(head):
        headers = {}
        for name, value in head.headers:  # h11 gives names lower-cased
            key = name.decode("ascii")
            text = value.decode("latin-1")
            headers[key] = headers[key] + ", " + text if key in headers else text
        return headers

    def _recv(self):
        """Bytes from the client (b"" at its end of stream), or None on a timeout or a socket error."""
        try:
            return self.sock.recv(65536)
        except OSError:  # socket.timeout and ssl.SSLError included
            return None

    # --- writing -------------------------------------------------------------------------------

    def _write(self, data):
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def _answer(self, reply, method):
        """Carry out a Reply; False when the connection is closed afterwards."""
        if reply.action == "reset":
            self._reset()
            return False
        body = reply.body or b""
        headers = [("Server", self.server.server_name), ("Date", email.utils.formatdate(usegmt=True))]
        headers += [(name, value) for name, value in reply.headers.items() if name.lower() not in _FRAMING]
        if reply.status in _NO_BODY_STATUSES:
            body = b""
        elif reply.action == "truncate":
            # Announce the whole body (at least 16 bytes, so even an empty one is cut), send half, close.
            headers.append(("Content-Length", str(max(len(body), 16))))
            body = body[:len(body) // 2]
        else:
            headers.append(("Content-Length", str(len(body))))
        try:
            data = self.conn.send(h11.Response(status_code=reply.status, headers=headers,
                                               reason=_reason(reply.status)))
            if body and method != "HEAD":
                data += self.conn.send(h11.Data(data=body))
            if reply.action == "truncate":
                self._write(data)
                self._close()
                return False
            data += self.conn.send(h11.EndOfMessage())
        except h11.LocalProtocolError:  # the App's reply cannot be framed (e.g. a bad header value)
            self.server.errors.append(traceback.format_exc())
            self._reset()
            return False
        return self._write(data)

    def _refuse(self, status, message):
        """Answer a request refused at the edge (if an answer may still be sent), then close."""
        if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            reply = self.server.app.refuse(status, message)
            headers = [("Server", self.server.server_name), ("Date", email.utils.formatdate(usegmt=True)),
                       ("Connection", "close"), ("Content-Length", str(len(reply.body)))]
            headers += [(name, value) for name, value in reply.headers.items() if name.lower() not in _FRAMING]
            try:
                data = self.conn.send(h11.Response(status_code=status, headers=headers, reason=_reason(status)))
                data += self.conn.send(h11.Data(data=reply.body)) if reply.body else b""
                data += self.conn.send(h11.EndOfMessage())
            except h11.LocalProtocolError:
                self.server.errors.append(traceback.format_exc())
            else:
                self._write(data)
        self._close()

    def _close(self):
        """Half-close, then drain briefly: closing with unread input would send a RST instead of FIN,
        and the client could lose the answer just sent (a refused body, a 'Connection: close')."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(0.5)
            drained = 0
            while drained < 1024 * 1024:
                data = self.sock.recv(65536)
                if not data:
                    break
                drained += len(data)
        except OSError:
            pass

    def _reset(self):
        """Drop the connection with a TCP RST (SO_LINGER 0), before any byte of an answer."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.sock.close()
        except OSError:
            pass


class Server(socketserver.ThreadingTCPServer):
    """Serves `app` on `address` ((host, 0): an ephemeral port) until shutdown(); serve_forever() in a
    thread of the caller's. ssl_context: HTTPS (the handshake runs in the connection's thread, never in
    the accept loop). idle_timeout: seconds a connection may stay silent (keep-alive) before it is closed.
    `errors` lists tracebacks of bugs in the App or here (tests should expect it empty)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, app, ssl_context=None, server_name="simhttp/1.0", idle_timeout=60.0,
                 max_body=MAX_BODY):
        self.app = app
        self.ssl_context = ssl_context
        self.server_name = server_name
        self.idle_timeout = idle_timeout
        self.max_body = max_body
        self.errors = []
        self._live = set()
        self._live_lock = threading.Lock()
        super().__init__(address, None)  # no RequestHandlerClass: finish_request below serves

    def finish_request(self, request, client_address):
        """Runs in the connection's thread."""
        request.settimeout(self.idle_timeout)
        sock = request
        with self._live_lock:
            self._live.add(sock)
        try:
            if self.ssl_context is not None:
                try:
                    sock = self.ssl_context.wrap_socket(request, server_side=True)
                except OSError:  # a plain-HTTP client, a failed handshake, a client that went away
                    return
                with self._live_lock:
                    self._live.discard(request)
                    self._live.add(sock)
            _Connection(self, sock).serve()
        finally:
            with self._live_lock:
                self._live.discard(sock)
            if sock is not request:
                sock.close()

    def handle_error(self, request, client_address):
        """Not quiet about bugs: record them (clients dropping connections never get here)."""
        self.errors.append(traceback.format_exc())

    def server_close(self):
        """Stop listening and end the open connections (idle keep-alive ones would linger otherwise)."""
        super().server_close()
        with self._live_lock:
            live = list(self._live)
        for sock in live:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
