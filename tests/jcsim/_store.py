"""The in-memory directory: organisations, system users, credentials, and the rules that change them.

Passwords are never stored: each user keeps a salted SHA-256 of the current password and of the
previous ones (the history the policy checks). SHA-256 rather than a slow KDF on purpose: 10,000+
users must seed in seconds, and these hashes only ever protect test passwords.
All methods expect the caller to hold `Directory.lock`.
"""

import collections
import copy
import hashlib
import hmac
import os
import secrets
import threading
import time

from ._policy import COMPLIANCE_PRESETS, DEFAULT_PASSWORD_POLICY, complexity_violations, history_depth
from ._util import OBJECT_ID_RE, ApiError, ObjectIds, iso

DAY = 86400.0
HISTORY_KEPT = 25  # maxHistory is at most 24, plus the current password
# Fields whose value moves with the clock (lockout expiry, password expiry): refreshed before use.
TIME_DEPENDENT = frozenset(("account_locked", "account_locked_date", "badLoginAttempts", "password_expired",
                            "password_expiration_date"))


def _digest(salt, password):
    return hashlib.sha256(salt + password.encode("utf-8")).digest()


class PolicyViolation(Exception):
    def __init__(self, violations):
        super().__init__("; ".join(rule for rule, _text in violations))
        self.violations = violations


class User:
    """One system user: `rec` is the public record as the API returns it; the rest is private."""

    __slots__ = ("rec", "org", "salt", "pw_hash", "history", "password_ts", "locked_ts", "locked_by_policy",
                 "last_bad_login_ts", "active_sessions", "sessions_ended", "writes", "expires_at", "exp_key")

    def __init__(self, rec, org):
        self.rec = rec
        self.org = org
        self.salt = self.pw_hash = None
        self.history = []  # [(salt, digest)] of previous passwords, newest first
        self.password_ts = self.locked_ts = self.last_bad_login_ts = self.expires_at = self.exp_key = None
        self.locked_by_policy = False
        self.active_sessions = self.sessions_ended = self.writes = 0

    @property
    def id(self):
        return self.rec["_id"]

    def password_matches(self, password):
        return self.pw_hash is not None and hmac.compare_digest(_digest(self.salt, password), self.pw_hash)

    def recent_hashes(self, depth):
        chain = ([(self.salt, self.pw_hash)] if self.pw_hash is not None else []) + self.history
        return chain[:depth]


class Org:
    def __init__(self, org_id, name, created, policy=None):
        self.id = org_id
        self.name = name
        self.created = created
        self.compliance = "custom"
        self.policy = dict(DEFAULT_PASSWORD_POLICY, effectiveDate=iso(created), **(policy or {}))
        self.policy_version = 0
        # Natural order, as a document store returns records without a sort: every write moves the user
        # to the end (unconfirmed for JumpCloud; it is why JumpCloud advises sort=_id when paging).
        self.users = collections.OrderedDict()
        self.by_username = {}
        # Bumped by every change to a user record, so a sorted listing can be reused while nothing changes
        # (a 10,000-user crawl sorts once, not once per page).
        self.version = 0
        self.sorted_cache = {}

    def effective_policy(self):
        return COMPLIANCE_PRESETS.get(self.compliance, self.policy)

    def record(self):
        """The organization object (V1 `organization`) with the settings a client reads."""
        expiry = self.policy["passwordExpirationInDays"] if self.policy["enablePasswordExpirationInDays"] else 0
        settings = {
            "name": self.name, "contactName": "jcsim admin", "contactEmail": "admin@%s.example" % self.id[-6:],
            "passwordCompliance": self.compliance,
            "passwordPolicy": {key: value for key, value in self.policy.items() if not key.startswith("_")},
            "systemUserPasswordExpirationInDays": expiry,
            "systemUsersCanEdit": True, "requireAdminMFA": False, "disableLdap": False, "disableUM": False,
            "disableGoogleLogin": False, "enableManagedUID": False, "showIntro": False, "maxSystemUsers": 0,
            "newSystemUserStateDefaults": {"applicationImport": "ACTIVATED", "csvImport": "ACTIVATED",
                                           "manualEntry": "ACTIVATED"},
            "userPortal": {"cookieExpirationType": "session", "idleSessionDurationMinutes": 60},
        }
        return {"_id": self.id, "displayName": self.name, "created": iso(self.created), "logoUrl": "",
                "accessRestriction": "", "provider": "", "hasCreditCard": False, "hasStripeCustomerId": False,
                "settings": settings}


def _new_record(user_id, org_id, username, created, uid, fields):
    """A systemuserreturn with every field of the spec; fresh containers per user (never shared)."""
    rec = {
        "_id": user_id, "username": username, "email": "%s@example.test" % username,
        "firstname": username.capitalize(), "lastname": "Test", "middlename": "", "displayname": "",
        "account_locked": False, "account_locked_date": None, "activated": True, "badLoginAttempts": 0,
        "password_date": None, "password_expiration_date": None, "password_expired": False,
        "password_never_expires": False, "state": "ACTIVATED", "suspended": False, "totp_enabled": False,
        "mfa": {"configured": False, "exclusion": False},
        "mfaEnrollment": {key: "NOT_ENROLLED" for key in ("overallStatus", "totpStatus", "pushStatus",
                                                          "webAuthnStatus", "jcGoStatus")},
        "created": iso(created), "creationSource": "jumpcloud:bulk", "organization": org_id,
        "addresses": [], "attributes": [], "phoneNumbers": [], "relationships": [], "restrictedFields": [],
        "ssh_keys": [], "admin": None, "delegatedAuthority": None,
        "recoveryEmail": {"address": "", "verified": False},
        "allow_public_key": True, "alternateEmail": "", "company": "", "costCenter": "", "department": "",
        "description": "", "disableDeviceMaxLoginAttempts": False, "employeeIdentifier": "", "employeeType": "",
        "enable_managed_uid": False, "enable_user_portal_multifactor": False, "external_dn": "",
        "external_password_expiration_date": "", "external_source_type": "", "externally_managed": False,
        "jobTitle": "", "ldap_binding_user": False, "location": "", "managedAppleId": "", "manager": "",
        "passwordless_sudo": False, "public_key": "", "samba_service_user": False, "sudo": False,
        "unix_guid": uid, "unix_uid": uid,
    }
    if fields:
        unknown = set(fields) - set(rec)
        if unknown:
            raise ValueError("unknown user fields: %s" % ", ".join(sorted(unknown)))
        rec.update(fields)
    return rec


class Directory:
    def __init__(self, org_id=None, org_name="jcsim", policy=None):
        self.lock = threading.RLock()
        self.clock_offset = 0.0
        self.ids = ObjectIds()
        self.orgs = {}
        self.users = {}  # every org's users by _id
        self.write_log = []
        self.next_uid = 5000
        self.primary = self.add_org(org_id, org_name, policy)

    def now(self):
        return time.time() + self.clock_offset

    # --- organisations and users -------------------------------------------------------------

    def add_org(self, org_id=None, name=None, policy=None):
        org_id = org_id or self.ids.new(self.now())
        if not OBJECT_ID_RE.match(org_id):
            raise ValueError("an organisation id is 24 lower-case hex characters")
        if org_id in self.orgs:
            raise ValueError("organisation exists")
        org = Org(org_id, name or "jcsim-%s" % org_id[-6:], self.now() - 400 * DAY, policy)
        self.orgs[org_id] = org
        return org

    def add_user(self, org, username, password=None, created=None, **fields):
        if username in org.by_username:
            raise ValueError("username exists in this organisation")
        created = self.now() - 60 * DAY if created is None else created
        user_id = self.ids.new(created)
        self.next_uid += 1
        user = User(_new_record(user_id, org.id, username, created, self.next_uid, fields), org)
        if password is not None:
            self._store_password(user, password, created)
        else:
            # A password nobody knows: set long ago, matches nothing.
            user.password_ts = created
            user.rec["password_date"] = iso(created)
        org.users[user_id] = None
        org.version += 1
        org.by_username[username] = user
        self.users[user_id] = user
        return user

    def seed(self, org, count, password=None, prefix="user"):
        """`count` users named PREFIX00001...; all share `password` (each with its own salt) or none."""
        start = len(org.users)
        width = max(5, len(str(start + count)))
        created = self.now() - 60 * DAY
        return [self.add_user(org, "%s%0*d" % (prefix, width, start + index + 1), password, created).id
                for index in range(count)]

    def find(self, org, user_id):
        user = self.users.get(user_id)
        if user is None or (org is not None and user.org is not org):
            raise ApiError(404, "User not found")
        return user

    # --- time-dependent state ----------------------------------------------------------------

    def refresh(self, user):
        """Apply what the clock changed since the last look: lockout expiry, counter reset, password expiry."""
        now = self.now()
        policy = user.org.effective_policy()
        rec = user.rec
        if (rec["account_locked"] and user.locked_by_policy and policy.get("enableLockoutTimeInSeconds")
                and now - user.locked_ts >= policy["lockoutTimeInSeconds"]):
            self._clear_lock(user)
        if (rec["badLoginAttempts"] and not rec["account_locked"] and policy.get("enableResetLockoutCounter")
                and user.last_bad_login_ts is not None and now - user.last_bad_login_ts >= policy["resetLockoutCounterMinutes"] * 60):
            rec["badLoginAttempts"] = 0
        key = (user.password_ts, user.org.policy_version, user.org.compliance, rec["password_never_expires"])
        if key != user.exp_key:
            user.exp_key = key
            user.expires_at = None
            if policy.get("enablePasswordExpirationInDays") and not rec["password_never_expires"] and user.password_ts:
                user.expires_at = user.password_ts + policy["passwordExpirationInDays"] * DAY
            rec["password_expiration_date"] = iso(user.expires_at)
        if user.expires_at is not None and now >= user.expires_at:
            rec["password_expired"] = True
        return user

    # --- changes -----------------------------------------------------------------------------

    def _store_password(self, user, password, when):
        if user.pw_hash is not None:
            user.history.insert(0, (user.salt, user.pw_hash))
            del user.history[HISTORY_KEPT:]
        user.salt = os.urandom(16)
        user.pw_hash = _digest(user.salt, password)
        user.password_ts = when
        user.rec["password_date"] = iso(when)
        user.rec["password_expired"] = False

    def password_violations(self, user, password, username):
        policy = user.org.effective_policy()
        found = complexity_violations(policy, password, username)
        depth = history_depth(policy)
        if depth and any(hmac.compare_digest(_digest(salt, password), digest) for salt, digest in user.recent_hashes(depth)):
            found.append(("maxHistory", "password matches one of the last %d passwords" % depth))
        # Applied to admin resets too (unconfirmed: the stricter reading).
        if (policy.get("enableMinChangePeriodInDays") and user.password_ts is not None
                and self.now() - user.password_ts < policy["minChangePeriodInDays"] * DAY):
            found.append(("minChangePeriodInDays", "password was changed less than %d days ago"
                          % policy["minChangePeriodInDays"]))
        return found

    def _clear_lock(self, user):
        user.rec.update(account_locked=False, account_locked_date=None, badLoginAttempts=0)
        user.locked_ts = None
        user.locked_by_policy = False

    def _set_lock(self, user, by_policy):
        now = self.now()
        user.rec.update(account_locked=True, account_locked_date=iso(now))
        user.locked_ts = now
        user.locked_by_policy = by_policy

    def set_fields(self, user, fields):
        """Test set-up: change a user directly, with no policy check, no write counted, no session ended."""
        unknown = set(fields) - set(user.rec) - {"password"}
        if unknown:
            raise ValueError("unknown user fields: %s" % ", ".join(sorted(unknown)))
        user.org.version += 1
        for key, value in fields.items():
            if key == "password":
                self._store_password(user, value, self.now())
            elif key == "account_locked" and value:
                self._set_lock(user, by_policy=False)
            elif key == "account_locked":
                self._clear_lock(user)
            elif key == "username":
                raise ValueError("username cannot be changed here")
            else:
                user.rec[key] = value

    def record_write(self, user, operation, fields):
        """Count an accepted change (the proof that retries never write a user twice)."""
        user.writes += 1
        user.org.version += 1
        user.org.users.move_to_end(user.id)
        self.write_log.append({"seq": len(self.write_log) + 1, "user_id": user.id, "operation": operation,
                               "fields": sorted(fields)})

    def update_user(self, user, changes, operation):
        """Apply schema-checked `changes` (systemuserput fields) all or nothing."""
        self.refresh(user)
        rec = user.rec
        org = user.org
        username = changes.get("username", rec["username"])
        if username != rec["username"] and username in org.by_username:
            raise ApiError(409, "Username already exists")
        email = changes.get("email")
        if email is not None and email != rec["email"] and any(
                other.rec["email"] == email for other in org.by_username.values()):
            raise ApiError(409, "Email already exists")  # unique per JumpCloud; 409 unconfirmed
        if "state" in changes and "suspended" in changes and (changes["state"] == "SUSPENDED") != changes["suspended"]:
            raise ApiError(400, "state and suspended disagree")
        if "password" in changes:
            violations = self.password_violations(user, changes["password"], username)
            if violations:
                raise PolicyViolation(violations)
        for key, value in changes.items():
            self._apply_field(user, key, value)
        if username != rec["username"]:
            del org.by_username[rec["username"]]
            org.by_username[username] = user
            rec["username"] = username
        if "password" in changes:
            self._store_password(user, changes["password"], self.now())
            # A new password ends the user's sessions (User Portal, SSO apps). It does not unlock the
            # account (unconfirmed: the stricter reading; clients unlock explicitly).
            user.sessions_ended += 1
            user.active_sessions = 0
        self.record_write(user, operation, changes)
        self.refresh(user)  # password_never_expires or a new password moves the expiration date

    def _apply_field(self, user, key, value):
        rec = user.rec
        if key in ("password", "username"):
            return
        if key == "account_locked":
            if value and not rec["account_locked"]:
                self._set_lock(user, by_policy=False)
            elif not value:
                self._clear_lock(user)
        elif key == "state":
            rec.update(state=value, suspended=value == "SUSPENDED")
            if value == "ACTIVATED":
                rec["activated"] = True
        elif key == "suspended":
            if value:
                rec.update(state="SUSPENDED", suspended=True)
            elif rec["state"] == "SUSPENDED":
                rec.update(state="ACTIVATED", suspended=False)
        elif key == "mfa":
            rec["mfa"] = dict(rec["mfa"], **value)
        elif isinstance(value, (list, dict)):
            rec[key] = copy.deepcopy(value)
        else:
            rec[key] = value

    def unlock(self, user):
        """Clears the lock and the bad-attempt counter; an expired password stays expired."""
        self._clear_lock(user)
        self.record_write(user, "unlock", ["account_locked"])

    def expire(self, user):
        self.refresh(user)
        user.rec["password_expired"] = True
        self.record_write(user, "expire", ["password_expired"])

    def reset_mfa(self, user, options):
        mfa = {"configured": False, "exclusion": bool(options.get("exclusion", False))}
        if "exclusionDays" in options:
            mfa["exclusionDays"] = options["exclusionDays"]
        if "exclusionUntil" in options:
            mfa["exclusionUntil"] = options["exclusionUntil"]
        user.rec.update(mfa=mfa, totp_enabled=False,
                        mfaEnrollment={key: "NOT_ENROLLED" for key in user.rec["mfaEnrollment"]})
        self.record_write(user, "resetmfa", ["mfa"])

    def activate(self, user):
        if user.rec["state"] == "SUSPENDED":
            raise ApiError(400, "User is suspended")  # unconfirmed: activation is STAGED -> ACTIVATED only
        user.rec.update(state="ACTIVATED", activated=True, suspended=False)
        self.record_write(user, "activate", ["state"])

    def login(self, org, username, password):
        """A user login (User Portal / device) as the directory judges it; counts bad attempts."""
        user = org.by_username.get(username)
        if user is None:
            return {"ok": False, "result": "unknown_user"}
        self.refresh(user)
        rec = user.rec
        policy = org.effective_policy()
        outcome = None
        if rec["state"] != "ACTIVATED":
            outcome = rec["state"].lower()
        elif rec["account_locked"]:
            outcome = "locked"  # even with the right password; attempts are not counted while locked
        elif not user.password_matches(password):
            rec["badLoginAttempts"] += 1
            user.last_bad_login_ts = self.now()
            if policy.get("enableMaxLoginAttempts") and rec["badLoginAttempts"] >= policy["maxLoginAttempts"]:
                self._set_lock(user, by_policy=True)
            outcome = "bad_password"
        else:
            rec["badLoginAttempts"] = 0
            if rec["password_expired"]:
                outcome = "password_expired"  # right password, but it must be changed first: no session
            else:
                user.active_sessions += 1
                outcome = "ok"
        return {"ok": outcome == "ok", "result": outcome, "badLoginAttempts": rec["badLoginAttempts"],
                "account_locked": rec["account_locked"]}


class Credentials:
    """The API key and the OAuth2 client-credentials service account, with its issued tokens."""

    TOKEN_LIFETIME = 3600

    def __init__(self, api_key, client_id, client_secret, clock):
        self.api_key = api_key
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock = clock
        self.tokens = {}
        self.token_requests = 0
        self.tokens_issued = 0

    def key_valid(self, key):
        return hmac.compare_digest(key.encode("utf-8"), self.api_key.encode("utf-8"))

    def client_valid(self, client_id, secret):
        return (hmac.compare_digest(client_id.encode("utf-8"), self.client_id.encode("utf-8"))
                & hmac.compare_digest(secret.encode("utf-8"), self.client_secret.encode("utf-8")))

    def issue(self):
        token = secrets.token_urlsafe(32)
        self.tokens[token] = self.clock() + self.TOKEN_LIFETIME
        self.tokens_issued += 1
        return token

    def token_valid(self, token):
        expiry = self.tokens.get(token)
        return expiry is not None and self.clock() < expiry
