"""jcsim at the HTTP edge, as a real client meets it: framing (chunked, Content-Length, keep-alive,
100-continue, malformed requests), methods, documented query parameters, bodiless writes, and the
types of integer and date-time fields. Raw sockets where requests would hide what goes on the wire."""

import http.client
import json
import socket
import ssl
import time

import pytest
import requests

from jcsim import JumpCloudSim


class _FileSocket:
    """What http.client.HTTPResponse wants of a socket: one shared buffered reader, so answers that
    arrive together (pipelining, keep-alive) are read in turn."""

    def __init__(self, reader):
        self.reader = reader

    def makefile(self, *_args, **_kwargs):
        return self

    def __getattr__(self, name):  # read, readline, readinto... of the shared reader
        return getattr(self.reader, name)

    def close(self):
        """HTTPResponse closes its file when an answer is read; the connection must outlive it."""


class Raw:
    """A raw HTTP/1.1 connection to the simulator: bytes out, parsed answers in."""

    def __init__(self, sim, context=None):
        host, port = sim.url.split("://")[1].split(":")
        sock = socket.create_connection((host, int(port)), timeout=5)
        self.sock = context.wrap_socket(sock, server_hostname=host) if context else sock
        self.reader = self.sock.makefile("rb")
        self.api_key = sim.api_key

    def send(self, data):
        self.sock.sendall(data)

    def request(self, method, path, headers=(), body=None, chunks=None):
        """Send one request; `chunks` (a list of bytes) sends a chunked body, `body` a Content-Length one."""
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1", "x-api-key: " + self.api_key] + list(headers)
        if chunks is not None:
            lines.append("Transfer-Encoding: chunked")
            payload = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks if chunk) + b"0\r\n\r\n"
        elif body is not None:
            lines.append("Content-Length: %d" % len(body))
            payload = body
        else:
            payload = b""
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)

    def answer(self, method="GET"):
        """(status, headers, body) of the next answer."""
        response = http.client.HTTPResponse(_FileSocket(self.reader), method=method)
        response.begin()
        return response.status, response.headers, response.read()

    def closed(self):
        """True when the server has closed the connection (EOF, or a reset)."""
        try:
            return self.reader.read(1) == b""
        except OSError:
            return True

    def close(self):
        self.reader.close()
        self.sock.close()


@pytest.fixture
def raw(sim):
    connections = []

    def connect(**kwargs):
        connections.append(Raw(sim, **kwargs))
        return connections[-1]
    yield connect
    for connection in connections:
        connection.close()


# --- bodiless POSTs sent chunked, as real clients send them --------------------------------------

BODILESS = ("unlock", "expire", "resetmfa", "state/activate")


@pytest.mark.parametrize("operation", BODILESS)
def test_bodiless_post_with_an_empty_chunked_body_is_accepted_raw(raw, sim, operation):
    user = sim.user_id("carol" if operation == "state/activate" else "alice")
    connection = raw()
    connection.request("POST", "/api/systemusers/%s/%s" % (user, operation), chunks=[])
    status, headers, body = connection.answer("POST")
    assert (status, body) == (200, b"") and headers["Content-Length"] == "0"
    assert sim.writes()[-1]["operation"] == operation.split("/")[-1] and sim.writes()[-1]["user_id"] == user
    # The connection stays usable (keep-alive), the next request on it is answered too.
    connection.request("GET", "/api/systemusers/" + user)
    assert connection.answer()[0] == 200


@pytest.mark.parametrize("operation", BODILESS)
def test_bodiless_post_with_an_empty_chunked_body_is_accepted_from_requests(api, sim, operation):
    user = sim.user_id("carol" if operation == "state/activate" else "alice")
    prepared = api.session.prepare_request(requests.Request("POST", sim.url + "/api/systemusers/%s/%s" % (user, operation),
                                                            data=iter([])))
    assert prepared.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in prepared.headers
    answer = api.session.send(prepared, timeout=10)
    assert answer.status_code == 200 and answer.content == b""
    assert sim.calls()[-1]["status"] == 200 and sim.calls()[-1]["body_bytes"] == 0
    assert len(sim.writes()) == 1


def test_a_chunked_json_body_in_many_chunks_is_read_whole(raw, sim, alice):
    body = json.dumps({"exclusion": True, "exclusionDays": 3}).encode()
    connection = raw()
    connection.request("POST", "/api/systemusers/%s/resetmfa" % alice, ("Content-Type: application/json",),
                       chunks=[body[index:index + 3] for index in range(0, len(body), 3)])
    assert connection.answer("POST")[0] == 200
    assert sim.user(alice)["mfa"] == {"configured": False, "exclusion": True, "exclusionDays": 3}


def test_pipelined_requests_are_answered_in_order(raw, sim, alice):
    connection = raw()
    connection.request("POST", "/api/systemusers/%s/unlock" % alice, chunks=[])
    connection.request("GET", "/api/systemusers/%s?fields=username" % alice)
    connection.request("GET", "/api/nothing")
    assert connection.answer("POST")[0] == 200
    status, _headers, body = connection.answer()
    assert status == 200 and json.loads(body) == {"_id": alice, "username": "alice"}
    assert connection.answer()[0] == 404


def test_expect_100_continue_gets_its_interim_answer(raw, sim, alice):
    connection = raw()
    body = b'{"firstname": "Alice"}'
    connection.send(("PUT /api/systemusers/%s HTTP/1.1\r\nHost: x\r\nx-api-key: %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %d\r\nExpect: 100-continue\r\n\r\n" % (alice, sim.api_key, len(body))).encode())
    assert connection.reader.readline() == b"HTTP/1.1 100 Continue\r\n"
    assert connection.reader.readline() == b"\r\n"
    connection.send(body)
    assert connection.answer("PUT")[0] == 200 and sim.user(alice)["firstname"] == "Alice"


def test_connection_close_and_http_1_0_are_honoured(raw, sim):
    connection = raw()
    connection.request("GET", "/api/systemusers", ("Connection: close",))
    status, headers, _body = connection.answer()
    assert status == 200 and headers["Connection"] == "close" and connection.closed()
    old = raw()
    old.send(("GET /api/systemusers HTTP/1.0\r\nx-api-key: %s\r\n\r\n" % sim.api_key).encode())
    assert old.answer()[0] == 200 and old.closed()


def test_answers_carry_server_and_date(api):
    answer = api.get("/api/systemusers")
    assert answer.headers["Server"] == "jcsim/1.0" and answer.headers["Date"].endswith(" GMT")


# --- malformed requests: refused by the edge, with jcsim's JSON error body ------------------------

@pytest.mark.parametrize("request_bytes, status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /api/systemusers HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n", 400),
    (b"GET /api/systemusers HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
    (b"GET /api/systemusers HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n", 400),
    (b"GET /api/systemusers HTTP/1.1\r\n\r\n", 400),  # HTTP/1.1 requires Host
    (b"POST /api/systemusers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    (b"POST /api/search/systemusers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    (b"GET /api/systemusers HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n", 431),
])
def test_malformed_requests_get_a_json_error_and_a_closed_connection(raw, sim, request_bytes, status):
    connection = raw()
    connection.send(request_bytes)
    answer_status, headers, body = connection.answer()
    assert answer_status == status and headers["Connection"] == "close"
    assert headers["Content-Type"].startswith("application/json") and json.loads(body)["code"] == status
    assert connection.closed()
    assert sim.calls() == []  # never reached the API


def test_a_body_above_the_limit_is_413(raw, sim, alice):
    sim._server.max_body = 64  # pylint: disable=protected-access  # the limit is the server's, not an API control
    connection = raw()
    connection.request("PUT", "/api/systemusers/" + alice, ("Content-Type: application/json",), body=b"{" + b" " * 100 + b"}")
    assert connection.answer("PUT")[0] == 413
    chunked = raw()
    chunked.request("PUT", "/api/systemusers/" + alice, ("Content-Type: application/json",), chunks=[b" " * 40] * 3)
    assert chunked.answer("PUT")[0] == 413
    assert sim.writes() == []


def test_a_client_that_leaves_mid_body_costs_nothing(raw, sim, alice):
    connection = raw()
    connection.send(("PUT /api/systemusers/%s HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{" % alice).encode())
    connection.close()
    time.sleep(0.2)
    assert sim.calls() == [] and sim.internal_errors == []


# --- methods ----------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["FOO", "PROPFIND", "TRACE", "OPTIONS", "DELETE", "PATCH"])
def test_unknown_and_unallowed_methods_on_a_known_path_are_json_405_with_allow(raw, sim, alice, method):
    connection = raw()
    connection.request(method, "/api/systemusers/" + alice)
    status, headers, body = connection.answer(method)
    assert status == 405 and headers["Allow"] == "GET, PUT"
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == {"code": 405, "message": "Method Not Allowed", "status": "Method Not Allowed"}
    assert sim.calls()[-1]["status"] == 405


def test_connect_is_a_json_405_too(raw):
    connection = raw()
    connection.request("CONNECT", "127.0.0.1:1")  # an authority, not a path: no route, and no tunnel either
    status, headers, body = connection.answer("CONNECT")
    assert status == 405 and "Allow" not in headers and json.loads(body)["code"] == 405
    connection.request("GET", "/api/systemusers")  # the refused switch leaves the connection usable
    assert connection.answer()[0] == 200


def test_unknown_method_on_an_unknown_path_is_405_and_a_known_one_is_404(api):
    answer = api.call("FOO", "/api/nowhere")
    assert answer.status_code == 405 and "Allow" not in answer.headers and answer.json()["code"] == 405
    answer = api.call("GET", "/api/nowhere")
    assert answer.status_code == 404 and answer.json()["code"] == 404


def test_method_names_are_case_sensitive(raw, alice):
    connection = raw()
    connection.request("get", "/api/systemusers/" + alice)  # requests would upper-case it
    status, headers, _body = connection.answer()
    assert status == 405 and headers["Allow"] == "GET, PUT"


def test_head_is_405_without_a_body_and_the_connection_is_kept(raw):
    connection = raw()
    connection.request("HEAD", "/api/systemusers")
    status, headers, body = connection.answer("HEAD")
    assert status == 405 and body == b"" and headers["Allow"] == "GET"
    connection.request("GET", "/api/systemusers")
    assert connection.answer()[0] == 200


# --- PUT without a body --------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["content-length-0", "chunked-empty", "json-empty-object"])
def test_put_user_without_a_body_behaves_as_with_an_empty_object(raw, sim, alice, how):
    before = sim.user(alice)
    connection = raw()
    path = "/api/systemusers/" + alice
    if how == "content-length-0":
        connection.request("PUT", path, body=b"")
    elif how == "chunked-empty":
        connection.request("PUT", path, chunks=[])
    else:
        connection.request("PUT", path, ("Content-Type: application/json",), body=b"{}")
    status, _headers, body = connection.answer("PUT")
    assert status == 200 and json.loads(body)["_id"] == alice
    assert sim.user(alice) == before
    assert [(entry["operation"], entry["fields"]) for entry in sim.writes()] == [("put", [])]  # as {} does


def test_put_without_a_body_and_with_an_empty_object_write_alike(api, sim, alice, raw):
    assert api.put("/api/systemusers/" + alice, json={}).status_code == 200
    with_object = sim.writes()
    connection = raw()
    connection.request("PUT", "/api/systemusers/" + alice, body=b"")
    assert connection.answer("PUT")[0] == 200
    assert len(sim.writes()) == 2 * len(with_object)


def test_a_json_null_body_is_refused(api, alice):
    answer = api.put("/api/systemusers/" + alice, data=b"null", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["message"] == "request body must not be null"


# --- documented query parameters ---------------------------------------------------------------

@pytest.fixture
def tenants(api_for):
    """(api, org ids): a multi-tenant key's simulator with organisations beta, Alpha and gamma beside
    the primary one."""
    with JumpCloudSim(multi_tenant=True) as server:
        yield api_for(server, api_key=server.api_key), [server.org_id] + [server.add_org(name=name) for name in ("beta", "Alpha", "gamma")]
        assert server.internal_errors == []


def org_names(api, **params):
    answer = api.get("/api/organizations", params=params)
    assert answer.status_code == 200, answer.text
    return [org["displayName"] for org in answer.json()["results"]], answer.json()["totalCount"]


def test_organizations_sort_and_sort_ignore_case(tenants):
    api, orgs = tenants
    names, total = org_names(api, sort="displayName", limit=10)
    assert total == 4 and names == sorted(names)  # case-sensitive: "Alpha" before "beta"
    names, _total = org_names(api, sortIgnoreCase="-displayName")
    assert names == sorted(names, key=str.casefold, reverse=True)
    assert [name.casefold() for name in org_names(api, sortIgnoreCase="displayName")[0]] == sorted(
        name.casefold() for name in names)
    answer = api.get("/api/organizations", params={"sort": "displayName", "sortIgnoreCase": "displayName"})
    assert answer.status_code == 400
    assert api.get("/api/organizations", params={"sort": "settings"}).status_code == 400  # not a list field
    assert len(orgs) == 4


def test_organizations_filter_and_search(tenants):
    api, orgs = tenants
    assert org_names(api, filter="displayName:$eq:gamma") == (["gamma"], 1)
    assert org_names(api, filter="displayName:eq:gamma") == (["gamma"], 1)  # the $-less form too
    assert org_names(api, **{"filter[or][0]": "displayName:$eq:gamma", "filter[or][1]": "displayName:$eq:beta",
                             "sort": "displayName"}) == (["beta", "gamma"], 2)
    assert org_names(api, filter="_id:$eq:" + orgs[2]) == (["Alpha"], 1)
    search = json.dumps({"searchTerm": "mm", "fields": ["displayName"]})
    assert org_names(api, search=search) == (["gamma"], 1)
    for bad in ({"filter": "settings:$eq:x"}, {"filter": "displayName"}, {"search": "gamma"},
                {"search": json.dumps({"searchTerm": "a", "fields": ["nope"]})}):
        assert api.get("/api/organizations", params=bad).status_code == 400, bad


def test_organization_by_id_takes_fields_and_filter(api, sim):
    path = "/api/organizations/" + sim.org_id
    assert api.get(path, params={"filter": "_id:$eq:" + sim.org_id}).status_code == 200
    answer = api.get(path, params={"filter": "displayName:$eq:no-such-name"})
    assert answer.status_code == 404
    name = api.get(path).json()["displayName"]
    assert api.get(path, params={"filter": "hasCreditCard:$eq:false", "fields": "displayName"}).json() == {
        "_id": sim.org_id, "displayName": name}
    assert api.get(path, params={"filter": "hasCreditCard:$eq:maybe"}).status_code == 400


def test_user_by_id_takes_filter(api, alice):
    path = "/api/systemusers/" + alice
    assert api.get(path, params={"filter": "department:$eq:IT", "fields": "username"}).json() == {
        "_id": alice, "username": "alice"}
    assert api.get(path, params={"filter": "department:$eq:Sales"}).status_code == 404
    assert api.get(path, params={"filter": "nope:$eq:x"}).status_code == 400


@pytest.mark.parametrize("path, param", [
    ("/api/organizations", "sortignorecase"), ("/api/organizations", "q"), ("/api/organizations/{org}", "sort"),
    ("/api/organizations/{org}", "search"), ("/api/systemusers/{user}", "sort"), ("/api/systemusers", "sortIgnoreCase"),
    ("/api/v2/bulk/users/{user}/results", "filter"),
])
def test_undocumented_query_parameters_stay_refused(api, sim, alice, path, param):
    answer = api.get(path.format(org=sim.org_id, user=alice), params={param: "x"})
    assert answer.status_code == 400 and answer.json()["message"] == "unsupported query parameter: " + param


# --- integer and date-time fields --------------------------------------------------------------

NOT_INTEGERS = [1.5, "3", True, None, [3], 3.0]


@pytest.mark.parametrize("value", NOT_INTEGERS)
def test_reset_mfa_exclusion_days_must_be_an_integer(api, sim, alice, value):
    answer = api.post("/api/systemusers/%s/resetmfa" % alice, json={"exclusion": True, "exclusionDays": value})
    assert answer.status_code == 400 and answer.json()["message"] == "exclusionDays: must be an integer"
    assert sim.writes() == []


@pytest.mark.parametrize("field, body", [
    ("mfa.exclusionDays", {"mfa": {"exclusionDays": None}}),
    ("unix_uid", {"unix_uid": None}),
    ("unix_guid", {"unix_guid": None}),
])
@pytest.mark.parametrize("value", NOT_INTEGERS)
def test_integer_fields_of_a_user_update_refuse_non_integers(api, sim, alice, field, body, value):
    body = json.loads(json.dumps(body).replace("null", json.dumps(value)))
    answer = api.put("/api/systemusers/" + alice, json=body)
    assert answer.status_code == 400 and field + ": must be an integer" in answer.json()["message"]
    item = dict(body, id=alice)
    answer = api.patch("/api/v2/bulk/users", json=[item])
    assert answer.status_code == 400 and "[0].%s: must be an integer" % field in answer.json()["message"]
    assert sim.writes() == []


@pytest.mark.parametrize("name", ["limit", "skip"])
@pytest.mark.parametrize("value", [1.5, "3", True])
def test_search_paging_must_be_integers(api, name, value):
    assert api.post("/api/search/systemusers", json={name: value}).status_code == 400


def test_integers_are_accepted(api, sim, alice):
    assert api.post("/api/systemusers/%s/resetmfa" % alice, json={"exclusion": True, "exclusionDays": 7}).status_code == 200
    assert api.put("/api/systemusers/" + alice, json={"unix_uid": 5001, "mfa": {"exclusionDays": 2}}).status_code == 200
    assert sim.user(alice)["unix_uid"] == 5001


GOOD_DATES = ["2030-01-01T00:00:00Z", "2030-01-01t00:00:00z", "2030-01-01T00:00:00.123456Z", "2030-06-30T23:59:60Z",
              "2030-01-01T01:30:00+01:30", "2030-01-01T00:00:00-00:00", "2028-02-29T12:00:00Z"]
BAD_DATES = ["tomorrow", "", "2030-01-01", "2030-01-01T00:00:00", "2030-01-01 00:00:00Z", "20300101T000000Z",
             "2030-W01-1T00:00:00Z", "2030-02-30T00:00:00Z", "2029-02-29T00:00:00Z", "2030-13-01T00:00:00Z",
             "2030-01-01T24:00:00Z", "2030-01-01T00:60:00Z", "2030-01-01T00:00:61Z", "2030-01-01T00:00:00+24:00",
             "2030-01-01T00:00:00+01", "2030-01-01T00:00:00.Z", "2030-01-01T00:00:00Z\n", " 2030-01-01T00:00:00Z",
             "0000-01-01T00:00:00Z", "2030-1-01T00:00:00Z", "2030-01-01T00:00Z", 20300101, None]


@pytest.mark.parametrize("value", GOOD_DATES)
def test_rfc_3339_date_times_are_accepted(api, alice, value):
    answer = api.post("/api/systemusers/%s/resetmfa" % alice, json={"exclusion": True, "exclusionUntil": value})
    assert answer.status_code == 200, value


@pytest.mark.parametrize("value", BAD_DATES)
def test_anything_else_is_not_a_date_time(api, sim, alice, value):
    answer = api.post("/api/systemusers/%s/resetmfa" % alice, json={"exclusion": True, "exclusionUntil": value})
    assert answer.status_code == 400
    expected = "must be a string" if not isinstance(value, str) else "must be an RFC 3339 date-time"
    assert answer.json()["message"] == "exclusionUntil: " + expected
    answer = api.put("/api/systemusers/" + alice, json={"mfa": {"exclusionUntil": value}})
    assert answer.status_code == 400 and answer.json()["message"] == "mfa.exclusionUntil: " + expected
    assert sim.writes() == []


# --- faults still do what they say, over TLS too ---------------------------------------------------

def test_faults_over_tls_reset_truncate_and_slow():
    with JumpCloudSim(tls=True) as sim:
        alice = sim.add_user("alice")
        session = requests.Session()
        session.headers["x-api-key"] = sim.api_key

        def put():  # verify per call: REQUESTS_CA_BUNDLE in the environment would override a session's
            return session.put(sim.url + "/api/systemusers/" + alice, json={"firstname": "Al"}, verify=sim.ca_path,
                               timeout=5)
        sim.inject_fault("reset", count=1)
        with pytest.raises(requests.exceptions.ConnectionError):
            put()
        assert sim.write_count(alice) == 0
        sim.inject_fault("truncated", count=1)
        with pytest.raises(requests.exceptions.RequestException):
            put()
        assert sim.write_count(alice) == 1 and sim.calls()[-1]["action"] == "truncate"
        sim.inject_fault("slow", seconds=0.3, count=1)
        started = time.monotonic()
        assert put().status_code == 200 and time.monotonic() - started >= 0.3
        assert sim.internal_errors == []


def test_truncated_answer_announces_more_than_it_sends(raw, sim, alice):
    sim.inject_fault("truncated", count=1)
    connection = raw()
    connection.request("GET", "/api/systemusers/" + alice)
    response = http.client.HTTPResponse(_FileSocket(connection.reader), method="GET")
    response.begin()
    announced = int(response.headers["Content-Length"])
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert 0 < len(caught.value.partial) == announced // 2


def test_reset_sends_nothing_before_the_rst(raw, sim):
    sim.inject_fault("reset", count=1)
    connection = raw()
    connection.request("POST", "/api/systemusers/%s/unlock" % sim.user_id("alice"), chunks=[])
    with pytest.raises(OSError):
        data = connection.sock.recv(1024)
        if data == b"":
            raise ConnectionResetError("closed without a reset")  # a FIN would not be what jcsim promises
        pytest.fail("bytes were sent before the reset: %r" % data)


def test_stop_closes_idle_keep_alive_connections():
    sim = JumpCloudSim().start()
    connection = Raw(sim)
    connection.request("GET", "/api/systemusers")
    assert connection.answer()[0] == 200
    started = time.monotonic()
    sim.stop()
    assert connection.closed() and time.monotonic() - started < 5
    connection.close()


def test_tls_connection_keeps_alive_and_takes_chunked_bodies():
    with JumpCloudSim(tls=True) as sim:
        alice = sim.add_user("alice")
        connection = Raw(sim, context=ssl.create_default_context(cafile=sim.ca_path))
        for _round in range(2):
            connection.request("POST", "/api/systemusers/%s/unlock" % alice, chunks=[])
            assert connection.answer("POST")[0] == 200
        connection.close()
        assert sim.write_count(alice) == 2
