"""Fixtures for jcsim's own tests: a started simulator and a small HTTP client bound to it."""

import os
import sys

import pytest
import requests

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if TESTS_DIR not in sys.path:  # jcsim lives in tests/; the top conftest adds it too, this keeps us standalone
    sys.path.insert(0, TESTS_DIR)

from jcsim import JumpCloudSim  # noqa: E402  pylint: disable=wrong-import-position

API_KEY = "a" * 40
GOOD_PASSWORD = "Correct-Horse-7x"


class Api:
    """requests bound to a simulator: paths relative to its URL, x-api-key sent unless told otherwise."""

    def __init__(self, sim, api_key=API_KEY, verify=True):
        self.sim = sim
        self.session = requests.Session()
        self.session.verify = verify
        if api_key is not None:
            self.session.headers["x-api-key"] = api_key

    def call(self, method, path, **kwargs):
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.sim.url + path, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def put(self, path, **kwargs):
        return self.call("PUT", path, **kwargs)

    def post(self, path, **kwargs):
        return self.call("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.call("PATCH", path, **kwargs)

    def users(self, **params):
        """GET /api/systemusers -> (status, json)."""
        response = self.get("/api/systemusers", params=params)
        return response.status_code, response.json()


@pytest.fixture
def sim():
    """A started simulator with alice (password GOOD_PASSWORD), bob and carol; no internal errors allowed."""
    with JumpCloudSim(api_key=API_KEY) as server:
        server.add_user("alice", password=GOOD_PASSWORD, department="IT")
        server.add_user("bob", password="Bobs-Own-Pass-42", department="Sales", firstname="Robert")
        server.add_user("carol", department="IT", state="STAGED", activated=False)
        yield server
        assert server.internal_errors == []


@pytest.fixture
def api(sim):  # pylint: disable=redefined-outer-name  # pytest fixtures are named after each other
    return Api(sim)


@pytest.fixture
def make_api(sim):  # pylint: disable=redefined-outer-name
    """make_api(api_key=..., verify=...) -> Api, for calls with another key or none (api_key=None)."""
    return lambda **kwargs: Api(sim, **kwargs)


@pytest.fixture
def api_for():
    """api_for(server, **kwargs) -> Api, for a simulator a test starts itself (test modules cannot import
    from conftest: pytest may have loaded another conftest under that name)."""
    return lambda server, api_key=API_KEY, **kwargs: Api(server, api_key=api_key, **kwargs)


@pytest.fixture
def alice(sim):  # pylint: disable=redefined-outer-name
    """alice's user id."""
    return sim.user_id("alice")


@pytest.fixture
def alice_password():
    return GOOD_PASSWORD
