"""Request schemas from JumpCloud's Swagger specs (V1 systemuserput, V2 bulk-user-update, ...).

A tiny validator: unknown keys and wrong types are errors (the real API may ignore unknown keys:
unconfirmed, jcsim takes the stricter side so a client typo cannot pass silently). JSON booleans
are not integers here, although Python's bool is an int subclass.
Error texts name the path and the expected type, never the value (it could be a password).
"""

from ._util import parse_date_time


class Spec:
    def check(self, value, path, errors):
        raise NotImplementedError


class Any(Spec):
    """Accepts any value: for parts checked by dedicated code (search filters)."""

    def check(self, value, path, errors):
        return


class Str(Spec):
    def __init__(self, max_len=None, enum=None, date_time=False):
        self.max_len = max_len
        self.enum = enum
        self.date_time = date_time

    def check(self, value, path, errors):
        if not isinstance(value, str):
            errors.append((path, "must be a string"))
        elif self.max_len is not None and len(value) > self.max_len:
            errors.append((path, "must be at most %d characters" % self.max_len))
        elif self.enum is not None and value not in self.enum:
            errors.append((path, "must be one of %s" % ", ".join(self.enum)))
        elif self.date_time:
            try:
                parse_date_time(value)
            except ValueError:
                errors.append((path, "must be an RFC 3339 date-time"))


class Bool(Spec):
    def check(self, value, path, errors):
        if not isinstance(value, bool):
            errors.append((path, "must be a boolean"))


class Number(Spec):
    """integer (the default) or, with integral=False, any JSON number."""

    def __init__(self, minimum=None, maximum=None, integral=True):
        self.minimum = minimum
        self.maximum = maximum
        self.integral = integral

    def check(self, value, path, errors):
        kinds = int if self.integral else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            errors.append((path, "must be an integer" if self.integral else "must be a number"))
        elif self.minimum is not None and value < self.minimum:
            errors.append((path, "must be >= %s" % self.minimum))
        elif self.maximum is not None and value > self.maximum:
            errors.append((path, "must be <= %s" % self.maximum))


class Arr(Spec):
    def __init__(self, item):
        self.item = item

    def check(self, value, path, errors):
        if not isinstance(value, list):
            errors.append((path, "must be an array"))
            return
        for index, item in enumerate(value):
            self.item.check(item, "%s[%d]" % (path, index), errors)


class Obj(Spec):
    def __init__(self, props, required=(), nullable=False):
        self.props = props
        self.required = required
        self.nullable = nullable

    def check(self, value, path, errors):
        if value is None and self.nullable:
            return
        if not isinstance(value, dict):
            errors.append((path or "body", "must be an object"))
            return
        prefix = path + "." if path else ""
        for key in sorted(value):
            if key not in self.props:
                errors.append((prefix + key, "unknown field"))
            else:
                self.props[key].check(value[key], prefix + key, errors)
        for key in self.required:
            if key not in value:
                errors.append((prefix + key, "is required"))


def validate(spec, value):
    """[(path, problem)] for `value` against `spec`; empty when it conforms."""
    errors = []
    spec.check(value, "", errors)
    return errors


def describe(errors):
    return "; ".join("%s: %s" % (path or "body", text) for path, text in errors)


# --- system users (V1 systemuserput; V2 bulk-user-update adds id, organization, passwordless_sudo)

RESTRICTABLE_FIELDS = ("addresses", "company", "costCenter", "department", "description", "displayname", "email",
                       "employeeIdentifier", "employeeType", "firstname", "jobTitle", "lastname", "location",
                       "middlename", "password", "phoneNumbers", "sudo", "username")
_RESTRICTED_FIELD = Obj({"field": Str(32, enum=RESTRICTABLE_FIELDS), "id": Str(24),
                         "type": Str(128, enum=("active_directory", "federated_identity_provider", "scim"))})
_ADDRESS = Obj({key: Str(1024) for key in ("country", "extendedAddress", "locality", "poBox", "postalCode", "region",
                                           "streetAddress", "type")})
_ATTRIBUTE = Obj({"name": Str(), "value": Str(1024)})
_PHONE = Obj({"number": Str(1024), "type": Str(1024)})
_RELATIONSHIP = Obj({"type": Str(), "value": Str()})
_SSH_KEY = Obj({"name": Str(), "public_key": Str()}, required=("public_key", "name"))
_DELEGATED_AUTHORITY = Obj({"id": Str(), "name": Str(enum=("ActiveDirectory",))}, nullable=True)
MFA = Obj({"configured": Bool(), "exclusion": Bool(), "exclusionDays": Number(minimum=1),
           "exclusionUntil": Str(date_time=True)})

_TEXT_1024 = ("company", "costCenter", "department", "description", "displayname", "email", "employeeType",
              "firstname", "jobTitle", "lastname", "location", "managedAppleId", "middlename", "username")
_TEXT = ("alternateEmail", "external_dn", "external_password_expiration_date", "external_source_type", "manager",
         "password", "public_key")
_FLAGS = ("account_locked", "allow_public_key", "disableDeviceMaxLoginAttempts", "enable_managed_uid",
          "enable_user_portal_multifactor", "externally_managed", "ldap_binding_user", "password_never_expires",
          "samba_service_user", "sudo", "suspended")

USER_PUT = Obj(dict(
    {key: Str(1024) for key in _TEXT_1024},
    **{key: Str() for key in _TEXT},
    **{key: Bool() for key in _FLAGS},
    employeeIdentifier=Str(256),
    addresses=Arr(_ADDRESS),
    attributes=Arr(_ATTRIBUTE),
    phoneNumbers=Arr(_PHONE),
    relationships=Arr(_RELATIONSHIP),
    restrictedFields=Arr(_RESTRICTED_FIELD),
    ssh_keys=Arr(_SSH_KEY),
    delegatedAuthority=_DELEGATED_AUTHORITY,
    mfa=MFA,
    state=Str(enum=("ACTIVATED", "SUSPENDED")),
    unix_guid=Number(minimum=1),
    unix_uid=Number(minimum=1),
))

# `id` is not marked required in the V2 spec, but an item without it cannot name its user.
# restrictedFields is a single object in V2's bulk-user-update (an array in V1): spec taken literally.
BULK_USER_UPDATE = Obj(dict(USER_PUT.props, id=Str(), organization=Str(), passwordless_sudo=Bool(),
                            restrictedFields=_RESTRICTED_FIELD), required=("id",))

# The resetmfa body's spec types exclusionDays `number`, but the value lands in the user's mfa.exclusionDays,
# which both specs type `integer` (days): 1.5 would make a record the API itself could not return.
RESET_MFA = Obj({"exclusion": Bool(), "exclusionDays": Number(minimum=1),
                 "exclusionUntil": Str(date_time=True)})
ACTIVATE = Obj({"email": Str()})
SEARCH = Obj({"fields": Str(), "filter": Any(), "searchFilter": Any(), "skip": Number(minimum=0),
              "limit": Number()})

# --- organisation password policy (organizationsettings.passwordPolicy)

PASSWORD_POLICY = Obj(dict(
    {key: Bool() for key in (
        "allowUnenrolledMFAPasswordReset", "allowUsernameSubstring", "disallowCommonlyUsedPasswords",
        "disallowSequentialOrRepetitiveChars", "displayComplexityOnResetScreen", "enableDaysAfterExpirationToSelfRecover",
        "enableDaysBeforeExpirationToForceReset", "enableLockoutTimeInSeconds", "enableMaxHistory",
        "enableMaxLoginAttempts", "enableMinChangePeriodInDays", "enableMinLength", "enablePasswordExpirationInDays",
        "enableRecoveryEmail", "enableResetLockoutCounter", "needsLowercase", "needsNumeric", "needsSymbolic",
        "needsUppercase")},
    daysAfterExpirationToSelfRecover=Number(),
    daysBeforeExpirationToForceReset=Number(minimum=1),
    effectiveDate=Str(),
    gracePeriodDate=Str(),
    lockoutTimeInSeconds=Number(minimum=300, maximum=5400),
    maxHistory=Number(minimum=1, maximum=24),
    maxLoginAttempts=Number(minimum=1),
    minChangePeriodInDays=Number(minimum=0),
    minLength=Number(minimum=0),
    passwordExpirationInDays=Number(minimum=1),
    resetLockoutCounterMinutes=Number(minimum=1),
))

# --- field kinds of a returned system user (systemuserreturn), for filter, sort and fields

NULLABLE_DATES = ("account_locked_date", "password_date", "password_expiration_date")
USER_FIELD_KINDS = dict(
    {key: "str" for key in _TEXT_1024 + _TEXT + NULLABLE_DATES + (
        "_id", "created", "creationSource", "employeeIdentifier", "organization", "state") if key != "password"},
    **{key: "bool" for key in _FLAGS + ("activated", "password_expired", "passwordless_sudo", "totp_enabled")},
    **{key: "int" for key in ("badLoginAttempts", "unix_guid", "unix_uid")},
    **{key: "complex" for key in ("addresses", "admin", "attributes", "delegatedAuthority", "mfa", "mfaEnrollment",
                                  "phoneNumbers", "recoveryEmail", "relationships", "restrictedFields", "ssh_keys")},
)
