"""The v2 policy endpoints: templates, policies (create, read, update, delete), their device-group
associations and the system groups, with the spec's bodies, v2 filters and paging, and strict refusals."""

import base64

import pytest
import requests

from jcsim import JumpCloudSim

PROFILE = base64.b64encode(b"<?xml version='1.0'?><plist version='1.0'><dict/></plist>").decode()
V2 = "/api/v2"


def custom_template(api):
    answer = api.get(V2 + "/policytemplates", params={"filter": "name:eq:custom_mdm_profile_darwin"})
    assert answer.status_code == 200
    (found,) = answer.json()
    details = api.get(V2 + "/policytemplates/" + found["id"]).json()
    return details, {field["name"]: field["id"] for field in details["configFields"]}


def create(api, name="Agent notifications", value=PROFILE, **extra):
    template, fields = custom_template(api)
    body = dict({"name": name, "template": {"id": template["id"]},
                 "values": [{"configFieldID": fields["payload"], "value": value}]}, **extra)
    return api.post(V2 + "/policies", json=body)


def test_templates_are_listed_shallow_and_read_with_their_fields(api):
    answer = api.get(V2 + "/policytemplates", params={"limit": 100})
    names = [template["name"] for template in answer.json()]
    assert {"custom_mdm_profile_darwin", "custom_mdm_profile_ios", "app_notifications_darwin"} <= set(names)
    assert answer.headers["X-Total-Count"] == str(len(names))
    assert all("configFields" not in template for template in answer.json())
    template, fields = custom_template(api)
    assert template["osMetaFamily"] == "darwin" and set(fields) == {"payload", "redispatchPolicy"}
    payload = [field for field in template["configFields"] if field["name"] == "payload"][0]
    assert payload["displayType"] == "file" and payload["required"] is True


@pytest.mark.parametrize("params, status", [
    ({"filter": "name:eq:nothing-like-it"}, 200),
    ({"filter": "name:search:custom_mdm"}, 200),
    ({"filter": "name:in:custom_mdm_profile_ios|app_notifications_darwin"}, 200),
    ({"filter": "name:gt:a"}, 200),
    ({"filter": "name:between:a,d"}, 200),
    ({"filter": "name:between:a"}, 400),
    ({"filter": "name:like:a"}, 400),
    ({"filter": "colour:eq:blue"}, 400),
    ({"filter": "name-only"}, 400),
    ({"limit": 101}, 400),
    ({"fields": "name,bogus"}, 400),
    ({"sort": "-name"}, 200),
    ({"shoe": "size"}, 400),
])
def test_template_listing_filters_and_params(api, params, status):
    answer = api.get(V2 + "/policytemplates", params=params)
    assert answer.status_code == status, answer.text
    if params.get("filter") == "name:search:custom_mdm":
        assert sorted(t["name"] for t in answer.json()) == ["custom_mdm_profile_darwin", "custom_mdm_profile_ios"]
    if params.get("filter", "").startswith("name:in:"):
        assert len(answer.json()) == 2
    if "sort" in params:
        names = [t["name"] for t in answer.json()]
        assert names == sorted(names, reverse=True)


def test_template_by_unknown_or_malformed_id(api):
    assert api.get(V2 + "/policytemplates/" + "0" * 24).status_code == 404
    assert api.get(V2 + "/policytemplates/nope").status_code == 400


def test_policy_lifecycle(api, sim):
    answer = create(api, notes="first")
    assert answer.status_code == 201, answer.text
    policy = answer.json()
    assert set(policy) == {"id", "name", "notes", "template", "values", "configFields"}
    assert policy["values"] == [{"configFieldID": policy["values"][0]["configFieldID"], "sensitive": False,
                                 "value": PROFILE}]
    listed = api.get(V2 + "/policies", params={"filter": "name:eq:Agent notifications"}).json()
    assert [(p["id"], p["template"]["name"]) for p in listed] == [(policy["id"], "custom_mdm_profile_darwin")]
    assert api.get(V2 + "/policies/" + policy["id"]).json() == policy

    changed = base64.b64encode(b"<plist version='1.0'><dict><key>a</key><true/></dict></plist>").decode()
    field = policy["values"][0]["configFieldID"]
    body = {"name": "Agent notifications", "values": [{"configFieldID": field, "value": changed}]}
    answer = api.put(V2 + "/policies/" + policy["id"], json=body)
    assert answer.status_code == 200 and set(answer.json()) == {"id", "name", "template"}
    read = api.get(V2 + "/policies/" + policy["id"]).json()
    assert read["values"][0]["value"] == changed and read["notes"] == "first"

    assert api.call("DELETE", V2 + "/policies/" + policy["id"]).status_code == 204
    assert api.get(V2 + "/policies/" + policy["id"]).status_code == 404
    assert [w["operation"] for w in sim.app.policies.writes] == ["create", "update", "delete"]


@pytest.mark.parametrize("mutate, problem", [
    (lambda body: body.pop("template"), "template: is required"),
    (lambda body: body.pop("name"), "name: is required"),
    (lambda body: body.update(name=""), "name must not be empty"),
    (lambda body: body.update(colour="blue"), "colour: unknown field"),
    (lambda body: body["values"][0].update(value=True), "values[0].value: must be a string"),
    (lambda body: body["values"][0].update(value="not base64!"), "takes a file as base64"),
    (lambda body: body["values"][0].update(configFieldID="0" * 24), "is not a config field"),
    (lambda body: body.update(values=[]), "required field payload is missing"),
    (lambda body: body["values"].append(dict(body["values"][0])), "given more than once"),
    (lambda body: body.update(template={"id": "0" * 24}), "no such policy template"),
])
def test_policy_create_is_strict(api, sim, mutate, problem):
    template, fields = custom_template(api)
    body = {"name": "Strict", "template": {"id": template["id"]},
            "values": [{"configFieldID": fields["payload"], "value": PROFILE}]}
    mutate(body)
    answer = api.post(V2 + "/policies", json=body)
    assert answer.status_code == 400, answer.text
    assert problem in answer.json()["message"]
    assert answer.json()["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    assert sim.app.policies.policies() == [] and sim.app.policies.writes == []


def test_policy_names_are_unique(api):
    assert create(api, name="Twice").status_code == 201
    assert create(api, name="Twice").status_code == 409
    other = create(api, name="Other").json()
    answer = api.put(V2 + "/policies/" + other["id"], json={"name": "Twice"})
    assert answer.status_code == 409


def test_put_needs_a_name_and_keeps_values_when_none_given(api):
    policy = create(api).json()
    assert api.put(V2 + "/policies/" + policy["id"], json={"notes": "x"}).status_code == 400
    assert api.put(V2 + "/policies/" + policy["id"], json={"name": "Renamed"}).status_code == 200
    read = api.get(V2 + "/policies/" + policy["id"]).json()
    assert read["name"] == "Renamed" and read["values"] == policy["values"]


def test_policy_ids_and_methods(api):
    assert api.get(V2 + "/policies/" + "0" * 24).status_code == 404
    assert api.get(V2 + "/policies/not-an-id").status_code == 400
    assert api.patch(V2 + "/policies", json={}).status_code == 405


def test_group_binding(api, sim):
    policy = create(api).json()
    group_id = sim.app.policies.add_group("Engineering Macs")
    path = V2 + "/policies/%s/associations" % policy["id"]
    assert api.get(path).status_code == 400  # targets is required
    assert api.get(path, params={"targets": "user"}).status_code == 400
    assert api.get(path, params={"targets": "system_group"}).json() == []
    add = {"op": "add", "type": "system_group", "id": group_id}
    assert api.post(path, json=add).status_code == 204
    assert api.post(path, json=add).status_code == 409
    connections = api.get(path, params={"targets": "system_group"}).json()
    assert [connection["to"] for connection in connections] == [{"id": group_id, "type": "system_group", "attributes": {}}]
    assert api.get(path, params={"targets": "system"}).json() == []
    assert api.post(path, json=dict(add, id="0" * 24)).status_code == 404
    assert api.post(path, json=dict(add, type="system")).status_code == 404
    assert api.post(path, json=dict(add, op="bind")).status_code == 400
    assert api.post(path, json={"op": "add", "id": group_id}).status_code == 400
    assert api.post(path, json=dict(add, op="remove")).status_code == 204
    assert api.post(path, json=dict(add, op="remove")).status_code == 404
    assert sim.app.policies.bound_groups(policy["id"]) == []


def test_deleting_a_policy_drops_its_bindings(api, sim):
    policy = create(api).json()
    group_id = sim.app.policies.add_group("Sales")
    api.post(V2 + "/policies/%s/associations" % policy["id"], json={"op": "add", "type": "system_group", "id": group_id})
    api.call("DELETE", V2 + "/policies/" + policy["id"])
    assert sim.app.policies.bound_groups(policy["id"]) == []


def test_system_groups(api, sim):
    first = sim.app.policies.add_group("Engineering Macs")
    sim.app.policies.add_group("Sales Macs")
    found = api.get(V2 + "/systemgroups", params={"filter": "name:eq:Engineering Macs"})
    assert [group["id"] for group in found.json()] == [first] and found.headers["X-Total-Count"] == "1"
    group = api.get(V2 + "/systemgroups/" + first).json()
    assert group["type"] == "system_group" and group["name"] == "Engineering Macs"
    assert api.get(V2 + "/systemgroups/" + "0" * 24).status_code == 404
    assert api.get(V2 + "/systemgroups", params={"filter": "email:eq:x"}).status_code == 400
    projected = api.get(V2 + "/systemgroups", params={"fields": "name"}).json()
    assert projected[0] == {"id": first, "name": "Engineering Macs"}


def test_paging(api, sim):
    for index in range(12):
        sim.app.policies.add_group("group-%02d" % index)
    first = api.get(V2 + "/systemgroups").json()
    assert len(first) == 10  # v2's default limit
    rest = api.get(V2 + "/systemgroups", params={"skip": 10, "limit": 100}).json()
    assert [group["name"] for group in rest] == ["group-10", "group-11"]


def test_policies_belong_to_their_organisation():
    with JumpCloudSim(api_key="k" * 40, multi_tenant=True) as sim:
        other = sim.add_org()
        headers = {"x-api-key": "k" * 40, "x-org-id": sim.org_id}
        template = requests.get(sim.url + V2 + "/policytemplates", headers=headers, timeout=10,
                                params={"filter": "name:eq:custom_mdm_profile_darwin"}).json()[0]
        details = requests.get(sim.url + V2 + "/policytemplates/" + template["id"], headers=headers, timeout=10).json()
        field = [f["id"] for f in details["configFields"] if f["name"] == "payload"][0]
        body = {"name": "Mine", "template": {"id": template["id"]}, "values": [{"configFieldID": field, "value": PROFILE}]}
        policy = requests.post(sim.url + V2 + "/policies", json=body, headers=headers, timeout=10).json()
        elsewhere = dict(headers, **{"x-org-id": other})
        assert requests.get(sim.url + V2 + "/policies/" + policy["id"], headers=elsewhere, timeout=10).status_code == 404
        assert requests.get(sim.url + V2 + "/policies", headers=elsewhere, timeout=10).json() == []
        assert requests.get(sim.url + V2 + "/policies", headers={"x-api-key": "k" * 40}, timeout=10).status_code == 401
        assert sim.internal_errors == []


def test_policy_calls_need_a_valid_key(make_api):
    assert make_api(api_key=None).get(V2 + "/policies").status_code == 401
    assert make_api(api_key="b" * 40).get(V2 + "/policytemplates").status_code == 401
