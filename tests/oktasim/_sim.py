"""OktaSim: the server, its data and its test controls, as one object.

Every control is a method; those in CONTROLS are also reachable out of process as POST /__sim/NAME with a
JSON object of keyword arguments (answer {"result": ...}).
"""

import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from simhttp import Controls, Fault, Service, Trigger

from ._app import App
from ._oauth import Tokens
from ._store import EVERYONE, Store, merge

CONTROLS = frozenset((
    "add_user", "seed_users", "user", "user_id", "user_state", "set_user", "check_password", "login",
    "add_group", "add_password_policy", "set_password_policy", "advance_time", "calls", "clear_calls",
    "route_counts", "set_rate_limit", "set_concurrency_limit", "clear_rate_limit", "inject_fault", "clear_faults",
    "reset_controls", "writes", "write_count", "expire_tokens", "stats",
))
ALL_SCOPES = ("okta.users.read", "okta.users.manage", "okta.groups.read", "okta.groups.manage", "okta.policies.read")


class OktaSim(Service):
    """A strict stand-in of Okta's management API on 127.0.0.1 (test harness only).

    api_token:  the SSWS API token (default: random, 42 characters like Okta's)
    tls:        HTTPS with a throw-away CA at `ca_path` (Okta's SDK refuses an org URL that is not https)
    client_id:  the OAuth 2.0 service app; its RSA key is made here (`private_key_pem`, `key_id`), granted `scopes`
    per_minute: each route's rate-limit budget per minute (X-Rate-Limit-Limit)
    """

    NAME = "oktasim"

    def __init__(self, api_token=None, tls=False, client_id=None, scopes=ALL_SCOPES, per_minute=100000,
                 host="127.0.0.1", port=0):
        self.api_token = api_token or "00" + secrets.token_urlsafe(30)[:40]
        self.store = Store()
        self.tokens = Tokens(self.store.now)
        self.controls = Controls()
        self.app = App(self.store, self.tokens, self.controls, self)
        self.app.api_tokens.add(self.api_token)
        self.app.limits.per_minute = per_minute
        self.client_id = client_id or "0oa" + secrets.token_hex(8) + "x"
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = "kid-" + secrets.token_hex(6)
        self.private_key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()).decode("ascii")
        self.tokens.add_app(self.client_id, key.public_key(), self.key_id, scopes)
        self._serve_on(host, port, tls)

    @property
    def token_url(self):
        return self.url + "/oauth2/v1/token"

    # --- data ----------------------------------------------------------------------------------

    def _user(self, key):
        user = self.store.find(key)
        if user is None:
            raise ValueError("unknown user")
        return user

    def add_user(self, login, password=None, status="ACTIVE", provider="OKTA", groups=(), **profile):
        """One user (profile fields as keywords); returns its id. No policy check."""
        with self.store.lock:
            return self.store.add_user(login, password, status, profile, provider, groups).id

    def seed_users(self, count, password=None, prefix="user", domain="example.com"):
        """`count` users PREFIX00001@DOMAIN...; returns their ids."""
        with self.store.lock:
            return self.store.seed(int(count), password, prefix, domain)

    def user(self, key):
        """The user as GET /api/v1/users/{id} returns it."""
        with self.store.lock:
            return self.app.user_json(self._user(key))

    def user_id(self, login):
        return self.user(login)["id"]

    def user_state(self, key):
        """What tests assert on (never a password or a hash)."""
        with self.store.lock:
            user = self._user(key)
            return {"status": user.status, "failed": user.failed, "password_changed": user.password_changed,
                    "sessions": user.sessions, "sessions_revoked": user.sessions_revoked, "writes": user.writes,
                    "previous_passwords": len(user.history), "temp_passwords": user.temp_passwords,
                    "groups": sorted(user.groups)}

    def set_user(self, key, status=None, password=None, groups=None, **profile):
        """Test set-up: change a user directly (no policy, no write counted)."""
        with self.store.lock:
            user = self._user(key)
            if status is not None:
                self.store.set_status(user, status)
            if password is not None:
                user.set_hash(password, self.store.now())
            if groups is not None:
                user.groups = {EVERYONE} | set(groups)
            user.profile.update(profile)

    def check_password(self, key, password):
        with self.store.lock:
            return self._user(key).matches(password)

    def temp_password(self, key):
        """The last temporary password Okta generated for the user (tests only: to prove it never shows)."""
        with self.store.lock:
            return self.app.temp_passwords.get(self._user(key).id)

    def login(self, login, password):
        """A sign-in: {"result": ok | bad_password | locked | password_expired | not_active | unknown_user, ...}."""
        with self.store.lock:
            return self.store.login(login, password)

    def lock_out(self, key):
        """Sign in with wrong passwords until the policy's lockout.maxAttempts locks the user."""
        with self.store.lock:
            user = self._user(key)
            attempts = self.store.policy_for(user)["settings"]["password"]["lockout"]["maxAttempts"] or 10
            for _unused in range(attempts):
                self.store.login(user.profile["login"], "not the password " + secrets.token_hex(4))
            return user.status

    # --- groups, policies, clock ---------------------------------------------------------------

    def add_group(self, name):
        with self.store.lock:
            return self.store.add_group(name)

    def add_password_policy(self, name, groups=None, priority=None, provider="OKTA", **settings):
        """A PASSWORD policy for `groups` (ids; default Everyone), placed at `priority` (1 first) above the default
        one; settings as nested dicts: complexity={...}, age={...}, lockout={...}. Returns its id."""
        with self.store.lock:
            return self.store.add_policy(name, groups, priority, provider,
                                         settings={"password": settings} if settings else None)

    def set_password_policy(self, policy_id=None, **settings):
        """Change a policy's settings.password (default: the default policy): complexity={...}, age={...}, ..."""
        with self.store.lock:
            policy = self.store.policy(policy_id) if policy_id else self.store.policies[-1]
            if policy is None:
                raise ValueError("unknown policy id")
            merge(policy["settings"]["password"], settings)

    def password_policy(self, policy_id=None):
        with self.store.lock:
            policy = self.store.policy(policy_id) if policy_id else self.store.policies[-1]
            return dict(policy["settings"]["password"])

    def advance_time(self, seconds):
        with self.store.lock:
            self.store.clock_offset += float(seconds)

    # --- call log, rate limits, faults -------------------------------------------------------

    def calls(self, route=None):
        """The API call log, oldest first: seq, time, method, path, query, route ("POST /api/v1/users/{id}"), status
        (None after a reset), auth (ssws, bearer, dpop or None), user_agent, content_type, body_bytes, user_id, fault,
        retry_count (X-Okta-Retry-Count), action, ms. Bodies are never logged."""
        return self.controls.calls(route)

    def clear_calls(self):
        self.controls.clear_calls()

    def route_counts(self):
        return self.controls.route_counts()

    def call_count(self, route=None):
        return len(self.controls.calls(route))

    def set_rate_limit(self, per_minute=None, fraction=None, every=None, count=None, seed=None, match=None,
                       reset_seconds=1):
        """per_minute: each route's budget per minute. fraction / every / count (with match, seed): a storm of
        429s for the calls picked, whatever the budget, each saying to wait reset_seconds (X-Rate-Limit-Reset)."""
        limits = self.app.limits
        with limits.lock:
            if per_minute is not None:
                limits.per_minute = int(per_minute)
                limits.windows.clear()
            if fraction is not None or every is not None or count is not None:
                limits.storm = Trigger(match, count, every, fraction, seed)
                limits.storm_reset = int(reset_seconds)

    def set_concurrency_limit(self, limit):
        """More than `limit` calls in flight at once: 429 with X-Rate-Limit-Limit = Remaining = 0."""
        with self.app.limits.lock:
            self.app.limits.concurrency = limit

    def clear_rate_limit(self):
        limits = self.app.limits
        with limits.lock:
            limits.storm = limits.concurrency = None
            limits.windows.clear()

    def inject_fault(self, kind, status=500, seconds=1.0, phase=None, count=None, every=None, fraction=None,
                     seed=None, match=None):
        """As jcsim's (simhttp's Fault): error, slow, malformed, truncated, reset; before or after the change."""
        fault = Fault(kind, Trigger(match, count, every, fraction, seed), status, float(seconds), phase)
        with self.controls.lock:
            self.controls.faults.append(fault)

    def clear_faults(self):
        with self.controls.lock:
            del self.controls.faults[:]

    def reset_controls(self):
        self.clear_calls()
        self.clear_rate_limit()
        self.clear_faults()

    def writes(self, key=None):
        """Accepted changes, oldest first: {seq, user_id, operation, fields (names)}."""
        with self.store.lock:
            user_id = self._user(key).id if key else None
            return [dict(entry) for entry in self.store.write_log if user_id in (None, entry["user_id"])]

    def write_count(self, key):
        with self.store.lock:
            return self._user(key).writes

    def expire_tokens(self):
        """Revoke every access token (the next call with one answers 401)."""
        with self.store.lock:
            self.tokens.tokens.clear()

    @property
    def token_requests(self):
        return self.tokens.requests

    def stats(self):
        return {"token_requests": self.tokens.requests, "tokens_issued": self.tokens.issued,
                "route_counts": self.route_counts(), "rate_limited": self.app.limits.limited,
                "fault_hits": [{"kind": fault.kind, "hits": fault.hits} for fault in self.controls.faults],
                "internal_errors": len(self.internal_errors)}

    def control(self, name, kwargs):
        if name not in CONTROLS:
            raise KeyError(name)
        return getattr(self, name)(**kwargs)
