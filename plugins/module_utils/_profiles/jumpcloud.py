# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A configuration profile as a JumpCloud custom MDM policy, through JumpCloud's v2 API.

Every call goes through the collection's JumpCloudClient (_directory/jumpcloud.py): auth,
retries and readable errors are its; writes whose answer is not needed are marked so, and a spoiled
answer to them is not taken as a reason to send them again. From JumpCloud's published v2 spec: policies
(GET/POST /policies, GET/PUT/DELETE /policies/{id}), policy templates with their config fields,
policy associations (op add, type system_group) and system groups. Not in the spec, reported by
JumpCloud's own tests and third-party clients (so both are options): the custom profile
template's name, custom_mdm_profile_darwin, and its file field holding the profile as base64.
Private to the collection; runs on the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import re

from .._directory.base import DirectoryError

DEFAULT_TEMPLATE = "custom_mdm_profile_darwin"
PAGE = 100  # v2 lists answer at most 100 records per call
_OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


class JumpCloudProfilePolicies:
    """Custom MDM profile policies of one organisation."""

    def __init__(self, client):
        self.client = client

    def _list(self, path, filters=(), **params):
        """Every record of a v2 list (arrays paged with limit/skip)."""
        records = []
        while True:
            page = self.client.request("GET", path, params=dict(params, filter=list(filters), limit=PAGE,
                                                                skip=len(records))) or []
            records.extend(page)
            if len(page) < PAGE:
                return records

    def _named(self, path, name, what):
        """The one record named exactly `name` (filters may match more loosely), None when there is none."""
        found = [record for record in self._list(path, ["name:eq:" + name]) if record.get("name") == name]
        if len(found) > 1:
            raise DirectoryError("%d JumpCloud %s are named %r (ids %s): rename all but one" % (
                len(found), what, name, ", ".join(record.get("id", "?") for record in found)))
        return found[0] if found else None

    # -- templates ------------------------------------------------------------------------
    def template(self, name):
        """The policy template named `name`, with its config fields."""
        found = self._named("/api/v2/policytemplates", name, "policy templates")
        if found is None:
            raise DirectoryError("no JumpCloud policy template is named %r: give template, the name of your "
                                 "organisation's custom MDM configuration profile template" % name)
        return self.client.request("GET", "/api/v2/policytemplates/" + found["id"])

    @staticmethod
    def file_field(template, name=None):
        """The template's config field that takes the profile: `name`, else its only field shown as a file."""
        fields = template.get("configFields") or []
        if name is not None:
            chosen = [field for field in fields if field.get("name") == name]
        else:
            chosen = [field for field in fields if field.get("displayType") == "file"]
        if len(chosen) != 1:
            raise DirectoryError("template %s has %s; give template_field, one of: %s" % (
                template.get("name"), "no config field named %r" % name if name is not None else
                "%d config fields of type file" % len(chosen), ", ".join(field.get("name", "?") for field in fields)))
        return chosen[0]

    # -- policies ---------------------------------------------------------------------------
    def policy(self, name):
        """The policy named `name` with its values, or None."""
        found = self._named("/api/v2/policies", name, "policies")
        return self.client.request("GET", "/api/v2/policies/" + found["id"]) if found else None

    def create(self, name, template_id, values, notes=None):
        """The new policy as JumpCloud answers it, or None when the answer was spoiled after a 2xx (the
        policy was then made: the caller reads it back by name rather than sending the POST again)."""
        body = {"name": name, "template": {"id": template_id}, "values": values}
        if notes is not None:
            body["notes"] = notes
        return self.client.request("POST", "/api/v2/policies", body=body, write=True)

    def update(self, policy_id, name, values, notes=None):
        body = {"name": name, "values": values}
        if notes is not None:
            body["notes"] = notes
        self.client.request("PUT", "/api/v2/policies/" + policy_id, body=body, write=True)

    def delete(self, policy_id):
        self.client.request("DELETE", "/api/v2/policies/" + policy_id, write=True)

    # -- device groups ------------------------------------------------------------------------
    def group(self, identifier):
        """A device (system) group by id or exact name."""
        if _OBJECT_ID.match(identifier):
            try:
                return self.client.request("GET", "/api/v2/systemgroups/" + identifier)
            except DirectoryError as exc:
                if exc.status != 404:
                    raise
        found = self._named("/api/v2/systemgroups", identifier, "device groups")
        if found is None:
            raise DirectoryError("no JumpCloud device group has the id or name %r" % identifier)
        return found

    def bound_groups(self, policy_id):
        """Ids of the device groups the policy is directly bound to."""
        connections = self._list("/api/v2/policies/%s/associations" % policy_id, targets="system_group")
        return [connection["to"]["id"] for connection in connections]

    def bind(self, policy_id, group_id):
        self.client.request("POST", "/api/v2/policies/%s/associations" % policy_id,
                            body={"op": "add", "type": "system_group", "id": group_id}, write=True)
