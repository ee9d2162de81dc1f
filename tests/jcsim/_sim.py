"""JumpCloudSim: the server, its data and its test controls, as one object.

Every control is a method; the ones in CONTROLS are also reachable out of process as
POST /__sim/NAME with a JSON object of keyword arguments (answer {"result": ...}).
"""

import copy
import secrets

from ._app import App
from simhttp import Controls, Fault, Service, Trigger

from ._controls import RateLimit
from ._policy import COMPLIANCE_VALUES
from ._schema import PASSWORD_POLICY, describe, validate
from ._store import Credentials, Directory

CONTROLS = frozenset((
    "add_org", "add_user", "seed_users", "user", "user_id", "user_state", "set_user_fields", "check_password",
    "login", "password_policy", "set_password_policy", "set_password_compliance", "advance_time",
    "calls", "clear_calls", "route_counts", "set_rate_limit", "clear_rate_limit", "inject_fault", "clear_faults",
    "reset_controls", "writes", "write_count", "write_counts", "expire_tokens", "stats",
    "add_system", "seed_systems", "bind_user", "set_system_fields", "system",
))


class JumpCloudSim(Service):
    """A strict stand-in of JumpCloud's directory API on 127.0.0.1 (test harness only).

    api_key:       the admin API key (default: 40 random hex characters, like a classic key)
    org_id:        the primary organisation's id (default: a new 24-hex id)
    multi_tenant:  the key is a multi-tenant (MSP) key: x-org-id is required on every call
    tls:           serve HTTPS with a throw-away CA; clients verify with `ca_path`
    client_id / client_secret: the OAuth2 service account (default: random)
    password_policy: overrides of the primary organisation's passwordPolicy fields
    bulk_pending_polls: how many polls of a bulk job's results answer "pending" first
    """

    NAME = "jcsim"

    def __init__(self, api_key=None, org_id=None, multi_tenant=False, tls=False, client_id=None,
                 client_secret=None, password_policy=None, host="127.0.0.1", port=0, bulk_pending_polls=1):
        self.api_key = api_key or secrets.token_hex(20)
        self.client_id = client_id or "jcsim-" + secrets.token_hex(8)
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.directory = Directory(org_id)
        self.org_id = self.directory.primary.id
        if password_policy:
            self.set_password_policy(**password_policy)
        self.credentials = Credentials(self.api_key, self.client_id, self.client_secret, self.directory.now)
        self.controls = Controls()
        self.app = App(self.directory, self.credentials, self.controls, multi_tenant, self)
        self.app.bulk_pending_polls = bulk_pending_polls
        self.multi_tenant = multi_tenant
        self._serve_on(host, port, tls)

    @property
    def token_url(self):
        return self.url + "/oauth2/token"

    # --- data ----------------------------------------------------------------------------------

    def _org(self, org_id):
        org = self.directory.orgs.get(org_id or self.org_id)
        if org is None:
            raise ValueError("unknown organisation")
        return org

    def _user(self, user_id):
        user = self.directory.users.get(user_id)
        if user is None:
            raise ValueError("unknown user id")
        return self.directory.refresh(user)

    def add_org(self, org_id=None, name=None):
        """Another organisation (for multi-tenant keys); returns its id."""
        with self.directory.lock:
            return self.directory.add_org(org_id, name).id

    def add_user(self, username, password=None, org_id=None, **fields):
        """One user (any systemuserreturn fields may be given); returns its _id. No policy check."""
        with self.directory.lock:
            return self.directory.add_user(self._org(org_id), username, password, **fields).id

    def seed_users(self, count, password=None, org_id=None, prefix="user"):
        """`count` users PREFIX00001...; with `password`, all share it (each salted apart). Returns ids."""
        with self.directory.lock:
            return self.directory.seed(self._org(org_id), int(count), password, prefix)

    def user(self, user_id):
        """The user as GET /api/systemusers/{id} returns it (a copy)."""
        with self.directory.lock:
            return copy.deepcopy(self._user(user_id).rec)

    def user_id(self, username, org_id=None):
        with self.directory.lock:
            user = self._org(org_id).by_username.get(username)
            if user is None:
                raise ValueError("unknown username")
            return user.id

    def user_state(self, user_id):
        """What tests assert on: lock, expiry, counters, sessions, writes (never a password or hash)."""
        with self.directory.lock:
            user = self._user(user_id)
            rec = user.rec
            return {"account_locked": rec["account_locked"], "password_expired": rec["password_expired"],
                    "badLoginAttempts": rec["badLoginAttempts"], "state": rec["state"],
                    "password_date": rec["password_date"], "active_sessions": user.active_sessions,
                    "sessions_ended": user.sessions_ended, "writes": user.writes,
                    "previous_passwords": len(user.history)}

    def set_user_fields(self, user_id, **fields):
        """Test set-up: change a user directly (no policy, no write counted). `password` sets a password."""
        with self.directory.lock:
            self.directory.set_fields(self._user(user_id), fields)

    def check_password(self, user_id, password):
        with self.directory.lock:
            return self._user(user_id).password_matches(password)

    def sessions_ended(self, user_id):
        """How many times the user's sessions were ended (each password change ends them all)."""
        return self.user_state(user_id)["sessions_ended"]

    def active_sessions(self, user_id):
        return self.user_state(user_id)["active_sessions"]

    def login(self, username, password, org_id=None):
        """A user login: {"ok", "result", "badLoginAttempts", "account_locked"}; result is one of ok,
        bad_password, locked, password_expired, staged, suspended, unknown_user. Bad passwords count
        toward maxLoginAttempts (when enableMaxLoginAttempts), which locks the account."""
        with self.directory.lock:
            return self.directory.login(self._org(org_id), username, password)

    # --- systems and their users (the V1 systems list, the V2 graph) ----------------------------

    def add_system(self, hostname, org_id=None, os_family="darwin", **fields):
        """One system (a JcSystem: any of its fields may be given; the others get plausible values); its _id."""
        return self.app.systems.add_system(hostname, org_id, os_family, **fields)

    def seed_systems(self, count, prefix="mac", org_id=None, os_family="darwin", users=None, no_primary_every=0):
        """`count` systems PREFIX-00001...; with `users` (ids) system N is bound to users[N % len], as its
        primarySystemUser except every `no_primary_every`th. Returns the ids."""
        return self.app.systems.seed_systems(count, prefix, org_id, os_family, users, no_primary_every)

    def bind_user(self, system_id, user_id, admin=False, primary=False, secure_token=False):
        """Bind a user to a system (the graph's system-user association, sudo = admin), with its userMetrics
        entry; `primary` also makes it the system's primarySystemUser."""
        self.app.systems.bind_user(system_id, user_id, admin, primary, secure_token)

    def set_system_fields(self, system_id, **fields):
        self.app.systems.set_system_fields(system_id, **fields)

    def system(self, system_id):
        """The system as GET /api/systems/{id} returns it (a copy)."""
        return self.app.systems.system(system_id)

    # --- policy and clock --------------------------------------------------------------------

    def password_policy(self, org_id=None):
        with self.directory.lock:
            return dict(self._org(org_id).policy)

    def set_password_policy(self, org_id=None, **fields):
        """Change passwordPolicy fields (names and ranges as in the spec; ValueError otherwise)."""
        errors = validate(PASSWORD_POLICY, fields)
        if errors:
            raise ValueError(describe(errors))
        with self.directory.lock:
            org = self._org(org_id)
            org.policy.update(fields)
            org.policy_version += 1

    def set_password_compliance(self, value, org_id=None):
        """settings.passwordCompliance: custom (the passwordPolicy applies), pci3 or windows (presets)."""
        if value not in COMPLIANCE_VALUES:
            raise ValueError("passwordCompliance must be one of %s" % ", ".join(COMPLIANCE_VALUES))
        with self.directory.lock:
            self._org(org_id).compliance = value

    def advance_time(self, seconds):
        """Move the simulator's clock (password expiry, lockout time, token lifetime)."""
        with self.directory.lock:
            self.directory.clock_offset += float(seconds)

    def now(self):
        return self.directory.now()

    # --- call log, rate limits, faults -------------------------------------------------------

    def calls(self, route=None):
        """The API call log, oldest first. Each call: seq, time, method, path, query, route ("PUT
        /api/systemusers/{id}"), status (None after a reset), api_key / bearer (sent or not), org_id
        (x-org-id as sent), content_type, body_bytes, body_fields (names only), user_id, fault, action, ms.
        Bodies are never logged. /__sim/ calls are not logged."""
        return self.controls.calls(route)

    def clear_calls(self):
        self.controls.clear_calls()

    def route_counts(self):
        return self.controls.route_counts()

    def call_count(self, route=None):
        return len(self.controls.calls(route))

    def set_rate_limit(self, every=None, fraction=None, seed=None, count=None, match=None, per_second=None,
                       retry_after=None, http_date=False):
        """Answer 429 for picked calls (every Nth / a seeded random fraction / the next `count`; `match`
        narrows by regex on "METHOD /path") and/or above `per_second` calls in any second.
        retry_after: Retry-After seconds (None: no header); http_date: send it as an HTTP-date."""
        picked = every is not None or fraction is not None or count is not None
        trigger = Trigger(match, count, every, fraction, seed) if picked else None
        if trigger is None and per_second is None:
            raise ValueError("give every, fraction, count or per_second")
        with self.controls.lock:
            self.controls.rate_limit = RateLimit(trigger, per_second, retry_after, http_date)

    def clear_rate_limit(self):
        with self.controls.lock:
            self.controls.rate_limit = None

    def inject_fault(self, kind, status=500, seconds=1.0, phase=None, count=None, every=None, fraction=None,
                     seed=None, match=None):
        """kind: error (HTTP `status`), slow (sleep `seconds`, then answer), malformed (invalid JSON
        body), truncated (short body, then close), reset (TCP reset, no answer).
        phase: before (nothing is changed) or after (the change is made, then the answer fails);
        defaults: before for error/slow/reset, after for malformed/truncated.
        Which calls: the next `count`, every Nth, a seeded `fraction`; `match` as in set_rate_limit;
        none of these: every call. Rules are tried in the order injected; one fault per call."""
        fault = Fault(kind, Trigger(match, count, every, fraction, seed), status, float(seconds), phase)
        with self.controls.lock:
            self.controls.faults.append(fault)

    def clear_faults(self):
        with self.controls.lock:
            del self.controls.faults[:]

    def reset_controls(self):
        """Clear the call log, the rate limit and every fault rule."""
        self.clear_calls()
        self.clear_rate_limit()
        self.clear_faults()

    # --- counters ------------------------------------------------------------------------------

    def writes(self, user_id=None):
        """Accepted changes, oldest first: {seq, user_id, operation (put, bulk, unlock, expire, resetmfa,
        activate), fields (names)}. A call refused by a 429 or a fault before processing writes nothing."""
        with self.directory.lock:
            return [dict(entry) for entry in self.directory.write_log if user_id in (None, entry["user_id"])]

    def write_count(self, user_id):
        with self.directory.lock:
            return self._user(user_id).writes

    def write_counts(self):
        """{user_id: accepted writes} for every user written at least once."""
        with self.directory.lock:
            return {user.id: user.writes for user in self.directory.users.values() if user.writes}

    @property
    def token_requests(self):
        """Calls to POST /oauth2/token, whatever their outcome."""
        return self.credentials.token_requests

    @property
    def tokens_issued(self):
        return self.credentials.tokens_issued

    def expire_tokens(self):
        """Revoke every issued bearer token (the next API call with one answers 401)."""
        with self.directory.lock:
            self.credentials.tokens.clear()

    @property
    def bulk_pending_polls(self):
        return self.app.bulk_pending_polls

    @bulk_pending_polls.setter
    def bulk_pending_polls(self, value):
        self.app.bulk_pending_polls = value

    def stats(self):
        rate_limit = self.controls.rate_limit
        return {"token_requests": self.token_requests, "tokens_issued": self.tokens_issued,
                "route_counts": self.route_counts(), "write_counts": self.write_counts(),
                "rate_limited": rate_limit.limited if rate_limit else 0,
                "fault_hits": [{"kind": fault.kind, "hits": fault.hits} for fault in self.controls.faults],
                "internal_errors": len(self.app.internal_errors)}

    def control(self, name, kwargs):
        """Out-of-process entry (POST /__sim/NAME). KeyError for a name that is not a control."""
        if name not in CONTROLS:
            raise KeyError(name)
        return getattr(self, name)(**kwargs)
