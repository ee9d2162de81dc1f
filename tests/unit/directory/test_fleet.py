"""_directory.fleet: system records and bindings made into hosts (the credsync_user rule, groups, facts) and the
reader's choice of graph call, without a server."""

import datetime

import pytest

from credsync_testlib import in_collection_tree

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)", allow_module_level=True)

from ansible_collections.macfleet.credsync.plugins.module_utils._directory import fleet  # noqa: E402

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)
USERS = {"u1": {"_id": "u1", "username": "alice"}, "u2": {"_id": "u2", "username": "bob"},
         "u3": {"_id": "u3", "username": "carol"}, "ua": {"_id": "ua", "username": "itadmin"}}


def system(sid="s1", hostname="mbp-1", primary=None, metrics=(), **fields):
    record = {"_id": sid, "hostname": hostname, "displayName": hostname.upper(), "osFamily": "darwin",
              "lastContact": "2026-06-01T11:30:00.000Z", "fde": {"active": True, "keyPresent": True},
              "hasServiceAccount": True, "serviceAccountState": {"hasSecureToken": True},
              "primarySystemUser": {"id": primary}, "userMetrics": list(metrics), "remoteIP": "203.0.113.9",
              "networkInterfaces": [{"name": "lo0", "family": "IPv4", "address": "127.0.0.1", "internal": True},
                                    {"name": "en0", "family": "IPv6", "address": "fe80::1", "internal": False},
                                    {"name": "en0", "family": "IPv4", "address": "10.1.2.3", "internal": False}]}
    record.update(fields)
    return record


def metric(name, admin=False, token=False):
    return {"userName": name, "admin": admin, "managed": True, "secureTokenEnabled": token, "suspended": False}


def one(systems, bindings=None, **kwargs):
    return fleet.build_hosts(systems, USERS, bindings or {}, now=NOW, **kwargs)


def test_primary_user_wins_and_needs_no_bindings():
    record = system(primary="u1", metrics=[metric("alice", token=True), metric("itadmin", admin=True, token=True)])
    assert not fleet.needs_bindings(record) and fleet.needs_bindings(record, always=True)
    host, = one([record])
    assert host["name"] == "mbp-1" and host["vars"]["credsync_user"] == "alice"
    assert host["vars"]["jumpcloud_secure_token_users"] == ["alice", "itadmin"]
    assert host["vars"]["jumpcloud_admin_users"] == ["itadmin"]
    assert host["vars"]["jumpcloud_primary_user"] == "alice" and "jumpcloud_bound_users" not in host["vars"]
    assert set(host["groups"]) == {"macs", "online", "filevault_on"}


def test_the_one_bound_non_admin_user():
    record = system(metrics=[metric("itadmin", admin=True)])
    bound = {"s1": [{"id": "ua", "admin": False}, {"id": "u2", "admin": False}]}  # itadmin: admin by userMetrics
    host, = one([record], bound)
    assert host["vars"]["credsync_user"] == "bob" and host["vars"]["jumpcloud_bound_users"] == ["bob", "itadmin"]
    bound = {"s1": [{"id": "u1", "admin": True}, {"id": "u2", "admin": False}]}  # alice: admin by sudo
    assert one([system()], bound)[0]["vars"]["credsync_user"] == "bob"


@pytest.mark.parametrize("bound, group, words", [
    ([{"id": "u1", "admin": False}, {"id": "u2", "admin": False}], "user_ambiguous", "2 bound users"),
    ([{"id": "u1", "admin": True}], "no_user", "not an administrator"),
    ([], "no_user", "no bound user"),
    ([{"id": "gone", "admin": False}], "no_user", "no bound user who"),
])
def test_never_guessed(bound, group, words):
    host, = one([system()], {"s1": bound})
    assert "credsync_user" not in host["vars"] and group in host["groups"]
    assert words in host["vars"]["jumpcloud_user_problem"]
    if group == "user_ambiguous":
        assert host["vars"]["jumpcloud_user_candidates"] == ["alice", "bob"]


def test_a_primary_user_the_directory_does_not_know_is_reported():
    host, = one([system(primary="deadbeef")])
    assert "credsync_user" not in host["vars"] and "no_user" in host["groups"]
    assert "deadbeef" in host["vars"]["jumpcloud_user_problem"]


def test_groups_online_window_filevault_service_account():
    records = [system("s1", "a", primary="u1"),
               system("s2", "b", primary="u2", lastContact="2026-05-31T00:00:00Z", fde={"active": False}),
               system("s3", "c", primary="u3", lastContact=None, hasServiceAccount=False),
               system("s4", "d", primary="u3", serviceAccountState={"hasSecureToken": False}),
               system("s5", "e", primary="u3", osFamily="windows")]
    groups = {host["name"]: set(host["groups"]) for host in one(records, online_window=3600)}
    assert groups["a"] == {"macs", "online", "filevault_on"}
    assert groups["b"] == {"macs", "offline", "filevault_off"}
    assert groups["c"] == {"macs", "offline", "filevault_on", "no_service_account"}
    assert groups["d"] == {"macs", "online", "filevault_on", "no_service_account"}
    assert "macs" not in groups["e"]
    assert {host["name"] for host in one(records, online_window=2 * 86400) if "online" in host["groups"]} == {
        "a", "b", "d", "e"}


@pytest.mark.parametrize("source, interface, address", [
    ("hostname", "en0", "mbp-1"), ("remote_ip", "en0", "203.0.113.9"), ("interface", "en0", "10.1.2.3"),
    ("interface", "en7", None)])
def test_ansible_host(source, interface, address):
    host, = one([system(primary="u1")], host_source=source, interface=interface)
    assert host["vars"].get("ansible_host") == address


def test_names_are_unique_and_can_come_from_the_display_name():
    hosts = one([system("s1", "mbp", primary="u1"), system("s2", "mbp", primary="u2"), system("s3", "x", primary="u3")])
    assert [host["name"] for host in hosts] == ["mbp_s1", "mbp_s2", "x"]
    assert [host["name"] for host in one([system(primary="u1")], name_source="display_name")] == ["MBP-1"]


def test_a_made_name_that_is_another_systems_hostname_is_made_unique_too():
    """s3's hostname is what s2's shared name becomes: still three hosts, not two systems merged into one."""
    hosts = one([system("s1", "dup", primary="u1"), system("s2", "dup", primary="u2"),
                 system("s3", "dup_s2", primary="u3")])
    names = [host["name"] for host in hosts]
    assert len(set(names)) == 3 and names[0] == "dup_s1"
    assert [host["vars"]["credsync_user"] for host in hosts] == ["alice", "bob", "carol"]
    nameless = one([system("s4", "", primary="u1"), system("s5", "", primary="u2")])
    assert [host["name"] for host in nameless] == ["s4", "s5"]


class FakeClient:
    """iter_listing / iter_graph over canned data; counts calls as 100-record pages, as the real client does."""

    def __init__(self, systems, users, graph):
        self.systems, self.users, self.graph = systems, users, graph
        self.calls = 0
        self.paths = []

    def iter_listing(self, path, params):
        self.paths.append((path, params))
        records = self.systems if path == "/api/systems" else self.users
        if path == "/api/systems" and "filter" in params:
            family = params["filter"][0].rsplit(":", 1)[1]
            records = [record for record in records if record["osFamily"] == family]
        self.calls += len(records) // 100 + 1
        return iter(records)

    def iter_graph(self, path):
        self.paths.append((path, None))
        self.calls += 1
        return iter(self.graph.get(path, []))


def test_reader_chooses_the_cheaper_graph_call():
    users = [{"_id": "u%d" % n, "username": "user%d" % n} for n in range(3)]
    systems = [system("s%d" % n, "m%d" % n) for n in range(5)]  # none has a primary user
    graph = {"/api/v2/users/u%d/systems" % n: [{"id": "s%d" % n, "type": "system"}, {"id": "s%d" % (n + 3), "type": "system"}]
             for n in range(2)}
    client = FakeClient(systems, users, graph)
    reader = fleet.FleetReader(client)
    found = reader.systems(["darwin"])
    bindings = reader.bindings(found, reader.users())
    assert reader.strategy == "per_user" and client.calls == 1 + 1 + 3
    assert bindings["s0"] == [{"id": "u0", "admin": False}] and bindings["s2"] == [] and bindings["s4"][0]["id"] == "u1"
    client = FakeClient([system("s0", "m0"), system("s1", "m1", primary="u0")], users,
                        {"/api/v2/systems/s0/users": [{"id": "u2", "type": "user",
                                                       "compiledAttributes": {"sudo": {"enabled": True}}}]})
    reader = fleet.FleetReader(client)
    found = reader.systems(["darwin"])
    assert reader.bindings(found, reader.users()) == {"s0": [{"id": "u2", "admin": True}]}
    assert reader.strategy == "per_system" and client.calls == 3


def test_reader_filters_one_family_on_the_server_several_here():
    records = [system("s1", "a"), system("s2", "b", osFamily="windows"), system("s3", "c", osFamily="linux")]
    client = FakeClient(records, [], {})
    assert [r["_id"] for r in fleet.FleetReader(client).systems(["darwin"])] == ["s1"]
    assert client.paths[-1][1]["filter"] == ["osFamily:$eq:darwin"]
    assert [r["_id"] for r in fleet.FleetReader(client).systems(["darwin", "linux"])] == ["s1", "s3"]
    assert "filter" not in client.paths[-1][1]
    assert len(fleet.FleetReader(client).systems([])) == 3
