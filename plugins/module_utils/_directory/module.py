# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The directory modules' common ground: connection options, the backend, one user or many.

Modules never speak HTTP or LDAP themselves: they get a backend from here, and every
DirectoryError becomes fail_json with all secrets redacted. Private to the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import os
from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback, missing_required_lib

from .._common.module import CheckedModule
from .._common.redact import redact
from .._common.text import control_characters
from .base import DirectoryError, PolicyViolation, UserNotFound, run_bounded
from .progress import ProgressFile
from . import ad, http, jumpcloud, okta

CONNECTION_SPEC = dict(
    provider=dict(type="str", choices=["jumpcloud", "ad", "okta"], default="jumpcloud"),
    api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["JUMPCLOUD_API_KEY"])),
    client_id=dict(type="str"),
    client_secret=dict(type="str", no_log=True, fallback=(env_fallback, ["JUMPCLOUD_CLIENT_SECRET"])),
    org_id=dict(type="str"),
    region=dict(type="str", choices=["us", "eu", "in"], default="us"),
    base_url=dict(type="str"),
    oauth_token_url=dict(type="str", no_log=False),
    org_url=dict(type="str"),
    api_token=dict(type="str", no_log=True, fallback=(env_fallback, ["OKTA_CLIENT_TOKEN"])),
    private_key=dict(type="str", no_log=True),
    private_key_id=dict(type="str", no_log=False),
    scopes=dict(type="list", elements="str"),
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
# Options sent in HTTP headers (or, with Okta, in the signed assertion and the token request): a line break or a
# character outside latin-1 cannot be sent (requests would raise, quoting the value), so they are refused first,
# naming the option and never the value.
_HEADER_OPTIONS = {"jumpcloud": ("api_key", "client_id", "client_secret", "org_id"),
                   "okta": ("api_token", "client_id", "private_key_id")}
# AD options that travel in LDAP messages (UTF-8 there, so any printable character is fine).
_LDAP_OPTIONS = ("server", "bind_user", "bind_password", "base_dn")
_URL_OPTIONS = {"jumpcloud": ("base_url", "oauth_token_url"), "okta": ("org_url",)}
# Options only some providers read (not those with an environment fallback: it may be set for another).
_PROVIDER_OPTIONS = {
    "jumpcloud": ("client_id", "org_id", "base_url", "oauth_token_url"),
    "ad": ("server", "port", "bind_user", "bind_password", "base_dn"),
    "okta": ("client_id", "org_url", "private_key", "private_key_id", "scopes"),
}
# The service-account options each REST provider needs together.
_TOGETHER = {"jumpcloud": ("client_id", "client_secret"), "okta": ("client_id", "private_key")}


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


def _text_problem(value, header):
    """Why an option's text cannot be used (a phrase completing "<option> ..."), or None; never quotes the value."""
    if value.strip() != value and value.strip():
        if "\n" in value or "\r" in value:
            return ("ends or starts with a line break (a YAML | block adds one: use |- or a quoted string); "
                    "it cannot be sent")
        return "starts or ends with white space; it cannot be sent as given"
    if not value.strip():
        return "is empty or blank"
    if "\n" in value or "\r" in value:
        return "contains a line break; it cannot be sent"
    if control_characters(value):
        return "contains a control character; it cannot be sent"
    if header:
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            return "contains a character outside latin-1, which an HTTP header cannot carry"
    return None


def _url_problem(value):
    """Why a base URL cannot be used (a phrase completing "<option> ..."), or None."""
    if control_characters(value) or any(char.isspace() for char in value):
        return "contains white space or a control character"
    try:
        parts = urlsplit(value)
        parts.port  # pylint: disable=pointless-statement  # parsing the port is what validates it
    except ValueError as exc:
        # urlsplit's words (an invalid IPv6 literal, a port out of range) hold no secret: a URL is not one.
        return "is not a valid URL (%s)" % exc
    if not parts.scheme or not parts.netloc:
        return "must be a URL with a scheme and a host, such as https://console.jumpcloud.com"
    if parts.scheme.lower() not in ("https", "http"):
        return "must be an https:// URL (not %s://)" % parts.scheme
    if not parts.hostname:
        return "has no host name"
    if parts.query or parts.fragment or parts.username or parts.password:
        return "must not hold a query, a fragment or credentials"
    return None


def _org_url_mistakes(org_url):
    """The org URL mistakes Okta's SDKs refuse (config_validator): a placeholder, the Admin Console's -admin host,
    a doubled scheme or .com."""
    problems = []
    host = (urlsplit(org_url).hostname or "") if org_url.count("://") == 1 else ""
    if "{" in org_url or "}" in org_url:
        problems.append("org_url still holds a placeholder such as {yourOktaDomain}")
    if org_url.count("://") > 1:
        problems.append("org_url holds :// twice")
    if "-admin." in host:
        problems.append("org_url is the Admin Console's address (-admin); give the org's, such as "
                        "https://example.okta.com")
    if host.endswith(".com.com"):
        problems.append("org_url ends in .com.com")
    return problems


def _okta_problems(params):
    """Okta's own option rules: an org URL, one way to authenticate, a usable key and scopes."""
    problems = []
    if not params.get("org_url"):
        problems.append("org_url is required with provider okta (such as https://example.okta.com)")
    elif urlsplit(params["org_url"]).path.rstrip("/") not in ("",):
        problems.append("org_url must be the org's URL alone (such as https://example.okta.com), without a path")
    if params.get("org_url"):
        problems += _org_url_mistakes(params["org_url"])
    if params.get("api_token") and (params.get("client_id") or params.get("private_key")):
        problems.append("api_token and client_id/private_key are mutually exclusive: give an API token (SSWS) or an "
                        "OAuth service app")
    elif not params.get("api_token") and not params.get("client_id"):
        problems.append("provider okta needs api_token (or OKTA_CLIENT_TOKEN) or client_id and private_key")
    key = params.get("private_key")
    if isinstance(key, str) and not key.strip():
        problems.append("private_key is empty or blank")
    for index, scope in enumerate(params.get("scopes") or []):
        if not scope or any(char.isspace() for char in scope) or control_characters(scope):
            problems.append("scopes[%d] must be one scope name (such as okta.users.manage), without spaces" % index)
    if params.get("scopes") is not None and not params["scopes"]:
        problems.append("scopes is an empty list")
    return problems


def cleartext_warnings(params):
    """A warning per http:// URL option while validate_certs is on (the modules' and the inventory plugin's)."""
    if not params.get("validate_certs", True):
        return []
    return ["%s is http://: the connection is not encrypted, so validate_certs has nothing to verify and credentials "
            "and passwords cross the network in clear text; use https://" % name
            for name in _URL_OPTIONS.get(params.get("provider") or "jumpcloud", ())
            if (params.get(name) or "").lower().startswith("http://")]


def option_problems(params):
    """Every problem with the connection and run options, as "<option> <rule>" texts, before anything is sent."""
    problems = []
    provider = params.get("provider") or "jumpcloud"
    for name in _HEADER_OPTIONS.get(provider, _LDAP_OPTIONS):
        value = params.get(name)
        if isinstance(value, str):
            problem = _text_problem(value, header=provider != "ad")
            if problem:
                problems.append("%s %s" % (name, problem))
    for name in _URL_OPTIONS.get(provider, ()):
        value = params.get(name)
        if value is not None:
            problem = _url_problem(value)
            if problem:
                problems.append("%s %s" % (name, problem))
    if provider in _TOGETHER:
        given = [name for name in _TOGETHER[provider] if params.get(name) is not None]
        if given and len(given) < len(_TOGETHER[provider]):
            problems.append("parameters are required together: %s" % ", ".join(_TOGETHER[provider]))
    if provider == "jumpcloud" and params.get("api_key") and params.get("client_id"):
        problems.append("parameters are mutually exclusive: api_key|client_id")
    if provider == "okta":
        problems += _okta_problems(params)
    if provider == "ad":
        server = params.get("server")
        if server and ("://" in server or "/" in server):
            problems.append("server must be a host name (such as dc1.example.com), not a URL")
        port = params.get("port")
        if port is not None and not 1 <= port <= 65535:
            problems.append("port must be between 1 and 65535")
    ca_path = params.get("ca_path")
    if ca_path is not None and params.get("validate_certs", True):
        if not os.path.exists(ca_path):
            problems.append("ca_path %s does not exist" % ca_path)
        elif not os.path.isfile(ca_path) and (provider == "ad" or not os.path.isdir(ca_path)):
            problems.append("ca_path %s is not a file" % ca_path)
        elif not os.access(ca_path, os.R_OK):
            problems.append("ca_path %s cannot be read" % ca_path)
    if params.get("timeout") is not None and params["timeout"] < 1:
        problems.append("timeout must be at least 1 (seconds)")
    if params.get("retries") is not None and params["retries"] < 0:
        problems.append("retries must be 0 or more")
    if params.get("max_concurrency") is not None and params["max_concurrency"] < 1:
        problems.append("max_concurrency must be at least 1")
    return problems


def identifier_problems(params):
    """Problems with the user identifiers given (`user`, `users`), before anything is sent."""
    problems = []
    given = [("user", params.get("user"))] if params.get("user") is not None else []
    given += [("users[%d]" % index, value) for index, value in enumerate(params.get("users") or [])]
    for name, value in given:
        if value is None or not str(value).strip():
            problems.append("%s is empty" % name)
        elif control_characters(str(value)):
            problems.append("%s contains a control character" % name)
    if params.get("users") is not None and not params["users"]:
        problems.append("users is an empty list")
    return problems


def duplicate_problems(identifiers, resolved=None):
    """The identifiers that name a user an earlier identifier already names: [text], naming both identifiers.

    One check in two stages, each run once on a module's route, because neither can do the other's work:
    - resolved None, before the directory is contacted: the identifiers as typed, ignoring case ("alice" twice,
      "alice" and "ALICE"). It needs no lookup, so it is the cheap first line: refused with the options' other
      problems, even when the directory cannot be reached. directory_password runs it in its own checks.
    - resolved ({identifier: user or error}), after the lookup: the users they name, which catches one user under
      two identifiers no comparison of texts can see (a name and an email, an id and a name).
      DirectoryModule.for_each_user runs it.
    """
    first, problems = {}, []
    for identifier in identifiers:
        if resolved is None:
            key, user = str(identifier).strip().lower(), None
        else:
            user = resolved.get(identifier)
            if not isinstance(user, dict):
                continue  # not found, or refused: reported as that
            key = user.get("_id")
        if key not in first:
            first[key] = identifier
        elif user is not None:
            problems.append("%r and %r are the same user (%s, id %s)" % (
                first[key], identifier, user.get("username"), key))
        elif first[key] == identifier:
            problems.append("%r is given twice" % identifier)
        else:
            problems.append("%r and %r are given, which name one user (names are not case-sensitive)" % (
                first[key], identifier))
    return problems


class DirectoryModule:
    """An AnsibleModule with a directory backend and secret-safe failure."""

    def __init__(self, argument_spec, secret_options=(), provider_options=None, given_problems=None,
                 validated_problems=None, **kwargs):
        """provider_options: {provider: names} of the module's own options that only that provider reads.

        The module's own checks come in two hooks, as they need the options at two different moments; each returns
        [problem] ("<option> <rule>" texts) and any problem fails the run, naming every one:
        - given_problems(raw): the options as the task gave them, before AnsibleModule validates, converts and logs
          them (CheckedModule's early_problems, see _common.module): where a mapping given for a string must be
          refused before it becomes its text, and a NUL before it reaches the log (that one is always checked).
        - validated_problems(dm): the validated options (types converted, suboptions filled in), run with the common
          checks after AnsibleModule and before the directory client is built, so before the directory is first
          contacted; it may register secrets (dm.add_secret) for redaction.
        """
        spec = dict(CONNECTION_SPEC)
        spec.update(argument_spec)
        kwargs.setdefault("required_if", []).append(("provider", "ad", ("server", "bind_user", "bind_password")))
        self.module = CheckedModule(given_problems, argument_spec=spec, **kwargs)
        self.params = self.module.params
        self._secrets = [self.params.get(name) for name in ("api_key", "client_secret", "bind_password", "api_token",
                                                            "private_key") + tuple(secret_options)]
        provider = self.params["provider"]
        owners = {}
        for owner, names in list(_PROVIDER_OPTIONS.items()) + list((provider_options or {}).items()):
            for name in names:
                owners.setdefault(name, set()).add(owner)
        stray = [name for name, who in owners.items() if provider not in who
                 and self.params.get(name) not in (None, spec[name].get("default"))]
        if stray:
            self.fail("%s: not options of provider %s" % (", ".join(stray), provider))
        problems = option_problems(self.params) + identifier_problems(self.params)
        problems += validated_problems(self) if validated_problems is not None else []
        if problems:
            self.fail("; ".join(problems))
        for warning in cleartext_warnings(self.params):
            self.module.warn(warning)
        if provider == "ad":
            if not ad.HAS_LDAP3:
                self.module.fail_json(msg=missing_required_lib("ldap3"), exception=ad.LDAP3_IMPORT_ERROR)
            self.directory = self.guard(lambda: ad.ADDirectory(ad.build_client(self.params)))
            self.user_facts = ad.user_facts
            self._workers = 1  # one LDAP connection carries the whole run, one operation at a time
        else:
            if not http.HAS_REQUESTS:
                self.module.fail_json(msg=missing_required_lib("requests"), exception=http.REQUESTS_IMPORT_ERROR)
            if provider == "okta":
                if self.params.get("private_key") and not okta.HAS_CRYPTOGRAPHY:
                    self.module.fail_json(msg=missing_required_lib("cryptography"),
                                          exception=okta.CRYPTOGRAPHY_IMPORT_ERROR)
                self.directory = self.guard(lambda: okta.OktaDirectory(okta.build_client(self.params)))
                self.user_facts = okta.user_facts
            else:
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

    def for_each_user(self, work, identifiers=None, check=None, batch=None, duplicates="error"):
        """Resolve users (one listing for many), validate them all, then work(identifier, user).

        check(identifier, user) runs for every resolved user before the first work() call,
        so a refusal (a policy violation, say) is known before anything is written; a user
        that fails it is reported and skipped. work runs with bounded concurrency.
        batch, when given, is used instead of work: batch([(identifier, user)]) gets every accepted
        user at once and answers {identifier: what work would return, or a DirectoryError}.
        duplicates: two identifiers naming one user are an "error" that fails the run before anything is
        written (two writes would race), or are worked on "once" (the later ones report same_as). With "error",
        the module's own checks have already refused identifiers typed twice (duplicate_problems(identifiers),
        the cheap first stage); here the users they resolve to are compared.
        Returns per-user result dicts {user, id, username, changed, failed, msg, ...}.
        """
        identifiers = identifiers if identifiers is not None else self.identifiers()
        resolved = self.guard(lambda: self.directory.resolve(list(dict.fromkeys(identifiers))))
        # The second stage of duplicate_problems (the first, on the identifiers as typed, ran before the directory
        # was contacted): the same user under two identifiers. Identifiers typed twice that got past the first
        # stage resolve to one user, so they are refused here too.
        if duplicates == "error":
            same = duplicate_problems(identifiers, resolved)
            if same:
                self.fail("each user may be given once, nothing was written: %s" % "; ".join(same))
        # "once": the first identifier of each user is worked on; each later one is answered from it.
        first_of, copies = {}, []
        for identifier in identifiers:
            user = resolved.get(identifier)
            key = user.get("_id") if isinstance(user, dict) else ("identifier", identifier)
            copies.append(first_of.get(key))
            first_of.setdefault(key, identifier)
        all_identifiers, identifiers = identifiers, [i for i, c in zip(identifiers, copies) if c is None]
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

        # The bulk path answers all users at once: nothing to count on the way.
        progress = self._progress(len(identifiers)) if batch is None else None

        def counted(identifier):
            try:
                value = work(identifier, accepted(identifier))
            except DirectoryError:
                progress.tick(failed=True)
                raise
            progress.tick()
            return value

        if batch is None:
            outcomes = run_bounded(identifiers, counted if progress else lambda i: work(i, accepted(i)),
                                   self._workers, self.params["fail_fast"])
        else:
            outcomes = _batched(identifiers, accepted, batch)
        if progress:
            progress.close()
        results = []
        for identifier, value, error in outcomes:
            entry = {"user": identifier, "changed": False, "failed": error is not None}
            user = resolved.get(identifier)
            if isinstance(user, dict):
                entry.update(id=user.get("_id"), username=user.get("username"))
            if error is not None:
                entry["msg"] = self.redact(str(error))
                entry["not_found"] = isinstance(error, UserNotFound)
                if isinstance(error, PolicyViolation):
                    entry["policy_rules"] = [self.redact(rule) for rule in error.rules]
                # What became of the change: failed (not made), unknown (may or may not be), or set when only a
                # later step (the expiry, the unlock) failed.
                entry["outcome"] = getattr(error, "outcome", None) or "failed"
                # changed: set, or an earlier step of the user's run was made (Okta's unlock before the password).
                entry["changed"] = entry["outcome"] == "set" or getattr(error, "changed", False) is True
            else:
                entry.update(value)
                if entry.get("note"):
                    entry["note"] = self.redact(entry["note"])
            results.append(entry)
        by_identifier = dict((entry["user"], entry) for entry in results)
        answered = []
        for identifier, first in zip(all_identifiers, copies):
            if first is None:
                answered.append(by_identifier[identifier])
            else:
                entry = dict(by_identifier[first], user=identifier, changed=False, same_as=first)
                entry.pop("diff", None)
                answered.append(entry)
        return answered

    def _progress(self, total):
        """A ProgressFile when the task asked for one (progress_path, set by the action plugin), else None."""
        path = self.params.get("progress_path")
        if not path or self.params.get("user") is not None:
            return None
        return ProgressFile(path, total)

    def exit_with(self, results, **extra):
        """Single-user form: that user's fields at top level; list form: results plus counts."""
        for entry in results:
            if entry.get("outcome") == "already_set":
                self.module.warn("%s: %s" % (entry["user"], entry["note"]))
            elif entry.get("outcome") == "unknown":
                self.module.warn("%s: the outcome is unknown: %s" % (entry["user"], entry["msg"]))
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
        if any("outcome" in r for r in results):
            summary["unknown"] = sum(1 for r in results if r.get("outcome") == "unknown")
        if failed:
            self.fail("%d of %d users failed: %s" % (len(failed), len(results), "; ".join(
                "%s: %s" % (r["user"], r["msg"]) for r in failed[:10])), changed=changed, results=results,
                summary=summary, **extra)
        self.module.exit_json(changed=changed, results=results, summary=summary, **extra)
