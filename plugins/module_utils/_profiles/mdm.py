# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""mdm_profile's work: a profile file made (or kept, or removed) as an MDM policy, idempotently.

The connection, secrets and failures are DirectoryModule's (_directory/module.py); the JumpCloud
calls are JumpCloudProfilePolicies'. Private to the collection; runs on the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import base64
import binascii
import hashlib

from .._directory.base import DirectoryError
from .._directory.module import DirectoryModule
from . import writer
from .jumpcloud import JumpCloudProfilePolicies
from .validators import ProfileError


def _profile_text(encoded):
    """The plist text inside a policy's base64 file value ("" when it does not hold a readable profile)."""
    try:
        content, _signer = writer.unwrap(base64.b64decode(encoded or "", validate=True))
        return writer.as_text(content)
    except (ProfileError, binascii.Error, ValueError):
        return ""


class MdmProfile:
    """mdm_profile's run; argument_spec: its own options (the connection ones are DirectoryModule's)."""

    def __init__(self, argument_spec):
        self.dm = DirectoryModule(argument_spec, supports_check_mode=True, required_if=[("state", "present", ("src",))])
        self.module = self.dm.module
        self.params = self.dm.params
        self.api = JumpCloudProfilePolicies(self.dm.directory.client)
        self.diff = []

    def _read_profile(self):
        """The src file's bytes and its plist text, once they proved to be a profile (signed or not)."""
        path = self.params["src"]
        data, _mode = writer.read(path)
        if data is None:
            raise ProfileError("%s does not exist" % path)
        try:
            content, _signer = writer.unwrap(data)
            writer.load(content)
        except ProfileError as exc:
            raise ProfileError("%s is not a configuration profile: %s" % (path, exc))
        return data, writer.as_text(content)

    def _present(self, policy, data, text):
        encoded = base64.b64encode(data).decode("ascii")
        template = self.api.template(self.params["template"])
        field = self.api.file_field(template, self.params["template_field"])
        result = dict(template_id=template["id"], template_field=field["name"], sha256=hashlib.sha256(data).hexdigest())
        value = {"configFieldID": field["id"], "value": encoded}
        notes = self.params["notes"]
        if policy is None:
            result["action"] = "created"
            if not self.module.check_mode:
                policy = self.api.create(self.params["name"], template["id"], [value], notes)
            self.diff.append(dict(before="", after=text, before_header="(no policy)", after_header=self.params["name"]))
        else:
            if policy["template"]["id"] != template["id"]:
                raise ProfileError("policy %r exists with template %s, not %s: rename one of them" % (
                    self.params["name"], policy["template"].get("name"), template["name"]))
            values = policy.get("values") or []
            current = [item for item in values if item.get("configFieldID") == field["id"]]
            same = [item.get("value") for item in current] == [encoded] and notes in (None, policy.get("notes"))
            result["action"] = "unchanged" if same else "updated"
            if not same:
                kept = [dict((key, item[key]) for key in ("configFieldID", "value", "sensitive") if key in item)
                        for item in values if item.get("configFieldID") != field["id"]]
                if not self.module.check_mode:
                    self.api.update(policy["id"], self.params["name"], kept + [value], notes)
                before = _profile_text(current[0].get("value")) if current else ""
                self.diff.append(dict(before=before, after=text, before_header=self.params["name"],
                                      after_header=self.params["name"]))
        result["policy_id"] = policy["id"] if policy else None
        result["changed"] = result["action"] != "unchanged"
        if self.params["device_group"]:
            self._bind(result)
        return result

    def _bind(self, result):
        group = self.api.group(self.params["device_group"])
        bound = self.api.bound_groups(result["policy_id"]) if result["policy_id"] else []
        result.update(device_group_id=group["id"], bound=group["id"] not in bound)
        if result["bound"]:
            result["changed"] = True
            if not self.module.check_mode:
                self.api.bind(result["policy_id"], group["id"])
            self.diff.append(dict(before="", after="bound to device group %s (%s)\n" % (group.get("name"), group["id"]),
                                  before_header="device groups", after_header="device groups"))

    def run(self):
        try:
            profile = self._read_profile() if self.params["state"] == "present" else None  # before any call
            policy = self.api.policy(self.params["name"])
            if profile is None:
                result = dict(changed=policy is not None, action="deleted" if policy else "absent",
                              policy_id=policy["id"] if policy else None)
                if policy:
                    self.diff.append(dict(before="policy %s (%s)\n" % (policy["name"], policy["id"]), after="",
                                          before_header=self.params["name"], after_header="(no policy)"))
                    if not self.module.check_mode:
                        self.api.delete(policy["id"])
            else:
                result = self._present(policy, *profile)
        except (ProfileError, DirectoryError) as exc:
            self.dm.fail(str(exc))
            return
        if self.dm.module._diff and self.diff:  # pylint: disable=protected-access
            result["diff"] = self.diff
        self.module.exit_json(**result)
