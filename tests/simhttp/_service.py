"""The life cycle every stand-in shares: serve its App on 127.0.0.1 in a thread, over HTTPS with a throw-away CA
when asked, and stop cleanly (jcsim, oktasim)."""

import shutil
import ssl
import tempfile
import threading

from ._server import Server
from ._tls import make_certificates


class Service:
    """Base of a stand-in: a subclass sets NAME, builds `self.app` and calls _serve_on() in its __init__."""

    NAME = "simhttp"  # the thread's name, the certificates' organisation, the Server header, the temp dir prefix

    def _serve_on(self, host, port, tls):
        self.tls = tls
        self.ca_path = None
        self._address = (host, port)
        self._server = None
        self._thread = None
        self._tempdir = None
        self._edge_errors = []

    def start(self):
        context = None
        if self.tls:
            self._tempdir = tempfile.mkdtemp(prefix=self.NAME + "-tls-")
            self.ca_path, cert_path, key_path = make_certificates(self._tempdir, organisation=self.NAME)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert_path, key_path)
        self._server = Server(self._address, self.app, ssl_context=context, server_name=self.NAME + "/1.0")
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self.NAME, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._edge_errors = list(self._server.errors)
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = self.ca_path = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def url(self):
        """http(s)://127.0.0.1:PORT, no trailing slash."""
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        host, port = self._server.server_address[:2]
        return "%s://%s:%d" % ("https" if self.tls else "http", host, port)

    @property
    def internal_errors(self):
        """Tracebacks of simulator bugs (each also answered 500), its HTTP edge's included. Tests should
        expect it empty."""
        edge = self._server.errors if self._server is not None else self._edge_errors
        return list(self.app.internal_errors) + list(edge)
