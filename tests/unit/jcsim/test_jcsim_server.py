"""jcsim's server: life cycle, routing, authentication, content types, TLS and the CLI."""

import json
import os
import socket
import ssl
import subprocess
import sys
import urllib.request

import pytest
import requests

from jcsim import JumpCloudSim

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_start_stop_and_context_manager():
    sim = JumpCloudSim().start()
    try:
        host, port = sim.url.rsplit(":", 1)
        assert host == "http://127.0.0.1" and int(port) > 0
        assert len(sim.api_key) == 40 and len(sim.org_id) == 24
        answer = requests.get(sim.url + "/api/systemusers", headers={"x-api-key": sim.api_key}, timeout=5)
        assert answer.status_code == 200
    finally:
        sim.stop()
    with pytest.raises(RuntimeError):
        sim.url  # pylint: disable=pointless-statement
    with JumpCloudSim() as other:
        assert other.url.startswith("http://127.0.0.1:")


def test_unknown_route_is_404_with_the_error_body(api):
    answer = api.get("/api/nothing-here")
    assert answer.status_code == 404
    assert answer.json() == {"code": 404, "message": "Not Found", "status": "Not Found"}


def test_wrong_method_is_405_with_allow(api, alice):
    answer = api.call("DELETE", "/api/systemusers/" + alice)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "GET, PUT"
    assert answer.json()["code"] == 405


def test_head_gets_no_body(api):
    answer = api.call("HEAD", "/api/systemusers")
    assert answer.status_code == 405 and answer.content == b""


def test_one_trailing_slash_is_ignored(api):
    assert api.get("/api/organizations/").status_code == 200


@pytest.mark.parametrize("api_key, message", [(None, "missing x-api-key"), ("b" * 40, "invalid API key")])
def test_api_key_required(make_api, api_key, message):
    answer = make_api(api_key=api_key).get("/api/systemusers")
    assert answer.status_code == 401
    assert answer.json() == {"code": 401, "message": "Unauthorized: " + message, "status": "Unauthorized"}


def test_bodies_must_be_json(api, alice):
    answer = api.put("/api/systemusers/" + alice, data="firstname=Al", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 415 and answer.json()["code"] == 415
    answer = api.put("/api/systemusers/" + alice, data=b"{not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and "not valid JSON" in answer.json()["message"]
    answer = api.put("/api/systemusers/" + alice, json={"firstname": "Al"}, headers={"Content-Type": "application/json; charset=utf-8"})
    assert answer.status_code == 200


def test_a_body_is_required_where_the_operation_takes_one(api):
    assert api.post("/api/search/systemusers").json()["message"] == "request body is required"
    assert api.patch("/api/v2/bulk/users").status_code == 400


def test_operations_without_a_body_refuse_one(api, alice):
    assert api.post("/api/systemusers/%s/unlock" % alice, json={}).status_code == 200
    assert api.post("/api/systemusers/%s/unlock" % alice, json={"force": True}).status_code == 400


def test_chunked_request_bodies_are_accepted(api, sim, alice):
    answer = api.put("/api/systemusers/" + alice, data=iter([b'{"firstname": ', b'"Al"}']), headers={"Content-Type": "application/json"})
    assert answer.status_code == 200 and sim.user(alice)["firstname"] == "Al"
    assert sim.calls()[-1]["body_bytes"] == len(b'{"firstname": "Al"}')


def test_keep_alive_connection_is_reused(api):
    for _unused in range(3):
        assert api.get("/api/systemusers").status_code == 200
    assert len(api.sim.calls()) == 3


def test_tls_with_the_generated_ca():
    with JumpCloudSim(tls=True) as sim:
        assert sim.url.startswith("https://127.0.0.1:") and os.path.isfile(sim.ca_path)
        headers = {"x-api-key": sim.api_key}
        assert requests.get(sim.url + "/api/systemusers", headers=headers, verify=sim.ca_path, timeout=5).status_code == 200
        # The standard library's strict default context (VERIFY_X509_STRICT on 3.13) accepts it too, by name and by IP.
        context = ssl.create_default_context(cafile=sim.ca_path)
        for base in (sim.url, sim.url.replace("127.0.0.1", "localhost")):
            request = urllib.request.Request(base + "/api/systemusers", headers=headers)
            with urllib.request.urlopen(request, context=context, timeout=5) as answer:
                assert json.load(answer)["totalCount"] == 0
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(sim.url + "/api/systemusers", headers=headers, timeout=5)  # system CAs: not trusted
        ca_path = sim.ca_path
    assert not os.path.exists(ca_path)


def test_tls_server_survives_a_plain_http_client():
    with JumpCloudSim(tls=True) as sim:
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(sim.url.replace("https", "http") + "/api/systemusers", timeout=5)
        answer = requests.get(sim.url + "/api/systemusers", headers={"x-api-key": sim.api_key}, verify=sim.ca_path, timeout=5)
        assert answer.status_code == 200


def test_cli_serve_prints_the_url_and_serves():
    env = dict(os.environ, PYTHONPATH=TESTS_DIR)
    with subprocess.Popen([sys.executable, "-m", "jcsim", "serve", "--users", "25", "--api-key", "k" * 40, "--tls"],
                          stdout=subprocess.PIPE, text=True, env=env) as proc:
        try:
            lines = []
            while not lines or lines[-1] != "ready":
                lines.append(proc.stdout.readline().strip())
            url = lines[0]
            info = dict(line.split("=", 1) for line in lines[1:-1])
            answer = requests.get(url + "/api/systemusers", headers={"x-api-key": "k" * 40}, verify=info["ca_path"], timeout=5)
            assert answer.json()["totalCount"] == 25
            assert info["token_url"] == url + "/oauth2/token" and len(info["org_id"]) == 24
        finally:
            proc.terminate()
            assert proc.wait(timeout=10) == 0


def test_port_is_ephemeral_and_released():
    sim = JumpCloudSim().start()
    port = int(sim.url.rsplit(":", 1)[1])
    sim.stop()
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
