# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The directory modules' common ground: connection options, the backend, one user or many.

Modules never speak HTTP or LDAP themselves: they get a backend from here, and every
DirectoryError becomes fail_json with all secrets redacted. Private to the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from .._secrets.redact import redact
from .base import DirectoryError, UserNotFound, run_bounded
from . import ad, jumpcloud

CONNECTION_SPEC = dict(
    provider=dict(type="str", choices=["jumpcloud", "ad"], default="jumpcloud"),
    api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["JUMPCLOUD_API_KEY"])),
    client_id=dict(type="str"),
    client_secret=dict(type="str", no_log=True, fallback=(env_fallback, ["JUMPCLOUD_CLIENT_SECRET"])),
    org_id=dict(type="str"),
    region=dict(type="str", choices=["us", "eu", "in"], default="us"),
    base_url=dict(type="str"),
    oauth_token_url=dict(type="str", no_log=False),
    server=dict(type="str"),
    port=dict(type="int"),
    tls_mode=dict(type="str", choices=["ldaps", "start_tls"], default="ldaps"),
    bind_user=dict(type="str", aliases=["bind_dn"]),
    bind_password=dict(type="str", no_log=True),
    base_dn=dict(type="str"),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
    timeout=dict(type="int", default=30),
    retries=dict(type="int", default=3),
    max_concurrency=dict(type="int", default=8),
)
USER_SPEC = dict(
    user=dict(type="str"),
    users=dict(type="list", elements="str"),
    fail_fast=dict(type="bool", default=False),
)
# Options only one provider reads (not those with an environment fallback: it may be set for the other).
_PROVIDER_OPTIONS = {
    "jumpcloud": ("client_id", "org_id", "base_url", "oauth_token_url"),
    "ad": ("server", "port", "bind_user", "bind_password", "base_dn"),
}


def _batched(identifiers, accepted, batch):
    """(identifier, value, error) for each identifier, as run_bounded gives them, from one batch() call."""
    users, done = [], {}
    for identifier in identifiers:
        try:
            users.append((identifier, accepted(identifier)))
        except DirectoryError as exc:
            done[identifier] = exc
    done.update(batch(users) if users else {})
    return [(identifier, None, done[identifier]) if isinstance(done[identifier], DirectoryError)
            else (identifier, done[identifier], None) for identifier in identifiers]


class DirectoryModule:
    """An AnsibleModule with a directory backend and secret-safe failure."""

    def __init__(self, argument_spec, secret_options=(), provider_options=None, **kwargs):
        """provider_options: {provider: names} of the module's own options that only that provider reads."""
        spec = dict(CONNECTION_SPEC)
        spec.update(argument_spec)
        kwargs.setdefault("mutually_exclusive", []).append(("api_key", "client_id"))
        kwargs.setdefault("required_together", []).append(("client_id", "client_secret"))
        kwargs.setdefault("required_if", []).append(("provider", "ad", ("server", "bind_user", "bind_password")))
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.module.params
        self._secrets = [self.params.get(name) for name in ("api_key", "client_secret", "bind_password") + tuple(secret_options)]
        provider = self.params["provider"]
        owned = list(_PROVIDER_OPTIONS.items()) + list((provider_options or {}).items())
        stray = [name for other, names in owned if other != provider
                 for name in names if self.params.get(name) not in (None, spec[name].get("default"))]
        if stray:
            self.fail("%s: not options of provider %s" % (", ".join(stray), provider))
        if provider == "ad":
            if not ad.HAS_LDAP3:
                self.module.fail_json(msg=missing_required_lib("ldap3"), exception=ad.LDAP3_IMPORT_ERROR)
            self.directory = self.guard(lambda: ad.ADDirectory(ad.build_client(self.params)))
            self.user_facts = ad.user_facts
            self._workers = 1  # one LDAP connection carries the whole run, one operation at a time
        else:
            if not jumpcloud.HAS_REQUESTS:
                self.module.fail_json(msg=missing_required_lib("requests"), exception=jumpcloud.REQUESTS_IMPORT_ERROR)
            self.directory = self.guard(lambda: jumpcloud.JumpCloudDirectory(jumpcloud.build_client(self.params)))
            self.user_facts = jumpcloud.user_facts
            self._workers = self.params["max_concurrency"]

    def add_secret(self, secret):
        if secret:
            self._secrets.append(secret)

    def redact(self, text):
        return redact(text, self._secrets)

    def fail(self, msg, **result):
        self.module.fail_json(msg=self.redact(msg), **result)

    def guard(self, work):
        try:
            return work()
        except DirectoryError as exc:
            self.fail(str(exc))
        return None

    def identifiers(self):
        """The single `user` or the `users` list, as given."""
        if self.params.get("user") is not None:
            return [self.params["user"]]
        return list(self.params.get("users") or [])

    def for_each_user(self, work, identifiers=None, check=None, batch=None):
        """Resolve users (one listing for many), validate them all, then work(identifier, user).

        check(identifier, user) runs for every resolved user before the first work() call,
        so a refusal (a policy violation, say) is known before anything is written; a user
        that fails it is reported and skipped. work runs with bounded concurrency.
        batch, when given, is used instead of work: batch([(identifier, user)]) gets every accepted
        user at once and answers {identifier: what work would return, or a DirectoryError}.
        Returns per-user result dicts {user, id, username, changed, failed, msg, ...}.
        """
        identifiers = identifiers if identifiers is not None else self.identifiers()
        resolved = self.guard(lambda: self.directory.resolve(identifiers))
        for identifier, user in list(resolved.items()):
            if check is not None and isinstance(user, dict):
                try:
                    check(identifier, user)
                except DirectoryError as exc:
                    resolved[identifier] = exc
        # fail_fast: a user already refused here stops the run before its first write.
        refused = self.params["fail_fast"] and any(isinstance(user, DirectoryError) for user in resolved.values())

        def accepted(identifier):
            user = resolved[identifier]
            if isinstance(user, DirectoryError):
                raise user
            if refused:
                raise DirectoryError("skipped: another user failed (fail_fast)")
            return user

        if batch is None:
            outcomes = run_bounded(identifiers, lambda identifier: work(identifier, accepted(identifier)),
                                   self._workers, self.params["fail_fast"])
        else:
            outcomes = _batched(identifiers, accepted, batch)
        results = []
        for identifier, value, error in outcomes:
            entry = {"user": identifier, "changed": False, "failed": error is not None}
            user = resolved.get(identifier)
            if isinstance(user, dict):
                entry.update(id=user.get("_id"), username=user.get("username"))
            if error is not None:
                entry["msg"] = self.redact(str(error))
                entry["not_found"] = isinstance(error, UserNotFound)
            else:
                entry.update(value)
            results.append(entry)
        return results

    def exit_with(self, results, **extra):
        """Single-user form: that user's fields at top level; list form: results plus counts."""
        changed = any(r["changed"] for r in results)
        failed = [r for r in results if r["failed"]]
        if self.params.get("user") is not None:
            result = dict(results[0])
            result.pop("failed")
            msg = result.pop("msg", None)
            result.update(extra)
            if failed:
                self.fail(msg, **result)
            self.module.exit_json(**result)
        summary = dict(total=len(results), changed=sum(1 for r in results if r["changed"]), failed=len(failed))
        if failed:
            self.fail("%d of %d users failed: %s" % (len(failed), len(results), "; ".join(
                "%s: %s" % (r["user"], r["msg"]) for r in failed[:10])), changed=changed, results=results,
                summary=summary, **extra)
        self.module.exit_json(changed=changed, results=results, summary=summary, **extra)
