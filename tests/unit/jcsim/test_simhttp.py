"""simhttp, the HTTP edge shared by the stand-ins, with an App of its own (no jcsim): what an App is
handed, what a Reply makes of the wire, and the default answers of the edge."""

import http.client
import json
import socket
import threading

import pytest
import requests

from simhttp import App, Reply, Server


class Echo(App):
    """Answers with what it was handed; some paths answer on purpose oddly."""

    def __init__(self):
        self.seen = []

    def handle(self, method, target, headers, body):
        self.seen.append((method, target))
        if target == "/boom":
            raise RuntimeError("an App bug")
        if target == "/reset":
            return Reply(0, action="reset")
        if target == "/truncate":
            return Reply(200, b"0123456789" * 4, {"Content-Type": "text/plain"}, action="truncate")
        if target == "/no-content":
            return Reply(204, b"ignored")
        if target == "/framing":
            return Reply(200, b"abc", {"Content-Length": "999", "Connection": "close", "Transfer-Encoding": "chunked"})
        if target == "/bad-header":
            return Reply(200, b"x", {"X-Bad": "a\r\nInjected: yes"})
        payload = {"method": method, "target": target, "headers": headers, "body": body.decode("latin-1")}
        return Reply(200, json.dumps(payload).encode(), {"Content-Type": "application/json"})


@pytest.fixture
def served():
    """(app, server, base url): an Echo App on an ephemeral port."""
    app = Echo()
    server = Server(("127.0.0.1", 0), app, server_name="echo/1")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield app, server, "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    assert server.errors == []  # tests that provoke errors take theirs out


def test_the_app_gets_method_target_lower_case_headers_and_the_whole_body(served):
    _app, server, url = served
    answer = requests.post(url + "/p/a?x=1&y=%20", data=iter([b"he", b"llo"]),
                           headers={"X-Thing": "v", "Content-Type": "text/plain"}, timeout=5)
    seen = answer.json()
    assert seen["method"] == "POST" and seen["target"] == "/p/a?x=1&y=%20" and seen["body"] == "hello"
    assert seen["headers"]["x-thing"] == "v" and seen["headers"]["transfer-encoding"] == "chunked"
    assert answer.headers["Server"] == "echo/1" and server.errors == []


def test_repeated_headers_are_joined(served):
    _app, _server, url = served
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Twice: a\r\nX-Twice: b\r\n\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert json.loads(response.read())["headers"]["x-twice"] == "a, b"


def test_edge_refusals_are_plain_text_by_default(served):
    app, _server, url = served
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 400 and response.headers["Content-Type"].startswith("text/plain")
        assert response.read().startswith(b"malformed request")
    assert app.seen == []


def test_an_app_exception_is_a_500_recorded_and_the_connection_lives_on(served):
    _app, server, url = served
    with requests.Session() as session:
        assert session.get(url + "/boom", timeout=5).status_code == 500
        assert session.get(url + "/fine", timeout=5).status_code == 200
    assert len(server.errors) == 1 and "an App bug" in server.errors[0]
    del server.errors[:]


def test_reply_actions_reset_and_truncate(served):
    _app, _server, url = served
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + "/reset", timeout=5)
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(url + "/truncate", timeout=5).content  # pylint: disable=expression-not-assigned
    with pytest.raises(ValueError):
        Reply(200, action="explode")


def test_the_server_owns_framing_and_no_content_has_no_body(served):
    _app, _server, url = served
    with requests.Session() as session:
        answer = session.get(url + "/framing", timeout=5)
        assert answer.content == b"abc" and answer.headers["Content-Length"] == "3"
        assert "Transfer-Encoding" not in answer.headers and "Connection" not in answer.headers
        answer = session.get(url + "/no-content", timeout=5)
        assert answer.status_code == 204 and answer.content == b""


def test_an_unframeable_reply_drops_the_connection_and_is_recorded(served):
    _app, server, url = served
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + "/bad-header", timeout=5)
    assert len(server.errors) == 1 and "LocalProtocolError" in server.errors[0]
    del server.errors[:]


def test_the_base_app_must_be_subclassed():
    with pytest.raises(NotImplementedError):
        App().handle("GET", "/", {}, b"")
