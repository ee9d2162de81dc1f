"""The JumpCloud client's paging iterators against jcsim: iter_listing (V1 {results, totalCount}) and iter_graph
(V2 arrays), 100 at a time, with the client's retries."""

import pytest

import jcsim
from credsync_testlib import in_collection_tree

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)", allow_module_level=True)

from ansible_collections.macfleet.credsync.plugins.module_utils._directory import jumpcloud  # noqa: E402
from ansible_collections.macfleet.credsync.plugins.module_utils._directory.base import DirectoryError  # noqa: E402


@pytest.fixture(name="sim")
def _sim():
    with jcsim.JumpCloudSim() as server:
        yield server
        assert server.internal_errors == []


def client(sim, retries=3):
    return jumpcloud.JumpCloudClient(sim.url, api_key=sim.api_key, timeout=10, retries=retries)


def test_iter_listing_pages_by_100_sorted_by_id(sim):
    ids = sim.seed_systems(250)
    api = client(sim)
    found = [record["_id"] for record in api.iter_listing("/api/systems", {"fields": "hostname"})]
    assert found == sorted(ids) and api.calls == 3
    queries = [call["query"] for call in sim.calls()]
    assert all("limit=100" in query and "sort=_id" in query for query in queries)
    assert [query.split("skip=")[1].split("&")[0] for query in queries] == ["0", "100", "200"]


def test_iter_graph_stops_at_a_short_page(sim):
    user = sim.add_user("alice")
    systems = sim.seed_systems(200)
    for system_id in systems[:150]:
        sim.bind_user(system_id, user)
    api = client(sim)
    assert len(list(api.iter_graph("/api/v2/users/%s/systems" % user))) == 150 and api.calls == 2
    for system_id in systems[150:]:
        sim.bind_user(system_id, user)
    api = client(sim)
    assert len(list(api.iter_graph("/api/v2/users/%s/systems" % user))) == 200 and api.calls == 3  # then an empty page


def test_paging_survives_rate_limits_and_counts_the_retries(sim):
    sim.seed_systems(300)
    sim.set_rate_limit(every=2, retry_after=0)
    api = client(sim)
    assert len(list(api.iter_listing("/api/systems", {}))) == 300
    assert api.calls == 5 and sim.stats()["rate_limited"] == 2  # 3 pages, 2 of them answered 429 first


def test_a_refused_page_raises(sim):
    api = client(sim)
    with pytest.raises(DirectoryError) as failure:
        list(api.iter_listing("/api/systems", {"filter": ["nosuch:$eq:x"]}))
    assert failure.value.status == 400 and sim.api_key not in str(failure.value)
