# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The parts of Apple's profile schema the collection writes, and the check of a whole profile.

Encoded from Apple's device-management schema (release macOS 15.1): for each key its type,
presence, allowed values and macOS support; a key not listed here is refused, so a typo or a key
meant for another payload cannot pass. A key Apple marks "not available on macOS" is refused with
that reason rather than written. validate_profile() reports every problem at once.
Private to the collection; standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from . import validators

STRING, INTEGER, BOOLEAN, ARRAY, DICTIONARY, ANY = "string", "integer", "boolean", "array", "dictionary", "any"
NOT_ON_MACOS = "n/a"

_TYPE_CHECKS = {
    STRING: lambda value: isinstance(value, str),
    INTEGER: lambda value: isinstance(value, int) and not isinstance(value, bool),
    BOOLEAN: lambda value: isinstance(value, bool),
    ARRAY: lambda value: isinstance(value, list),
    DICTIONARY: lambda value: isinstance(value, dict),
    ANY: lambda value: True,
}


class Key:
    """One key of the schema.

    macos: the macOS version that introduced the key when it states its own (else the payload's),
    or NOT_ON_MACOS. item: the spec of an array's items. keys: a dictionary's fixed keys;
    any_key (+ key_check): the spec of the values of a dictionary keyed by free names (team ids).
    check: a validator of the value; rule: a check across a dictionary's keys (list of problems).
    """

    def __init__(self, kind, required=False, choices=None, macos=None, deprecated=None, item=None, keys=None,
                 any_key=None, key_check=None, check=None, rule=None):
        self.kind = kind
        self.required = required
        self.choices = choices
        self.macos = macos
        self.deprecated = deprecated
        self.item = item
        self.keys = keys or {}
        self.any_key = any_key
        self.key_check = key_check
        self.check = check
        self.rule = rule


class Payload:
    """A payload type: its own keys, where it may go (device_only: not in a User-scoped profile) and
    whether only an MDM may install it (mdm_only: a double-clicked profile is refused)."""

    def __init__(self, payload_type, macos, keys, device_only=False, mdm_only=False, rule=None):
        self.payload_type = payload_type
        self.macos = macos
        self.keys = keys
        self.device_only = device_only
        self.mdm_only = mdm_only
        self.rule = rule


def _string(**kwargs):
    return Key(STRING, **kwargs)


def _boolean(**kwargs):
    return Key(BOOLEAN, **kwargs)


def _team_map(item_check, **kwargs):
    """team id -> array of strings (system extension dictionaries)."""
    return Key(DICTIONARY, any_key=Key(ARRAY, item=_string(check=item_check)), key_check=validators.team_id, **kwargs)


# --- top level and the keys every payload has ---------------------------------------------------

TOP_LEVEL = {
    "PayloadIdentifier": _string(required=True, check=validators.non_empty),
    "PayloadUUID": _string(required=True, check=validators.payload_uuid),
    "PayloadType": _string(required=True, choices=("Configuration",)),
    "PayloadVersion": Key(INTEGER, required=True, choices=(1,)),
    "PayloadContent": Key(ARRAY, required=True, item=Key(ANY)),  # each payload is checked by its type
    "PayloadDescription": _string(),
    "PayloadDisplayName": _string(),
    "PayloadOrganization": _string(),
    # On macOS 10.15+ it only guards manually installed profiles; MDM-installed ones are never user-removable.
    "PayloadRemovalDisallowed": _boolean(),
    "PayloadScope": _string(choices=("System", "User"), macos="10.8"),
    "TargetDeviceType": Key(INTEGER, choices=(0, 1, 2, 3, 4, 5, 6), macos="10.15"),
}
TOP_LEVEL_MACOS = "10.7"

COMMON = {
    "PayloadIdentifier": _string(required=True, check=validators.non_empty),
    "PayloadUUID": _string(required=True, check=validators.payload_uuid),
    "PayloadType": _string(required=True),
    "PayloadVersion": Key(INTEGER, required=True, choices=(1,)),
    "PayloadDescription": _string(),
    "PayloadDisplayName": _string(),
    "PayloadOrganization": _string(),
}


# --- com.apple.notificationsettings ---------------------------------------------------------------

def _unique_bundle_ids(settings):
    seen = [entry.get("BundleIdentifier") for entry in settings if isinstance(entry, dict)]
    twice = sorted(set(name for name in seen if name is not None and seen.count(name) > 1))
    return ["bundle id %s is listed more than once" % name for name in twice]


_NOTIFICATION_SETTING = Key(DICTIONARY, keys={
    "BundleIdentifier": _string(required=True, check=validators.bundle_id),
    "NotificationsEnabled": _boolean(),
    "ShowInNotificationCenter": _boolean(),
    "ShowInLockScreen": _boolean(),
    "AlertType": Key(INTEGER, choices=(0, 1, 2)),
    "BadgesEnabled": _boolean(),
    "SoundsEnabled": _boolean(),
    "CriticalAlertEnabled": _boolean(),
    "ShowInCarPlay": _boolean(macos=NOT_ON_MACOS),
    "GroupingType": Key(INTEGER, choices=(0, 1, 2), macos=NOT_ON_MACOS),
    "PreviewType": Key(INTEGER, choices=(0, 1, 2), macos=NOT_ON_MACOS),
})

NOTIFICATIONS = Payload("com.apple.notificationsettings", "10.15", {
    "NotificationSettings": Key(ARRAY, required=True, item=_NOTIFICATION_SETTING, rule=_unique_bundle_ids),
})


# --- com.apple.system-extension-policy -------------------------------------------------------------

EXTENSION_TYPES = ("DriverExtension", "NetworkExtension", "EndpointSecurityExtension")


def _extension_rules(payload):
    problems = []
    allowed_teams = set(payload.get("AllowedTeamIdentifiers") or [])
    both = sorted(allowed_teams & set(payload.get("AllowedSystemExtensions") or {}))
    if both:
        problems.append("team id %s is both in AllowedTeamIdentifiers and a key of AllowedSystemExtensions"
                        % ", ".join(both))
    removable = payload.get("RemovableSystemExtensions") or {}
    fixed = payload.get("NonRemovableSystemExtensions") or {}
    for team in sorted(set(removable) & set(fixed)):
        clash = sorted(set(removable[team] or []) & set(fixed[team] or []))
        if clash:
            problems.append("%s of team %s are both removable and non-removable" % (", ".join(clash), team))
    return problems


SYSTEM_EXTENSIONS = Payload("com.apple.system-extension-policy", "10.15", {
    "AllowUserOverrides": _boolean(),
    "AllowedTeamIdentifiers": Key(ARRAY, item=_string(check=validators.team_id)),
    "AllowedSystemExtensionTypes": Key(DICTIONARY, key_check=validators.team_id,
                                       any_key=Key(ARRAY, item=_string(choices=EXTENSION_TYPES))),
    "AllowedSystemExtensions": _team_map(validators.bundle_id),
    "RemovableSystemExtensions": _team_map(validators.bundle_id, macos="12.0"),
    "NonRemovableSystemExtensions": _team_map(validators.bundle_id, macos="15.0"),
    "NonRemovableFromUISystemExtensions": _team_map(validators.bundle_id, macos="15.0"),
}, device_only=True, mdm_only=True, rule=_extension_rules)


# --- com.apple.TCC.configuration-profile-policy (PPPC) ---------------------------------------------

IDENTIFIER_TYPES = ("bundleID", "path")
_RECEIVER_KEYS = ("AEReceiverIdentifier", "AEReceiverIdentifierType", "AEReceiverCodeRequirement")
# Apple: these can only be denied by a profile; ListenEvent and ScreenCapture may also let a standard
# user decide (AllowStandardUserToSetSystemService), which no other service accepts.
_DENY_ONLY = ("Camera", "Microphone", "ListenEvent", "ScreenCapture")
_STANDARD_USER_SERVICES = ("ListenEvent", "ScreenCapture")
# Apple's newer schema release deprecates granting Accessibility by profile (not in 15.1's files).
_ACCESSIBILITY_DEPRECATED = ("Apple deprecates granting Accessibility through a profile from macOS 26.2 and removes "
                             "it in macOS 27: the grant is ignored there")


def _identity_check(identifier, identifier_type):
    if identifier_type == "bundleID":
        return validators.bundle_id(identifier)
    return validators.absolute_path(identifier) if identifier_type == "path" else None


def _identity_rule(service):
    def rule(entry):
        problems = []
        # Apple's 15.1 files mark Allowed required, but their text (and the newer release) ask for
        # exactly one of Allowed and Authorization.
        if ("Allowed" in entry) == ("Authorization" in entry):
            problems.append("give exactly one of Allowed and Authorization")
        receiver = [name for name in _RECEIVER_KEYS if name in entry]
        if service == "AppleEvents" and len(receiver) != len(_RECEIVER_KEYS):
            problems.append("an AppleEvents entry needs %s" % ", ".join(_RECEIVER_KEYS))
        elif service != "AppleEvents" and receiver:
            problems.append("%s only belong to AppleEvents entries" % ", ".join(receiver))
        if service in _DENY_ONLY and (entry.get("Allowed") is True or entry.get("Authorization") == "Allow"):
            problems.append("%s can only be denied by a profile" % service)
        if (entry.get("Authorization") == "AllowStandardUserToSetSystemService"
                and service not in _STANDARD_USER_SERVICES):
            problems.append("AllowStandardUserToSetSystemService is only valid for %s" % " and ".join(_STANDARD_USER_SERVICES))
        for name, kind in (("Identifier", "IdentifierType"), ("AEReceiverIdentifier", "AEReceiverIdentifierType")):
            if isinstance(entry.get(name), str):
                problem = _identity_check(entry[name], entry.get(kind))
                if problem:
                    problems.append("%s: %s" % (name, problem))
        return problems
    return rule


def _identity_list(service, macos=None, deprecated=None):
    entry = Key(DICTIONARY, rule=_identity_rule(service), keys={
        "Identifier": _string(required=True),
        "IdentifierType": _string(required=True, choices=IDENTIFIER_TYPES),
        "CodeRequirement": _string(required=True, check=validators.code_requirement),
        "StaticCode": _boolean(),
        "Allowed": _boolean(),
        "Authorization": _string(choices=("Allow", "Deny", "AllowStandardUserToSetSystemService"), macos="11.0"),
        "Comment": _string(),
        "AEReceiverIdentifier": _string(),
        "AEReceiverIdentifierType": _string(choices=IDENTIFIER_TYPES),
        "AEReceiverCodeRequirement": _string(check=validators.code_requirement),
    })
    return Key(ARRAY, item=entry, macos=macos, deprecated=deprecated)


_SERVICES_SINCE = {
    None: ("AddressBook", "Calendar", "Reminders", "Photos", "Camera", "Microphone", "PostEvent", "SystemPolicyAllFiles",
           "SystemPolicySysAdminFiles", "AppleEvents"),
    "10.15": ("MediaLibrary", "FileProviderPresence", "ListenEvent", "ScreenCapture", "SpeechRecognition",
              "SystemPolicyDesktopFolder", "SystemPolicyDocumentsFolder", "SystemPolicyDownloadsFolder",
              "SystemPolicyNetworkVolumes", "SystemPolicyRemovableVolumes"),
    "11.0": ("BluetoothAlways",),
    "13.0": ("SystemPolicyAppBundles",),
    "14.0": ("SystemPolicyAppData",),
}
SERVICES = dict((service, _identity_list(service, since)) for since, names in _SERVICES_SINCE.items() for service in names)
SERVICES["Accessibility"] = _identity_list("Accessibility", deprecated=_ACCESSIBILITY_DEPRECATED)

PRIVACY = Payload("com.apple.TCC.configuration-profile-policy", "10.14", {
    "Services": Key(DICTIONARY, required=True, keys=SERVICES),
}, device_only=True, mdm_only=True)


# --- com.apple.servicemanagement (managed login items) -----------------------------------------------

RULE_TYPES = ("BundleIdentifier", "BundleIdentifierPrefix", "Label", "LabelPrefix", "TeamIdentifier")
_RULE_VALUE_CHECKS = {"BundleIdentifier": validators.bundle_id, "TeamIdentifier": validators.team_id}


def _login_item_rule(rule):
    check = _RULE_VALUE_CHECKS.get(rule.get("RuleType"), validators.non_empty)
    problem = check(rule["RuleValue"]) if isinstance(rule.get("RuleValue"), str) else None
    return ["RuleValue: %s" % problem] if problem else []


LOGIN_ITEMS = Payload("com.apple.servicemanagement", "13.0", {
    "Rules": Key(ARRAY, required=True, item=Key(DICTIONARY, rule=_login_item_rule, keys={
        "RuleType": _string(required=True, choices=RULE_TYPES),
        "RuleValue": _string(required=True),
        "Comment": _string(),
        "TeamIdentifier": _string(check=validators.team_id),
    })),
}, device_only=True, mdm_only=True)

PAYLOADS = dict((payload.payload_type, payload) for payload in (NOTIFICATIONS, SYSTEM_EXTENSIONS, PRIVACY, LOGIN_ITEMS))


# --- the check --------------------------------------------------------------------------------------

def _version(text):
    return tuple(int(part) for part in text.split("."))


class Report:
    """What a check found: problems (the profile must not be written), warnings, the macOS it needs."""

    def __init__(self):
        self.problems = []
        self.warnings = []
        self.versions = [TOP_LEVEL_MACOS]

    def problem(self, path, text):
        self.problems.append("%s %s" % (path, text) if path else text)

    @property
    def minimum_macos(self):
        return max(self.versions, key=_version)


def _walk(value, key, path, report):
    if key.macos == NOT_ON_MACOS:
        report.problem(path, "is not supported on macOS (Apple's schema marks it unavailable there); remove it")
        return
    if not _TYPE_CHECKS[key.kind](value):
        report.problem(path, "must be a %s, not %s" % (key.kind, type(value).__name__))
        return
    if key.macos:
        report.versions.append(key.macos)
    if key.deprecated:
        report.warnings.append("%s: %s" % (path, key.deprecated))
    if key.choices is not None and value not in key.choices:
        report.problem(path, "must be one of %s, not %r" % (", ".join(str(choice) for choice in key.choices), value))
        return
    if key.kind == STRING and validators.plist_text(value):  # a plist cannot carry it: the check would not help
        report.problem(path, "is invalid: %s" % validators.plist_text(value))
        return
    problem = key.check(value) if key.check else None
    if problem:
        report.problem(path, "is invalid: %s" % problem)
    if key.kind == ARRAY:
        for index, item in enumerate(value):
            _walk(item, key.item, "%s[%d]" % (path, index), report)
    elif key.kind == DICTIONARY:
        _walk_dictionary(value, key, path, report)
    if key.rule:
        for text in key.rule(value):
            report.problem(path, "is invalid: %s" % text)


def _walk_dictionary(value, key, path, report):
    prefix = path + "." if path else ""
    for name in sorted(value, key=str):
        spec = key.keys.get(name)
        if spec is None and key.any_key is not None and isinstance(name, str):
            problem = key.key_check(name) if key.key_check else None
            if problem:
                report.problem(prefix + name, "is an invalid key: %s" % problem)
                continue
            spec = key.any_key
        if spec is None:
            report.problem(prefix + str(name), "is not a key of this dictionary in Apple's schema")
        else:
            _walk(value[name], spec, prefix + name, report)
    for name in sorted(key.keys):
        if key.keys[name].required and name not in value:
            report.problem(prefix + name, "is required")


def validate_profile(profile):
    """Check a whole profile; return its Report, or raise ProfileError listing every problem."""
    report = Report()
    _walk(profile, Key(DICTIONARY, keys=TOP_LEVEL), "", report)
    payloads = profile.get("PayloadContent") if isinstance(profile, dict) else None
    identifiers = [profile.get("PayloadIdentifier")] if isinstance(profile, dict) else []
    uuids = [str(profile.get("PayloadUUID")).upper()] if isinstance(profile, dict) else []
    for index, payload in enumerate(payloads if isinstance(payloads, list) else []):
        path = "PayloadContent[%d]" % index
        if not isinstance(payload, dict):
            report.problem(path, "must be a dictionary")
            continue
        spec = PAYLOADS.get(payload.get("PayloadType"))
        if spec is None:
            report.problem(path + ".PayloadType", "%r is not a payload type this collection writes (%s)"
                           % (payload.get("PayloadType"), ", ".join(sorted(PAYLOADS))))
            continue
        keys = dict(COMMON, **spec.keys)
        report.versions.append(spec.macos)
        _walk(payload, Key(DICTIONARY, keys=keys, rule=spec.rule), "%s (%s)" % (path, spec.payload_type), report)
        if spec.device_only and profile.get("PayloadScope") == "User":
            report.problem(path, "(%s) only installs on the device channel: the profile's PayloadScope must be System"
                           % spec.payload_type)
        identifiers.append(payload.get("PayloadIdentifier"))
        uuids.append(str(payload.get("PayloadUUID")).upper())
    for label, values in (("PayloadIdentifier", identifiers), ("PayloadUUID", uuids)):
        twice = sorted(set(str(value) for value in values if value is not None and values.count(value) > 1))
        if twice:
            report.problem("", "%s must be unique within the profile: %s used more than once" % (label, ", ".join(twice)))
    if report.problems:
        raise validators.ProfileError(report.problems)
    return report
