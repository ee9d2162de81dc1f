"""oktasim's data: users (statuses, credentials, lockout), groups and password policies, behind one lock.

Built from Okta's management OpenAPI spec (User, UserStatus, PasswordPolicy*, the lifecycle operations)
and ../shared/reference/okta-api.md. Passwords are kept only as salted hashes; the last ones too, for
the history rule. Where the spec is silent, each choice says `unconfirmed`.
"""

import copy
import hashlib
import itertools
import os
import re
import secrets
import string
import threading
import time

STATUSES = ("STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT", "SUSPENDED",
            "DEPROVISIONED")
# Statuses in which a password may be expired (expire_password, expire_password_with_temp_password):
# a user who can sign in with a password (unconfirmed: the spec lists no statuses for these calls).
EXPIRABLE = ("ACTIVE", "PASSWORD_EXPIRED", "RECOVERY")
# Username exclusion cuts the login at these and counts only parts of 4 characters or more
# (okta-developer-docs PR #3511; unconfirmed in the spec).
_LOGIN_DELIMITERS = re.compile(r"[,._#@\-]")
COMMON_PASSWORDS = frozenset(("password", "password1", "password123", "123456", "12345678", "123456789",
                              "qwerty", "qwerty123", "abc123", "111111", "letmein", "welcome", "welcome1",
                              "iloveyou", "admin", "admin123", "passw0rd", "p@ssw0rd", "changeme"))
_ALPHABET = string.ascii_letters + string.digits
EVERYONE = "00g0everyone0000000a"


_SERIAL = itertools.count(1)
_ORDERED = string.digits + string.ascii_uppercase + string.ascii_lowercase  # ASCII order: ids sort as made


def new_id(prefix):
    """Okta ids: 20 characters, a 3-character kind prefix (00u users, 00g groups, 00p policies, 0pr rules).

    Seven characters of a counter come first, so ids sort in creation order (cursor paging is stable), then
    random ones."""
    serial, number = "", next(_SERIAL)
    for _unused in range(7):
        number, digit = divmod(number, 62)
        serial = _ORDERED[digit] + serial
    return prefix + serial + "".join(secrets.choice(_ALPHABET) for _unused in range(20 - len(prefix) - 7))


def iso(timestamp):
    """Okta's timestamps: UTC, milliseconds, Z (2022-04-04T15:56:05.000Z)."""
    if timestamp is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(timestamp))) + ".%03dZ" % int((timestamp % 1) * 1000)


def _hash(salt, password):
    return hashlib.sha256(salt + password.encode("utf-8")).digest()


def default_policy_settings():
    """A password policy's settings with the spec's defaults."""
    return {
        "password": {
            "complexity": {"minLength": 8, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1, "minSymbol": 1,
                           "excludeUsername": True, "excludeAttributes": [],
                           "dictionary": {"common": {"exclude": False}}},
            "age": {"maxAgeDays": 0, "expireWarnDays": 0, "minAgeMinutes": 0, "historyCount": 0},
            "lockout": {"maxAttempts": 10, "autoUnlockMinutes": 0, "showLockoutFailures": False,
                        "userLockoutNotificationChannels": []},
        },
        "recovery": {"factors": {"okta_email": {"status": "ACTIVE", "properties": {
            "recoveryToken": {"tokenLifetimeMinutes": 60}}}}},
        "delegation": {"options": {"skipUnlock": False}},
    }


def login_parts(login):
    """The parts of a login a password may not contain: cut at , . _ # @ -, 4 characters or more."""
    return [part for part in _LOGIN_DELIMITERS.split(login or "") if len(part) >= 4]


def complexity_requirements(complexity):
    """The policy's requirements in Okta's words, for the refusal's cause (all of them, as Okta lists them)."""
    words = ["at least %d characters" % complexity.get("minLength", 8)]
    for key, text in (("minLowerCase", "a lowercase letter"), ("minUpperCase", "an uppercase letter"),
                      ("minNumber", "a number"), ("minSymbol", "a symbol")):
        if complexity.get(key):
            words.append(text)
    if complexity.get("excludeUsername", True):
        words.append("no parts of your username")
    for attribute in complexity.get("excludeAttributes") or []:
        words.append("does not include your %s" % {"firstName": "first name", "lastName": "last name"}.get(
            attribute, attribute))
    if complexity.get("maxConsecutiveCharacters"):
        words.append("no more than %d consecutive identical characters" % complexity["maxConsecutiveCharacters"])
    if ((complexity.get("dictionary") or {}).get("common") or {}).get("exclude"):
        words.append("not a commonly used password")
    return words


def complexity_broken(password, complexity, profile):
    """Whether the password breaks any complexity rule (Okta names them all at once, not which one)."""
    if len(password) < complexity.get("minLength", 8):
        return True
    for key, test in (("minLowerCase", str.islower), ("minUpperCase", str.isupper), ("minNumber", str.isdigit),
                      ("minSymbol", lambda c: not c.isalnum() and not c.isspace())):
        if complexity.get(key) and not any(test(char) for char in password):
            return True
    lowered = password.lower()
    if complexity.get("excludeUsername", True):
        if any(part.lower() in lowered for part in login_parts(profile.get("login"))):
            return True
    for attribute in complexity.get("excludeAttributes") or []:
        value = profile.get(attribute)
        if value and value.lower() in lowered:
            return True
    limit = complexity.get("maxConsecutiveCharacters")
    if limit and any(len(set(password[i:i + limit + 1])) == 1 for i in range(len(password) - limit)):
        return True
    if ((complexity.get("dictionary") or {}).get("common") or {}).get("exclude") and lowered in COMMON_PASSWORDS:
        return True
    return False


class PasswordRefused(Exception):
    """A password the policy refuses: `causes` are Okta's errorCauses summaries."""

    def __init__(self, causes):
        super().__init__("; ".join(causes))
        self.causes = causes


class User:
    __slots__ = ("id", "status", "created", "activated", "status_changed", "last_login", "last_updated",
                 "password_changed", "profile", "provider", "salt", "hash", "history", "failed", "groups",
                 "sessions", "sessions_revoked", "writes", "recovery_question", "temp_passwords")

    def __init__(self, user_id, login, now, status="ACTIVE", profile=None, provider="OKTA"):
        self.id = user_id
        self.status = status
        self.created = now
        self.activated = now if status not in ("STAGED",) else None
        self.status_changed = now
        self.last_login = None
        self.last_updated = now
        self.password_changed = None
        local = login.split("@")[0]
        self.profile = {"firstName": local.split(".")[0].capitalize() or "First", "lastName": "User",
                        "mobilePhone": None, "secondEmail": None, "login": login,
                        "email": login if "@" in login else login + "@example.com"}
        self.profile.update(profile or {})
        self.provider = provider
        self.salt = os.urandom(8)
        self.hash = None
        self.history = []
        self.failed = 0
        self.groups = {EVERYONE}
        self.sessions = 0
        self.sessions_revoked = 0
        self.writes = 0
        self.recovery_question = None
        self.temp_passwords = 0

    def matches(self, password):
        return self.hash is not None and _hash(self.salt, password) == self.hash

    def used_recently(self, password, count):
        return any(_hash(self.salt, password) == old for old in ([self.hash] + self.history)[:count] if old)

    def set_hash(self, password, now, keep=24):
        if self.hash is not None:
            self.history = [self.hash] + self.history[:keep - 1]
        self.hash = _hash(self.salt, password)
        self.password_changed = now
        self.last_updated = now


class Store:
    """Users, groups and password policies; every read and write holds `lock`."""

    def __init__(self):
        self.lock = threading.RLock()
        self.clock_offset = 0.0
        self.users = {}
        self.by_login = {}
        self.groups = {EVERYONE: {"id": EVERYONE, "type": "BUILT_IN", "profile": {
            "name": "Everyone", "description": "All users in your organization"}}}
        self.policies = []
        self.write_log = []
        self._seq = itertools.count(1)
        self.add_policy("Default Policy", system=True)

    def now(self):
        return time.time() + self.clock_offset

    # --- users -----------------------------------------------------------------------------

    def add_user(self, login, password=None, status="ACTIVE", profile=None, provider="OKTA", groups=()):
        if login.lower() in self.by_login:
            raise ValueError("login already exists")
        if status not in STATUSES:
            raise ValueError("status must be one of %s" % ", ".join(STATUSES))
        user = User(new_id("00u"), login, self.now(), status, profile, provider)
        if password is not None:
            user.set_hash(password, self.now())
        for group in groups:
            self.group(group)
            user.groups.add(group)
        self.users[user.id] = user
        self.by_login[login.lower()] = user
        return user

    def seed(self, count, password=None, prefix="user", domain="example.com"):
        ids = []
        salt, digest = os.urandom(8), None
        if password is not None:
            digest = _hash(salt, password)
        for index in range(1, count + 1):
            user = self.add_user("%s%05d@%s" % (prefix, index, domain))
            if digest is not None:  # one hash for all: seeding 10,000 users in well under a second
                user.salt, user.hash, user.password_changed = salt, digest, user.created
            ids.append(user.id)
        return ids

    def find(self, key):
        """A user by id, login, or an unambiguous login short name (the part before @); None if none."""
        user = self.users.get(key) or self.by_login.get(key.lower())
        if user is None and "@" not in key:
            found = [u for u in self.users.values() if u.profile["login"].lower().split("@")[0] == key.lower()]
            user = found[0] if len(found) == 1 else None
        if user is not None:
            self.refresh(user)
        return user

    def refresh(self, user):
        """A lockout with autoUnlockMinutes ends when its time has run (Okta evaluates on access)."""
        if user.status == "LOCKED_OUT":
            minutes = self.policy_for(user)["settings"]["password"]["lockout"].get("autoUnlockMinutes") or 0
            if minutes and self.now() - user.status_changed >= minutes * 60:
                self.set_status(user, "ACTIVE")
                user.failed = 0
        return user

    def set_status(self, user, status):
        user.status = status
        user.status_changed = user.last_updated = self.now()

    def record_write(self, user, operation, fields=()):
        user.writes += 1
        self.write_log.append({"seq": next(self._seq), "user_id": user.id, "operation": operation,
                               "fields": sorted(fields)})

    def login(self, login, password):
        """A sign-in with a password: what it did ("ok", "bad_password", "locked", "password_expired", "not_active",
        "unknown_user"). Bad passwords count toward lockout.maxAttempts, which locks the account."""
        user = self.find(login)
        if user is None:
            return {"result": "unknown_user"}
        if user.status == "LOCKED_OUT":
            return {"result": "locked", "status": user.status}
        if user.status not in ("ACTIVE", "PASSWORD_EXPIRED", "RECOVERY"):
            return {"result": "not_active", "status": user.status}
        if not user.matches(password):
            user.failed += 1
            limit = self.policy_for(user)["settings"]["password"]["lockout"].get("maxAttempts") or 0
            if limit and user.failed >= limit:
                self.set_status(user, "LOCKED_OUT")
            return {"result": "bad_password", "status": user.status, "failed": user.failed}
        user.failed = 0
        user.last_login = self.now()
        max_age = self.policy_for(user)["settings"]["password"]["age"].get("maxAgeDays") or 0
        if user.status == "ACTIVE" and max_age and self.now() - (user.password_changed or 0) > max_age * 86400:
            self.set_status(user, "PASSWORD_EXPIRED")  # Okta notices an expired password at sign-in
        user.sessions += 1
        return {"result": "password_expired" if user.status == "PASSWORD_EXPIRED" else "ok", "status": user.status}

    def set_password(self, user, password, strict, change=False):
        """An admin's set (strict: with minimum age and history), or a user's change (change: history always)."""
        policy = self.policy_for(user)["settings"]["password"]
        causes = []
        if complexity_broken(password, policy["complexity"], user.profile):
            causes.append("password: Password requirements were not met. Password requirements: %s."
                          % ", ".join(complexity_requirements(policy["complexity"])))
        age = policy["age"]
        if (strict or change) and age.get("historyCount") and user.used_recently(password, age["historyCount"]):
            causes.append("password: Password has been used too recently")
        if strict and age.get("minAgeMinutes") and user.password_changed is not None and (
                self.now() - user.password_changed < age["minAgeMinutes"] * 60):
            causes.append("password: Password cannot be changed yet: the minimum password age has not passed")
        if causes:
            raise PasswordRefused(causes)
        user.set_hash(password, self.now())
        if user.status in ("PASSWORD_EXPIRED", "RECOVERY"):
            self.set_status(user, "ACTIVE")

    def temp_password(self, user):
        """A generated temporary password that meets the user's policy (8 characters and up, every class)."""
        complexity = self.policy_for(user)["settings"]["password"]["complexity"]
        length = max(8, complexity.get("minLength", 8))
        while True:
            chars = [secrets.choice(string.ascii_lowercase), secrets.choice(string.ascii_uppercase),
                     secrets.choice(string.digits), secrets.choice("!#$%&*+-=?@^_")]
            chars += [secrets.choice(_ALPHABET) for _unused in range(length - 4)]
            secrets.SystemRandom().shuffle(chars)
            password = "".join(chars)
            if not complexity_broken(password, complexity, user.profile):
                return password

    # --- groups and policies ---------------------------------------------------------------

    def group(self, group_id):
        if group_id not in self.groups:
            raise ValueError("unknown group id")
        return self.groups[group_id]

    def add_group(self, name):
        group_id = new_id("00g")
        self.groups[group_id] = {"id": group_id, "type": "OKTA_GROUP", "profile": {"name": name, "description": None}}
        return group_id

    def add_policy(self, name, groups=None, priority=None, provider="OKTA", system=False, settings=None, status="ACTIVE"):
        """A PASSWORD policy; the default (system) one always stays last."""
        policy = {"id": new_id("00p"), "type": "PASSWORD", "name": name, "description": None, "status": status,
                  "system": system, "priority": 0, "created": iso(self.now()), "lastUpdated": iso(self.now()),
                  "conditions": {"people": {"groups": {"include": list(groups or [EVERYONE])}},
                                 "authProvider": {"provider": provider}},
                  "settings": default_policy_settings(),
                  "rule": {"id": new_id("0pr"), "type": "PASSWORD", "name": "Default Rule", "status": "ACTIVE",
                           "priority": 1, "system": True,
                           "conditions": {"people": {"users": {"exclude": []}}, "network": {"connection": "ANYWHERE"}},
                           "actions": {"passwordChange": {"access": "ALLOW"},
                                       "selfServicePasswordReset": {"access": "ALLOW"},
                                       "selfServiceUnlock": {"access": "DENY"}}}}
        merge(policy["settings"], settings or {})
        custom = [p for p in self.policies if not p["system"]]
        position = len(custom) if priority is None else max(0, min(priority - 1, len(custom)))
        if system:
            self.policies.append(policy)
        else:
            custom.insert(position, policy)
            self.policies = custom + [p for p in self.policies if p["system"]]
        for index, item in enumerate(self.policies):
            item["priority"] = index + 1
        return policy["id"]

    def policy(self, policy_id):
        for policy in self.policies:
            if policy["id"] == policy_id:
                return policy
        return None

    def policy_for(self, user):
        """The first ACTIVE policy by priority that includes one of the user's groups and their provider
        (unconfirmed: Okta documents no mapping; this is the Admin Console's description)."""
        for policy in self.policies:
            conditions = policy["conditions"]
            provider = conditions["authProvider"]["provider"]
            if policy["status"] == "ACTIVE" and provider in ("ANY", user.provider) and (
                    user.groups & set(conditions["people"]["groups"]["include"])):
                return policy
        return self.policies[-1]


def merge(target, changes):
    """Deep-merge dicts of changes into target (lists and scalars replace)."""
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target
