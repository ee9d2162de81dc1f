# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Active Directory over LDAP: one connection per run, and the backend the directory modules use.

Runs on the controller with ldap3 (pure Python: nothing to compile in an execution environment).
The service account binds over LDAPS or StartTLS - AD refuses password writes on a connection that
is not encrypted - and every operation of a run goes over that one connection, one at a time.
AD's refusals become readable errors. Private to the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import datetime
import re
import ssl
import traceback
import uuid

from .base import UNKNOWN_ADVICE, AmbiguousWrite, DirectoryError, PolicyViolation, UnknownOutcome, UserNotFound, with_retries
from .policy import ad_policy_violations

try:
    import ldap3
    from ldap3.core import exceptions as ldap_errors
    from ldap3.utils.conv import escape_filter_chars
    from ldap3.utils.dn import parse_dn
    HAS_LDAP3 = True
    LDAP3_IMPORT_ERROR = None
except ImportError:
    HAS_LDAP3 = False
    LDAP3_IMPORT_ERROR = traceback.format_exc()

# Bits of userAccountControl and of the constructed msDS-User-Account-Control-Computed.
_DISABLED = 0x2
_LOCKED_OUT = 0x10
_PASSWORD_NEVER_EXPIRES = 0x10000
_PASSWORD_EXPIRED = 0x800000
_PASSWORD_COMPLEX = 0x1  # pwdProperties of the domain: DOMAIN_PASSWORD_COMPLEX
_NEVER = 0x7FFFFFFFFFFFFFFF  # a FILETIME meaning "never"
_USERS = "(sAMAccountType=805306368)"  # user accounts: no computers, groups or trusts
_PAGE = 500
_CHUNK = 100  # identifiers looked up per search in the list form
USER_ATTRIBUTES = ("objectGUID", "sAMAccountName", "userPrincipalName", "mail", "displayName", "userAccountControl",
                   "msDS-User-Account-Control-Computed", "lockoutTime", "badPwdCount", "pwdLastSet",
                   "msDS-UserPasswordExpiryTimeComputed", "msDS-ResultantPSO")
# A refused bind is always LDAP 49; only the "data XXX" of AD's message tells why.
_BIND_REFUSALS = {
    "525": "no such account",
    "52e": "wrong password, or no such account",
    "530": "not allowed to log on at this time",
    "531": "not allowed to log on from this workstation",
    "532": "its password has expired",
    "533": "the account is disabled",
    "701": "the account has expired",
    "773": "its password must be changed first",
    "775": "the account is locked out",
}
_GUID = re.compile(r"^\{?[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\}?$", re.IGNORECASE)
_DN = re.compile(r"^\s*(cn|uid)\s*=.+,.*=", re.IGNORECASE)


def _one_line(text):
    return " ".join((text or "").replace("\x00", " ").split())


def _filetime(value):
    """An AD timestamp (100 ns since 1601, UTC) as ISO 8601; None for 0 and "never"."""
    if not value or value >= _NEVER:
        return None
    moment = datetime.datetime(1601, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(microseconds=value // 10)
    return moment.isoformat()


def _dn_key(dn):
    try:
        return ",".join("%s=%s" % (attr.lower(), value.lower()) for attr, value, _sep in parse_dn(dn, strip=True))
    except ldap_errors.LDAPException:
        return dn.lower()


def _match_key(identifier):
    if _GUID.match(identifier):
        return identifier.strip("{}").lower()
    if _DN.match(identifier):
        return _dn_key(identifier)
    return identifier.lower()


def _filter_for(identifier):
    if _GUID.match(identifier):
        return "(objectGUID=%s)" % "".join("\\%02x" % byte for byte in bytearray(uuid.UUID(identifier).bytes_le))
    if _DN.match(identifier):
        return "(distinguishedName=%s)" % escape_filter_chars(identifier)
    value = escape_filter_chars(identifier)
    return "(sAMAccountName=%s)(userPrincipalName=%s)(mail=%s)" % (value, value, value)


def _tls_reason(text):
    found = re.search(r"certificate verify failed: ([^(']+)", text)
    return found.group(1).strip() if found else _one_line(text)[:200]


class ADClient:
    """One LDAP connection to a domain controller: TLS, the service account's bind, readable errors."""

    def __init__(self, server, bind_user, bind_password, port=None, tls_mode="ldaps", base_dn=None,
                 validate_certs=True, ca_path=None, timeout=30, retries=3):
        if not (server and bind_user and bind_password):
            raise DirectoryError("provider ad needs server, bind_user and bind_password")
        self.bind_user = bind_user
        self._bind_password = bind_password
        self._ldaps = tls_mode == "ldaps"
        self._host = server
        self._port = port or (636 if self._ldaps else 389)
        self.where = "%s:%d" % (server, self._port)
        try:
            self._tls = ldap3.Tls(validate=ssl.CERT_REQUIRED if validate_certs else ssl.CERT_NONE,
                                  ca_certs_file=ca_path if validate_certs else None, sni=server)
        except ldap_errors.LDAPSSLConfigurationError as exc:
            raise DirectoryError("ca_path %s: %s" % (ca_path, _one_line(str(exc))))
        self._timeout = timeout
        self._retries = retries
        self.connection = None
        self.reconnect()
        root = self.read("", ("defaultNamingContext",), "reading the root DSE")
        self.naming_context = (root or {}).get("defaultNamingContext", [None])[0]
        self.base_dn = base_dn or self.naming_context

    def reconnect(self):
        """A new connection and bind (with retries), as at the start; after a lost answer the old one is unusable."""
        if self.connection is not None:
            try:
                self.connection.unbind()
            except ldap_errors.LDAPException:
                pass
            self.connection = None
        with_retries(self._open, retries=self._retries, deadline=self._timeout * (self._retries + 1))

    def _open(self):
        # A new Server each attempt: ldap3 skips for a while an address that once failed.
        server = ldap3.Server(self._host, port=self._port, use_ssl=self._ldaps, tls=self._tls, get_info=ldap3.NONE,
                              connect_timeout=self._timeout)
        connection = ldap3.Connection(server, user=self.bind_user, password=self._bind_password,
                                      authentication=ldap3.SIMPLE, raise_exceptions=True, auto_referrals=False,
                                      receive_timeout=self._timeout)
        try:
            connection.open()
            if not self._ldaps:
                connection.start_tls()
            connection.bind()
        except ldap_errors.LDAPException as exc:
            connection.unbind()
            raise self._connect_error(exc)
        self.connection = connection

    def _connect_error(self, exc):
        what = "connecting to %s" % self.where
        text = str(exc)
        if isinstance(exc, ldap_errors.LDAPInvalidCredentialsResult):
            code = (re.search(r"data ([0-9a-f]+)", exc.message or "", re.IGNORECASE) or [None, None])[1]
            reason = _BIND_REFUSALS.get((code or "").lower(), "invalid credentials")
            return DirectoryError("%s: the domain controller refused the bind as %s: %s%s" % (
                what, self.bind_user, reason, " (AD data %s)" % code if code else ""), 49)
        if "doesn't match any name" in text:
            return DirectoryError("%s: the certificate does not name %s; give as server a DNS name the certificate holds"
                                  % (what, self._host))
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            return DirectoryError("%s: the domain controller's certificate was not verified (%s); set ca_path to the CA "
                                  "that issued it (or validate_certs: false in a lab)" % (what, _tls_reason(text)))
        if isinstance(exc, ldap_errors.LDAPOperationResult):
            return self._error(what, exc)
        return DirectoryError("%s failed: %s" % (what, _one_line(text)[:300]), retryable=True)

    def _error(self, what, exc):
        """A DirectoryError (status: the LDAP result code) for a failed operation."""
        if not isinstance(exc, ldap_errors.LDAPOperationResult):
            if isinstance(exc, (ldap_errors.LDAPResponseTimeoutError, ldap_errors.LDAPSocketReceiveError)):
                return DirectoryError("%s: no answer from %s within %ss" % (what, self.where, self._timeout))
            return DirectoryError("%s: %s" % (what, _one_line(str(exc))[:300]))
        code, detail = exc.result, _one_line(exc.message)
        if code == 19 and "0000052D" in detail.upper():
            return DirectoryError("%s: the domain controller refused the password: it breaks the password policy (%s)"
                                  % (what, detail), code)
        if code == 50:
            return DirectoryError("%s: the service account %s lacks the right (insufficient access rights: delegate "
                                  "'Reset password' and write access to pwdLastSet and lockoutTime) (%s)"
                                  % (what, self.bind_user, detail), code)
        if code == 32:
            return DirectoryError("%s: no such object (%s)" % (what, detail), code)
        return DirectoryError("%s: %s (LDAP %d: %s)" % (what, detail or exc.description, code, exc.description), code)

    def read(self, dn, attributes, what):
        """The attributes of one object ({name: [values]}), None when it has no entry for us."""
        try:
            self.connection.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=list(attributes))
        except ldap_errors.LDAPException as exc:
            raise self._error(what, exc)
        for entry in self.connection.response:
            if entry.get("type") == "searchResEntry":
                return entry["attributes"]
        return None

    def search(self, ldap_filter, attributes, what):
        """Every entry under base_dn matching the filter, paged."""
        what = "%s under %s" % (what, self.base_dn)
        try:
            entries = self.connection.extend.standard.paged_search(
                self.base_dn, ldap_filter, search_scope=ldap3.SUBTREE, attributes=list(attributes), paged_size=_PAGE,
                generator=False)
        except ldap_errors.LDAPInvalidFilterError as exc:
            raise DirectoryError("%s: invalid LDAP filter %s (%s)" % (what, ldap_filter, _one_line(str(exc))))
        except ldap_errors.LDAPException as exc:
            raise self._error(what, exc)
        return [entry for entry in entries if entry.get("type") == "searchResEntry"]

    def modify(self, dn, changes, what):
        """One modify; AmbiguousWrite when it was sent and no answer came (the connection failed or timed out)."""
        try:
            self.connection.modify(dn, changes)
        except ldap_errors.LDAPOperationResult as exc:
            raise self._error(what, exc)
        except (ldap_errors.LDAPCommunicationError, ldap_errors.LDAPResponseTimeoutError,
                ldap_errors.LDAPSessionTerminatedByServerError, ldap_errors.LDAPSocketReceiveError) as exc:
            raise AmbiguousWrite(str(self._error(what, exc)),
                                 pending=isinstance(exc, ldap_errors.LDAPResponseTimeoutError))
        except ldap_errors.LDAPException as exc:
            raise self._error(what, exc)


def _first(attributes, name, default=None):
    values = attributes.get(name)
    return values[0] if values else default


def _number(attributes, name):
    value = _first(attributes, name)
    return int(value) if value not in (None, "") else None


def _user(entry):
    """The user record the modules work with (_id, username, account_locked as for every provider)."""
    attributes = entry["attributes"]
    computed = _number(attributes, "msDS-User-Account-Control-Computed")
    lockout_time = _number(attributes, "lockoutTime") or 0
    return {
        "_id": str(uuid.UUID(bytes_le=bytes(_first(attributes, "objectGUID")))),
        "username": _first(attributes, "sAMAccountName"),
        "dn": entry["dn"],
        "user_principal_name": _first(attributes, "userPrincipalName"),
        "email": _first(attributes, "mail"),
        "display_name": _first(attributes, "displayName"),
        "user_account_control": _number(attributes, "userAccountControl") or 0,
        "computed": computed,
        # The computed bit is the truth (a lockout that has run its time is over); lockoutTime is the fallback.
        "account_locked": bool(computed & _LOCKED_OUT) if computed is not None else lockout_time > 0,
        "lockout_time": lockout_time,
        "bad_password_count": _number(attributes, "badPwdCount"),
        "password_last_set": _number(attributes, "pwdLastSet"),
        "password_expiry": _number(attributes, "msDS-UserPasswordExpiryTimeComputed"),
        "pso": _first(attributes, "msDS-ResultantPSO"),
    }


def _describe(policy):
    if policy is None:
        return "unknown (the policy could not be read)"
    return "%s: at least %d characters, complexity %s, the last %d passwords remembered" % (
        policy["source"], policy["min_length"], "on" if policy["complexity"] else "off", policy["history_length"])


class ADDirectory:
    """The directory operations the modules need, on Active Directory."""

    provider = "ad"

    def __init__(self, client):
        self.client = client
        self._policies = {}

    # -- users ----------------------------------------------------------------------------
    def _users(self, ldap_filter, what):
        return [_user(entry) for entry in self.client.search(ldap_filter, USER_ATTRIBUTES, what)]

    def iter_users(self, filters=None):
        """Every user account under base_dn matching all the LDAP filters given."""
        parts = "".join(f if f.startswith("(") else "(%s)" % f for f in filters or [])
        return iter(self._users("(&%s%s)" % (_USERS, parts), "searching users"))

    def find_user(self, identifier):
        """One user by sAMAccountName, userPrincipalName, mail, objectGUID or DN; unknown or ambiguous is an error."""
        user = self.resolve([identifier])[identifier]
        if isinstance(user, DirectoryError):
            raise user
        return user

    def _one(self, identifier, matches):
        if not matches:
            raise UserNotFound("no Active Directory user with sAMAccountName, userPrincipalName, mail, objectGUID or DN "
                               "%r under %s" % (identifier, self.client.base_dn))
        if len(matches) > 1:
            raise DirectoryError("%r is ambiguous: it matches %s" % (identifier, ", ".join(m["dn"] for m in matches)))
        return matches[0]

    def resolve(self, identifiers):
        """{identifier: user or DirectoryError}, from one search per hundred identifiers."""
        unique = list(dict.fromkeys(identifiers))
        index = {}
        for start in range(0, len(unique), _CHUNK):
            wanted = "".join(_filter_for(identifier) for identifier in unique[start:start + _CHUNK])
            for user in self._users("(&%s(|%s))" % (_USERS, wanted), "looking up users"):
                for value in (user["_id"], user["username"], user["user_principal_name"], user["email"]):
                    if value:
                        index.setdefault(value.lower(), {})[user["_id"]] = user
                index.setdefault(_dn_key(user["dn"]), {})[user["_id"]] = user
        resolved = {}
        for identifier in identifiers:
            try:
                resolved[identifier] = self._one(identifier, list(index.get(_match_key(identifier), {}).values()))
            except DirectoryError as exc:
                resolved[identifier] = exc
        return resolved

    # -- policy ---------------------------------------------------------------------------
    def password_policy(self, user):
        """{min_length, complexity, history_length, source} for the user, read once per policy; None if unreadable.

        A fine-grained policy (PSO) that applies to the user wins over the domain's. A PSO the service
        account may not read leaves the check to the domain controller (None).
        """
        key = user["pso"] or ""
        if key not in self._policies:
            self._policies[key] = self._read_pso(key) if key else self._read_domain_policy()
        return self._policies[key]

    def _read_domain_policy(self):
        found = self.client.read(self.client.naming_context, ("minPwdLength", "pwdProperties", "pwdHistoryLength"),
                                 "reading the domain password policy") or {}
        if not found.get("minPwdLength"):
            return None
        return {"min_length": _number(found, "minPwdLength"), "history_length": _number(found, "pwdHistoryLength") or 0,
                "complexity": bool((_number(found, "pwdProperties") or 0) & _PASSWORD_COMPLEX),
                "source": "domain policy"}

    def _read_pso(self, dn):
        names = ("msDS-MinimumPasswordLength", "msDS-PasswordComplexityEnabled", "msDS-PasswordHistoryLength")
        try:
            found = self.client.read(dn, names, "reading the password settings object %s" % dn) or {}
        except DirectoryError as exc:
            if exc.status in (32, 50):
                return None
            raise
        if not found.get(names[0]):
            return None
        return {"min_length": _number(found, names[0]), "history_length": _number(found, names[2]) or 0,
                "complexity": str(_first(found, names[1])).upper() == "TRUE", "source": "fine-grained policy %s" % dn}

    def check_password(self, user, password):
        """Raise PolicyViolation naming every rule the password breaks (nothing is sent).

        Length and complexity are checked here; history is the domain controller's to enforce.
        """
        policy = self.password_policy(user)
        if policy is None:
            return
        broken = ad_policy_violations(password, policy, user["username"], user["display_name"])
        if broken:
            raise PolicyViolation(broken)

    # -- writes ---------------------------------------------------------------------------
    # A modify whose answer is lost (AmbiguousWrite) is resolved by reconnecting and reading the user back:
    # pwdLastSet changed since the lookup means the password was set. Replacing unicodePwd is an administrator's
    # reset - not held to the history rule, and the same password twice leaves the same state - so a modify the
    # read back shows not made is sent once more; an unreadable user leaves the outcome unknown, said so.
    already_set_within = 0  # unused with AD: a reset is never refused as a recent password

    def _settle(self, user, what, changes, settled, exc):
        """Reconnect, read back, send once more if not made: None when done; raises DirectoryError or UnknownOutcome."""
        for attempt in (1, 2):
            try:
                self.client.reconnect()
                found = self.client.read(user["dn"], ("pwdLastSet", "lockoutTime"), "reading %s back" % user["dn"])
            except DirectoryError as failure:
                raise UnknownOutcome("%s; reading the user back failed too (%s): %s may or may not be done; %s" % (
                    exc, failure, what, UNKNOWN_ADVICE))
            if settled(found or {}):
                return
            if attempt == 2:
                raise DirectoryError("%s; read back: not done, so sent again: %s; read back: not done" % (what, exc))
            try:
                self.client.modify(user["dn"], changes, what)
                return
            except AmbiguousWrite as again:
                exc = again

    def set_password(self, user, password, temporary=False):
        """Replace unicodePwd; temporary: pwdLastSet=0 in the same change, so the user must choose a new one at logon.

        Returns {outcome: set, changed: true, note?}.
        """
        changes = {"unicodePwd": [(ldap3.MODIFY_REPLACE, [('"%s"' % password).encode("utf-16-le")])]}
        if temporary:
            changes["pwdLastSet"] = [(ldap3.MODIFY_REPLACE, ["0"])]
        what = "setting the password of %s" % user["dn"]
        before = user["password_last_set"]

        def settled(found):
            value = _number(found, "pwdLastSet")
            # A temporary password from one that was temporary already leaves pwdLastSet at 0: it cannot tell.
            return value is not None and value != before

        try:
            self.client.modify(user["dn"], changes, what)
        except AmbiguousWrite as exc:
            self._settle(user, what, changes, settled, exc)
            return {"outcome": "set", "changed": True, "note": "%s; read back after reconnecting: done" % exc}
        except DirectoryError as exc:
            if exc.status == 19:
                raise DirectoryError("%s; the rules that apply: %s" % (exc, _describe(self.password_policy(user))), exc.status)
            raise
        return {"outcome": "set", "changed": True}

    def unlock(self, user, result=None):
        changes = {"lockoutTime": [(ldap3.MODIFY_REPLACE, ["0"])]}
        what = "unlocking %s" % user["dn"]
        try:
            try:
                self.client.modify(user["dn"], changes, what)
            except AmbiguousWrite as exc:
                self._settle(user, what, changes, lambda found: not _number(found, "lockoutTime"), exc)
        except DirectoryError as exc:
            if result is None:
                raise
            failure = DirectoryError("the password was set, but unlocking the account failed: %s" % exc, exc.status)
            failure.outcome = result["outcome"]
            raise failure


def user_facts(user):
    """What the modules return about an AD user (no secret is ever part of a user record)."""
    uac = user["user_account_control"]
    computed = user["computed"] or 0
    return {
        "id": user["_id"],
        "username": user["username"],
        "email": user["email"],
        "user_principal_name": user["user_principal_name"],
        "dn": user["dn"],
        "display_name": user["display_name"],
        "enabled": not uac & _DISABLED,
        "account_locked": user["account_locked"],
        "account_locked_date": _filetime(user["lockout_time"]) if user["account_locked"] else None,
        "bad_login_attempts": user["bad_password_count"],
        "must_change_password": user["password_last_set"] == 0,
        "password_expired": bool(computed & _PASSWORD_EXPIRED) or user["password_last_set"] == 0,
        "password_date": _filetime(user["password_last_set"]),
        "password_expiration_date": _filetime(user["password_expiry"]),
        "password_never_expires": bool(uac & _PASSWORD_NEVER_EXPIRES),
    }


def build_client(params):
    """An ADClient from the modules' connection options (doc fragment macfleet.credsync.directory)."""
    return ADClient(params.get("server"), params.get("bind_user"), params.get("bind_password"), port=params.get("port"),
                    tls_mode=params.get("tls_mode") or "ldaps", base_dn=params.get("base_dn"),
                    validate_certs=params.get("validate_certs", True), ca_path=params.get("ca_path"),
                    timeout=params.get("timeout") or 30, retries=params.get("retries", 3))
