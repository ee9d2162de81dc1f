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
from . import options, writer
from .jumpcloud import JumpCloudProfilePolicies
from .validators import ProfileError


def _profile_text(encoded):
    """The plist text inside a policy's base64 file value ("" when it does not hold a readable profile)."""
    try:
        content, _signer = writer.unwrap(base64.b64decode(encoded or "", validate=True))
        return writer.as_text(content)
    except (ProfileError, binascii.Error, ValueError):
        return ""


class _Failure(ProfileError):
    """A failure after a write: `result` says what the run left behind."""

    def __init__(self, message, **result):
        super(_Failure, self).__init__(message)
        self.result = result


class _Plan:
    """What a run will do, found by reads only: every name resolved before the first write."""

    def __init__(self):
        self.policy = None        # the existing policy (with its values), or None
        self.template = None      # the template (with its config fields) and the field that takes the profile
        self.field = None
        self.group = None         # the device group to bind to, or None
        self.bound = False        # the existing policy is already bound to it
        self.data = None          # the profile file's bytes and its plist text
        self.text = None


class MdmProfile:
    """mdm_profile's run; argument_spec: its own options (the connection ones are DirectoryModule's).

    Every name (policy, template, its file field, device group) and every existing binding is read
    before the first write, so a name that does not resolve fails the run with nothing written, and
    check mode (which stops right there) predicts what a real run does. The only write that another
    can follow is a create, followed by the binding: when that binding fails, the policy just made
    is deleted again, so no run leaves a new policy unbound.
    """

    def __init__(self, argument_spec):
        self.dm = DirectoryModule(argument_spec, supports_check_mode=True, required_if=[("state", "present", ("src",))],
                                  given_problems=lambda raw: options.option_problems(argument_spec, raw, raw))
        self.module = self.dm.module
        self.params = self.dm.params
        self.api = JumpCloudProfilePolicies(self.dm.directory.client)
        self.diff = []

    def _read_profile(self):
        """The src file's bytes and its plist text, once they proved to be a profile (signed or not)."""
        path = self.params["src"]
        data, _mode = writer.read(path, "src")
        if data is None:
            raise ProfileError("src %s does not exist" % path)
        try:
            content, _signer = writer.unwrap(data)
            writer.load(content)
        except ProfileError as exc:
            raise ProfileError("src %s is not a configuration profile: %s" % (path, exc))
        return data, writer.as_text(content)

    # -- reads ------------------------------------------------------------------------------------
    def _plan(self):
        plan = _Plan()
        present = self.params["state"] == "present"
        if present:
            plan.data, plan.text = self._read_profile()  # before any call
        plan.policy = self.api.policy(self.params["name"])
        if not present:
            return plan
        plan.template = self.api.template(self.params["template"])
        plan.field = self.api.file_field(plan.template, self.params["template_field"])
        if plan.field.get("readOnly"):
            raise ProfileError("config field %s of template %s is read-only: give template_field, a field that takes "
                               "the profile" % (plan.field.get("name"), plan.template.get("name")))
        if plan.policy is not None and plan.policy["template"]["id"] != plan.template["id"]:
            raise ProfileError("policy %r exists with template %s, not %s: rename one of them" % (
                self.params["name"], plan.policy["template"].get("name"), plan.template["name"]))
        if plan.policy is None:
            others = [field.get("name", "?") for field in plan.template.get("configFields") or []
                      if field.get("required") and field.get("id") != plan.field["id"]]
            if others:
                raise ProfileError("template %s also requires config field %s, which mdm_profile does not set: give "
                                   "template, a template whose only required field takes the profile" % (
                                       plan.template.get("name"), ", ".join(others)))
        if self.params["device_group"]:
            plan.group = self.api.group(self.params["device_group"])
            plan.bound = plan.policy is not None and plan.group["id"] in self.api.bound_groups(plan.policy["id"])
        return plan

    # -- writes -----------------------------------------------------------------------------------
    def _found(self, policy, value, template_id):
        """Whether `policy` (read back) holds exactly what this run sends."""
        return (policy is not None and policy["template"]["id"] == template_id
                and value in [dict((key, item.get(key)) for key in ("configFieldID", "value"))
                              for item in policy.get("values") or []])

    def _create(self, template_id, value):
        """Create the policy; an answer lost or refused after the POST reached JumpCloud is settled by reading
        the policy back by name (it did not exist before this run), never by sending the POST again."""
        try:
            policy = self.api.create(self.params["name"], template_id, [value], self.params["notes"])
            if policy and policy.get("id"):
                return policy
            error = None
        except DirectoryError as exc:
            error = exc
        policy = self.api.policy(self.params["name"])
        if self._found(policy, value, template_id):
            return policy
        if error is None:
            raise DirectoryError("creating policy %r: JumpCloud's answer was spoiled and no such policy can be read "
                                 "back; nothing is left to undo: re-run" % self.params["name"])
        raise error

    def _update(self, policy, values, value, template_id):
        try:
            self.api.update(policy["id"], self.params["name"], values, self.params["notes"])
        except DirectoryError:
            if not self._found(self.api.policy(self.params["name"]), value, template_id):
                raise

    def _bind(self, policy_id, group_id):
        try:
            self.api.bind(policy_id, group_id)
        except DirectoryError:
            if group_id not in self.api.bound_groups(policy_id):
                raise

    def _undo_create(self, policy, error):
        """The binding that followed a create failed: delete the policy again, and say so."""
        name = self.params["name"]
        what = "policy %r (%s) was created, but binding it to device group %s failed: %s" % (
            name, policy["id"], self.params["device_group"], error)
        try:
            self.api.delete(policy["id"])
        except DirectoryError as exc:
            try:
                left = self.api.policy(name) is not None
            except DirectoryError:
                left = True
            if left:
                raise _Failure("%s; deleting the policy again failed too (%s): it may be left unbound, and a re-run "
                               "binds it" % (what, exc), changed=True, policy_id=policy["id"], action="created")
        raise _Failure("%s; the policy was deleted again, so nothing is left: re-run once the cause is fixed" % what,
                       changed=False, policy_id=None)

    def _present(self, plan):
        params = self.params
        data, template, field, policy = plan.data, plan.template, plan.field, plan.policy
        encoded = base64.b64encode(data).decode("ascii")
        value = {"configFieldID": field["id"], "value": encoded}
        notes = params["notes"]
        result = dict(template_id=template["id"], template_field=field["name"], sha256=hashlib.sha256(data).hexdigest())
        if policy is None:
            result["action"] = "created"
            self.diff.append(dict(before="", after=plan.text, before_header="(no policy)", after_header=params["name"]))
        else:
            values = policy.get("values") or []
            current = [item for item in values if item.get("configFieldID") == field["id"]]
            same = [item.get("value") for item in current] == [encoded] and notes in (None, policy.get("notes"))
            result["action"] = "unchanged" if same else "updated"
            if not same:
                before = _profile_text(current[0].get("value")) if current else ""
                self.diff.append(dict(before=before, after=plan.text, before_header=params["name"],
                                      after_header=params["name"]))
        if plan.group is not None:
            group = plan.group
            result.update(device_group_id=group["id"], bound=not plan.bound)
            if not plan.bound:
                self.diff.append(dict(before="", after="bound to device group %s (%s)\n" % (group.get("name"), group["id"]),
                                      before_header="device groups", after_header="device groups"))
        result["changed"] = result["action"] != "unchanged" or bool(result.get("bound"))
        result["policy_id"] = policy["id"] if policy else None
        if self.module.check_mode:
            return result
        if result["action"] == "created":
            policy = self._create(template["id"], value)
            result["policy_id"] = policy["id"]
        elif result["action"] == "updated":
            kept = [dict((key, item[key]) for key in ("configFieldID", "value", "sensitive") if key in item)
                    for item in policy.get("values") or [] if item.get("configFieldID") != field["id"]]
            self._update(policy, kept + [value], value, template["id"])
        if result.get("bound"):
            try:
                self._bind(result["policy_id"], plan.group["id"])
            except DirectoryError as exc:
                if result["action"] == "created":
                    self._undo_create(policy, exc)
                raise DirectoryError("%s%s" % (exc, "; the policy's profile was updated first: a re-run binds it"
                                               if result["action"] == "updated" else ""), exc.status)
        return result

    def _absent(self, plan):
        policy = plan.policy
        result = dict(changed=policy is not None, action="deleted" if policy else "absent",
                      policy_id=policy["id"] if policy else None)
        if policy:
            self.diff.append(dict(before="policy %s (%s)\n" % (policy["name"], policy["id"]), after="",
                                  before_header=self.params["name"], after_header="(no policy)"))
            if not self.module.check_mode:
                try:
                    self.api.delete(policy["id"])
                except DirectoryError:
                    if self.api.policy(self.params["name"]) is not None:
                        raise
        return result

    def run(self):
        try:
            plan = self._plan()
            result = self._present(plan) if self.params["state"] == "present" else self._absent(plan)
        except (ProfileError, DirectoryError) as exc:
            self.dm.fail(str(exc), **getattr(exc, "result", {}))
            return
        if self.dm.module._diff and self.diff:  # pylint: disable=protected-access
            result["diff"] = self.diff
        self.module.exit_json(**result)
