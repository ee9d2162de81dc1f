# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What both profile modules share: common options, build -> validate -> serialize -> sign ->
compare -> write, with check and diff mode (doc fragment macfleet.credsync.profile).

A profile is only written when it passes the schema check; an existing file holding the same
profile (the same bytes, or the same plist signed by the same certificate) is left alone and
reported changed=false. Private to the collection; runs on the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import hashlib

from ansible.module_utils.basic import missing_required_lib

from .._common.module import CheckedModule

from . import options, schema, signing, writer
from .validators import ProfileError

COMMON_SPEC = dict(
    path=dict(type="path", required=True),
    identifier=dict(type="str"),
    display_name=dict(type="str"),
    description=dict(type="str"),
    organization=dict(type="str"),
    removal_disallowed=dict(type="bool", default=True),
    scope=dict(type="str", choices=["System", "User"], default="System"),
    signing_certificate=dict(type="path"),
    signing_key=dict(type="path", no_log=False),
    signing_key_passphrase=dict(type="str", no_log=True),
    signing_chain=dict(type="path"),
)


def describe_payloads(profile):
    """What the modules return about each payload."""
    return [{"type": payload["PayloadType"], "identifier": payload["PayloadIdentifier"],
             "uuid": payload["PayloadUUID"], "mdm_only": schema.PAYLOADS[payload["PayloadType"]].mdm_only}
            for payload in profile["PayloadContent"]]


class ProfileModule:
    """An AnsibleModule that writes the profile `build(params)` returns (a dictionary)."""

    def __init__(self, argument_spec, build, defaults):
        spec = dict(COMMON_SPEC)
        spec.update(argument_spec)
        for name, value in defaults.items():  # per-module defaults of common options (identifier, ...)
            spec[name] = dict(spec[name], default=value)
        self.module = CheckedModule(lambda raw: options.option_problems(spec, raw, raw), "nothing written: %s",
                                    argument_spec=spec, supports_check_mode=True,
                                    required_together=[("signing_certificate", "signing_key")])
        self.params = self.module.params
        self.build = build

    def _signer(self):
        if not self.params["signing_certificate"]:
            return None
        if not signing.HAS_CRYPTOGRAPHY:
            self.module.fail_json(msg=missing_required_lib("cryptography"), exception=signing.CRYPTOGRAPHY_IMPORT_ERROR)
        return signing.Signer(self.params["signing_certificate"], self.params["signing_key"],
                              self.params["signing_key_passphrase"], self.params["signing_chain"])

    @staticmethod
    def _current(existing, signer):
        """(plist bytes on disk or None, True when the file already holds exactly what we would write)."""
        if existing is None:
            return None, False
        try:
            content, certificate = writer.unwrap(existing)
        except ProfileError:
            return None, False  # not ours to read: it is replaced
        if signer is None:
            return content, certificate is None
        return content, certificate == signer.certificate_der

    def _apply(self, path):
        """Check the target, build, check, compare and (unless in check mode) write; every step may raise
        ProfileError, and all but the last write nothing. (The options were checked as the module started.)"""
        writer.check_target(path)
        profile = self.build(self.params)
        report = schema.validate_profile(profile)
        content = writer.serialize(profile)
        signer = self._signer()
        existing, mode = writer.read(path, "path")
        current, same_form = self._current(existing, signer)
        same = same_form and current == content
        changed = not same or mode != writer.MODE
        if changed and not self.module.check_mode:
            writer.write_atomic(path, existing if same else (signer.sign(content) if signer else content))
        result = dict(changed=changed, path=path, identifier=profile["PayloadIdentifier"], uuid=profile["PayloadUUID"],
                      payloads=describe_payloads(profile), signed=signer is not None,
                      sha256=hashlib.sha256(content).hexdigest(), minimum_macos=report.minimum_macos)
        if self.module._diff:  # pylint: disable=protected-access
            was_signed = current is not None and existing != current
            result["diff"] = dict(before=writer.as_text(current) if current is not None else "",
                                  after=writer.as_text(content),
                                  before_header=path + (" (signed)" if was_signed else ""),
                                  after_header=path + (" (signed)" if signer else ""))
        return result, report.warnings

    def run(self):
        path = self.params["path"]
        try:
            result, warnings = self._apply(path)
        except ProfileError as exc:
            self.module.fail_json(msg="%s: nothing written: %s" % (path, exc), problems=exc.problems)
            return
        for warning in warnings:
            self.module.warn(warning)
        self.module.exit_json(**result)
