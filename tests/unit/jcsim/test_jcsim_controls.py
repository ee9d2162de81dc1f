"""Test controls: the call log, rate limits (429) and injected faults, in process and over /__sim/."""

import email.utils
import time

import pytest
import requests

NEW_PASSWORD = "Fresh-Horse-9y!"


def put_password(api, user_id, password=NEW_PASSWORD):
    return api.put("/api/systemusers/" + user_id, json={"password": password})


def test_call_log_names_route_user_and_body_fields_never_values(api, sim, alice):
    assert put_password(api, alice).status_code == 200
    call = sim.calls()[-1]
    assert call["route"] == "PUT /api/systemusers/{id}" and call["user_id"] == alice and call["status"] == 200
    assert call["body_fields"] == ["password"] and call["api_key"] is True and call["fault"] is None
    assert NEW_PASSWORD not in repr(sim.calls())
    assert sim.route_counts() == {"PUT /api/systemusers/{id}": 1}
    api.get("/api/nowhere")
    assert sim.calls()[-1]["route"] is None and sim.route_counts()["unrouted"] == 1
    api.post("/__sim/stats")
    assert sim.call_count() == 2  # control calls are not logged


def test_rate_limited_calls_are_429_logged_with_their_route_and_change_nothing(api, sim, alice):
    sim.set_rate_limit(every=2, match="^PUT ")
    answers = [put_password(api, alice, "Fresh-Horse-%dy!" % index).status_code for index in range(4)]
    assert answers == [200, 429, 200, 429]
    assert [(call["route"], call["user_id"], call["fault"]) for call in sim.calls()][1] == (
        "PUT /api/systemusers/{id}", alice, "rate_limit")
    assert sim.write_count(alice) == 2 and sim.stats()["rate_limited"] == 2
    assert api.get("/api/systemusers").status_code == 200  # `match` narrows the limit to PUTs


def test_429_is_plain_text_with_an_optional_retry_after(api, sim):
    sim.set_rate_limit(count=1)
    answer = api.get("/api/systemusers")
    assert answer.status_code == 429 and answer.text == "Too Many Requests" and "Retry-After" not in answer.headers
    assert api.get("/api/systemusers").status_code == 200  # count=1: the next call only
    sim.set_rate_limit(count=1, retry_after=7)
    assert api.get("/api/systemusers").headers["Retry-After"] == "7"
    sim.set_rate_limit(count=1, retry_after=60, http_date=True)
    moment = email.utils.parsedate_to_datetime(api.get("/api/systemusers").headers["Retry-After"]).timestamp()
    assert 50 < moment - time.time() <= 61


def test_rate_limit_fraction_is_reproducible_and_per_second_caps(api, sim):
    def pattern():
        sim.set_rate_limit(fraction=0.3, seed=11)
        return [api.get("/api/systemusers").status_code for _index in range(20)]
    first = pattern()
    assert first == pattern() and 429 in first and 200 in first
    sim.set_rate_limit(per_second=3)
    codes = [api.get("/api/systemusers").status_code for _index in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    sim.clear_rate_limit()
    assert api.get("/api/systemusers").status_code == 200
    with pytest.raises(ValueError):
        sim.set_rate_limit()


def test_error_fault_answers_before_any_change(api, sim, alice):
    sim.inject_fault("error", status=503, count=1, match="^PUT ")
    answer = put_password(api, alice)
    assert answer.status_code == 503 and answer.json()["message"] == "Service Unavailable"
    assert sim.write_count(alice) == 0 and not sim.check_password(alice, NEW_PASSWORD)
    assert sim.calls()[-1]["route"] == "PUT /api/systemusers/{id}" and sim.calls()[-1]["fault"] == "error"
    assert put_password(api, alice).status_code == 200 and sim.write_count(alice) == 1


def test_malformed_fault_makes_the_change_then_spoils_the_body(api, sim, alice):
    sim.inject_fault("malformed", count=1, match="^PUT ")
    answer = put_password(api, alice)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        answer.json()
    assert sim.write_count(alice) == 1 and sim.check_password(alice, NEW_PASSWORD)


def test_truncated_fault_cuts_the_body_short_after_the_change(api, sim, alice):
    sim.inject_fault("truncated", count=1, match="^PUT ")
    with pytest.raises(requests.exceptions.RequestException):
        put_password(api, alice)
    assert sim.write_count(alice) == 1 and sim.calls()[-1]["action"] == "truncate"


def test_reset_fault_drops_the_connection_and_changes_nothing(api, sim, alice):
    sim.inject_fault("reset", count=1, match="^PUT ")
    with pytest.raises(requests.exceptions.ConnectionError):
        put_password(api, alice)
    assert sim.write_count(alice) == 0 and sim.calls()[-1]["status"] is None


def test_slow_fault_answers_late_and_phase_after_changes_first(api, sim, alice):
    sim.inject_fault("slow", seconds=0.4, count=1, match="^GET /api/systemusers$")
    started = time.monotonic()
    assert api.get("/api/systemusers").status_code == 200
    assert time.monotonic() - started >= 0.4
    sim.inject_fault("error", status=502, phase="after", count=1, match="^PUT ")
    assert put_password(api, alice).status_code == 502
    assert sim.write_count(alice) == 1  # the change was made, the answer lost


def test_faults_apply_in_order_one_per_call_and_are_cleared(api, sim):
    sim.inject_fault("error", status=500, count=1)
    sim.inject_fault("error", status=504, count=1)
    assert [api.get("/api/systemusers").status_code for _index in range(3)] == [500, 504, 200]
    sim.inject_fault("error", status=500)
    sim.clear_faults()
    assert api.get("/api/systemusers").status_code == 200
    with pytest.raises(ValueError):
        sim.inject_fault("explode")


def test_controls_over_http(api, sim):
    answer = api.post("/__sim/set_rate_limit", json={"count": 1})
    assert answer.status_code == 200 and answer.json() == {"result": None}
    assert api.get("/api/systemusers").status_code == 429
    assert api.post("/__sim/reset_controls").status_code == 200
    assert sim.calls() == [] and api.get("/api/systemusers").status_code == 200
    assert api.post("/__sim/no_such_control").status_code == 404
    assert api.post("/__sim/set_rate_limit", json={}).status_code == 400
