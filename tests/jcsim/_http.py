"""jcsim's HTTP/1.1 edge: the shared simhttp server (h11 on a threaded socket server; see
tests/simhttp) serving jcsim's App. Kept as a module so `SimServer` stays importable from here."""

from simhttp import Server


class SimServer(Server):
    """simhttp's Server with jcsim's name in the Server header."""

    def __init__(self, address, app, ssl_context=None):
        super().__init__(address, app, ssl_context=ssl_context, server_name="jcsim/1.0")
