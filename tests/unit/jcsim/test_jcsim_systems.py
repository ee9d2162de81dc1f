"""Systems and the system-user graph: V1 GET /api/systems (paging, fields, filter, sort, search), GET
/api/systems/{id}, V2 GET /api/v2/systems/{id}/users and /api/v2/users/{id}/systems, and the controls."""

import json

import pytest

# JcSystem's fields in the published V1 spec (those jcsim gives every system by default).
SPEC_FIELDS = {
    "_id", "active", "agentHasFullDiskAccess", "agentVersion", "allowMultiFactorAuthentication",
    "allowPublicKeyAuthentication", "allowSshPasswordAuthentication", "allowSshRootLogin", "arch", "archFamily",
    "attributes", "azureAdJoined", "builtInCommands", "connectionHistory", "created", "description", "desktopCapable",
    "displayManager", "displayName", "domainInfo", "fde", "fileSystem", "hasServiceAccount", "hostname", "hwVendor",
    "isPolicyBound", "lastContact", "mdm", "modifySSHDConfig", "networkInterfaces", "organization", "os", "osFamily",
    "osVersionDetail", "policyStats", "primarySystemUser", "provisionMetadata", "remoteAssistAgentVersion", "remoteIP",
    "secureLogin", "serialNumber", "serviceAccountState", "sshRootEnabled", "sshdParams", "systemInsights",
    "systemTimezone", "templateName", "userMetrics", "version",
}


@pytest.fixture
def fleet(sim):
    """205 Macs bound to 205 users (every 5th without a primary user), a Windows PC and a Linux server."""
    users = sim.seed_users(205)
    macs = sim.seed_systems(205, users=users, no_primary_every=5)
    other = [sim.add_system("win-1", os_family="windows"), sim.add_system("srv-1", os_family="linux")]
    return {"users": users, "macs": macs, "other": other}


def systems(api, **params):
    response = api.get("/api/systems", params=params)
    return response.status_code, response.json()


def test_record_has_the_spec_fields_and_nothing_else(api, fleet):
    record = api.get("/api/systems/" + fleet["macs"][0]).json()
    assert set(record) <= SPEC_FIELDS and {"hostname", "osFamily", "userMetrics", "primarySystemUser", "fde",
                                           "hasServiceAccount", "serviceAccountState", "lastContact"} <= set(record)
    assert record["primarySystemUser"] == {"id": fleet["users"][0]}
    assert record["userMetrics"] == [{"userName": "user00004", "admin": False, "managed": True,
                                      "secureTokenEnabled": True, "suspended": False}]
    assert record["organization"] == api.sim.org_id and record["osFamily"] == "darwin"


def test_list_pages_by_at_most_100_with_total(api, fleet):
    status, body = systems(api)
    assert status == 200 and body["totalCount"] == 207 and len(body["results"]) == 10
    seen = []
    for skip in (0, 100, 200):
        status, body = systems(api, limit=100, skip=skip, sort="_id", fields="hostname")
        assert status == 200 and body["totalCount"] == 207
        seen += [record["_id"] for record in body["results"]]
    assert len(seen) == 207 == len(set(seen)) and seen == sorted(seen)
    assert set(fleet["macs"] + fleet["other"]) == set(seen)


@pytest.mark.parametrize("params", [{"limit": "101"}, {"limit": "0"}, {"limit": "ten"}, {"skip": "-1"},
                                    {"fields": "hostname nosuchfield"}, {"sort": "fde"}, {"sort": "nosuch"},
                                    {"filter": "fde:$eq:true"}, {"filter": "nosuch:$eq:x"},
                                    {"filter": "hasServiceAccount:$eq:yes"}, {"filter": "osFamily:like:dar"},
                                    {"filter": "osFamily"}, {"unknown": "1"}])
def test_list_refuses_what_the_spec_does_not_allow(api, fleet, params):
    status, body = systems(api, **params)
    assert status == 400 and body["message"]
    assert fleet


def test_list_filters_in_both_v1_forms_and_projects_fields(api, fleet):
    for text in ("osFamily:$eq:darwin", "osFamily:eq:darwin"):
        status, body = systems(api, filter=text, limit=100, fields="hostname osFamily")
        assert status == 200 and body["totalCount"] == 205
        assert all(set(record) == {"_id", "hostname", "osFamily"} for record in body["results"])
    status, body = systems(api, filter=["osFamily:$ne:darwin", "hasServiceAccount:$eq:false"], sort="-hostname")
    assert [record["hostname"] for record in body["results"]] == ["win-1", "srv-1"]
    api.sim.set_system_fields(fleet["macs"][3], hostname="alices-mbp", lastContact=None)
    status, body = systems(api, filter="lastContact:$eq:null")
    assert [record["hostname"] for record in body["results"]] == ["alices-mbp"]
    search = json.dumps({"searchTerm": "alices", "fields": ["hostname"]})
    status, body = systems(api, search=search)
    assert status == 200 and body["totalCount"] == 1


def test_one_system_fields_filter_and_bad_ids(api, fleet):
    mac = fleet["macs"][0]
    assert api.get("/api/systems/" + mac, params={"fields": "hostname"}).json() == {"_id": mac, "hostname": "mac-00001"}
    assert api.get("/api/systems/" + mac, params={"filter": "osFamily:$eq:windows"}).status_code == 404
    assert api.get("/api/systems/nothex").status_code == 400
    assert api.get("/api/systems/" + "0" * 24).status_code == 404
    assert api.get("/api/systems/" + mac, params={"limit": "1"}).status_code == 400


def test_graph_system_users(api, fleet):
    mac = fleet["macs"][4]  # the 5th: bound, not primary
    assert api.sim.system(mac)["primarySystemUser"] == {"id": None}
    api.sim.bind_user(mac, fleet["users"][0], admin=True)
    response = api.get("/api/v2/systems/%s/users" % mac)
    assert response.status_code == 200 and response.headers["X-Total-Count"] == "2"
    body = response.json()
    assert [(entry["id"], entry["type"], entry["compiledAttributes"]["sudo"]["enabled"]) for entry in body] == [
        (fleet["users"][4], "user", False), (fleet["users"][0], "user", True)]
    assert body[0]["paths"] == [[{"attributes": body[0]["compiledAttributes"],
                                  "to": {"id": fleet["users"][4], "type": "user"}}]]
    filtered = api.get("/api/v2/systems/%s/users" % mac, params={"filter": "id:eq:%s" % fleet["users"][0]})
    assert [entry["id"] for entry in filtered.json()] == [fleet["users"][0]] and filtered.headers["X-Total-Count"] == "1"
    # Every operator the V2 spec lists (eq, ne, gt, ge, lt, le, between, search, in) is accepted.
    low, high = sorted([fleet["users"][0], fleet["users"][4]])
    for text, expected in [("id:gt:%s" % low, [high]), ("id:ge:%s" % low, [low, high]), ("id:lt:%s" % high, [low]),
                           ("id:le:%s" % low, [low]), ("id:between:%s,%s" % (low, high), [low, high]),
                           ("id:between:%s,%s" % (high, high), [high]), ("id:in:%s|x" % low, [low]),
                           ("id:search:%s" % low[-6:], [low]), ("type:ne:user", [])]:
        answer = api.get("/api/v2/systems/%s/users" % mac, params={"filter": text})
        assert answer.status_code == 200 and sorted(entry["id"] for entry in answer.json()) == expected, text
    metrics = api.sim.system(mac)["userMetrics"]
    assert [(metric["userName"], metric["admin"]) for metric in metrics] == [("user00008", False), ("user00004", True)]


def test_graph_user_systems_pages_by_100(api, fleet):
    user = fleet["users"][0]
    for mac in fleet["macs"][1:150]:
        api.sim.bind_user(mac, user)
    first = api.get("/api/v2/users/%s/systems" % user, params={"limit": "100"})
    second = api.get("/api/v2/users/%s/systems" % user, params={"limit": "100", "skip": "100"})
    assert first.headers["X-Total-Count"] == second.headers["X-Total-Count"] == "150"
    ids = [entry["id"] for entry in first.json() + second.json()]
    assert len(ids) == 150 == len(set(ids)) and all(entry["type"] == "system" for entry in first.json())
    assert len(api.get("/api/v2/users/%s/systems" % user).json()) == 10  # v2's default limit


@pytest.mark.parametrize("path, params, status", [
    ("/api/v2/systems/{mac}/users", {"limit": "101"}, 400),
    ("/api/v2/systems/{mac}/users", {"skip": "-1"}, 400),
    ("/api/v2/systems/{mac}/users", {"filter": "username:eq:x"}, 400),
    ("/api/v2/systems/{mac}/users", {"filter": "id:like:x"}, 400),
    ("/api/v2/systems/{mac}/users", {"filter": "id:between:x"}, 400),
    ("/api/v2/systems/{mac}/users", {"filter[0]": "id:eq:x"}, 400),
    ("/api/v2/systems/{mac}/users", {"fields": "id"}, 400),
    ("/api/v2/systems/nothex/users", {}, 400),
    ("/api/v2/systems/%s/users" % ("0" * 24), {}, 404),
    ("/api/v2/users/nothex/systems", {}, 400),
    ("/api/v2/users/%s/systems" % ("0" * 24), {}, 404),
    ("/api/v2/users/{mac}/systems", {}, 404),  # a system id is not a user id
])
def test_graph_refusals(api, fleet, path, params, status):
    response = api.get(path.format(mac=fleet["macs"][0]), params=params)
    assert response.status_code == status and response.json()["message"]


def test_systems_are_per_organisation(make_api, sim):
    other = sim.add_org()
    sim.add_system("theirs", org_id=other)
    mine = sim.add_system("mine")
    status, body = systems(make_api())
    assert status == 200 and [record["_id"] for record in body["results"]] == [mine]


def test_controls_refuse_unknown_fields_users_and_families(sim):
    with pytest.raises(ValueError):
        sim.add_system("x", nosuchfield=1)
    with pytest.raises(ValueError):
        sim.add_system("x", os_family="beos")
    mac = sim.add_system("x")
    with pytest.raises(ValueError):
        sim.bind_user(mac, "0" * 24)
    with pytest.raises(ValueError):
        sim.system("0" * 24)
    assert sim.control("seed_systems", {"count": 2, "prefix": "pc"}) and len(sim.control("route_counts", {})) == 0
