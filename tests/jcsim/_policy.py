"""The organisation password policy: defaults, compliance presets, and the server-side checks.

Field names are JumpCloud's (organizationsettings.passwordPolicy). The rule texts and the exact
semantics of each check are not published: each choice below says `unconfirmed` and leans to
the stricter reading, so a client that passes here is not surprised by the real service.
"""

# Sensible defaults for a fresh organisation (JumpCloud's own defaults are not published).
DEFAULT_PASSWORD_POLICY = {
    "enableMinLength": True, "minLength": 12,
    "needsLowercase": True, "needsUppercase": True, "needsNumeric": True, "needsSymbolic": True,
    "allowUsernameSubstring": False,
    "disallowCommonlyUsedPasswords": True,
    "disallowSequentialOrRepetitiveChars": False,
    "enablePasswordExpirationInDays": False, "passwordExpirationInDays": 90,
    "enableDaysBeforeExpirationToForceReset": False, "daysBeforeExpirationToForceReset": 7,
    "enableMaxHistory": True, "maxHistory": 5,
    "enableMinChangePeriodInDays": False, "minChangePeriodInDays": 1,
    "enableMaxLoginAttempts": True, "maxLoginAttempts": 5,
    "enableLockoutTimeInSeconds": False, "lockoutTimeInSeconds": 900,
    "enableResetLockoutCounter": False, "resetLockoutCounterMinutes": 15,
    "allowUnenrolledMFAPasswordReset": False,
    "displayComplexityOnResetScreen": True,
    "enableRecoveryEmail": False,
    "enableDaysAfterExpirationToSelfRecover": False, "daysAfterExpirationToSelfRecover": 0,
}

# passwordCompliance "pci3" / "windows" replace the custom policy. Their contents are not published
# (unconfirmed): PCI DSS 3 requirement 8 and the Windows domain defaults are the models. Keys starting
# with "_" are checks the custom policy cannot express.
_OFF = dict(DEFAULT_PASSWORD_POLICY, **{key: False for key in DEFAULT_PASSWORD_POLICY
                                        if key.startswith(("enable", "needs", "disallow"))})
COMPLIANCE_PRESETS = {
    "pci3": dict(_OFF, enableMinLength=True, minLength=7, needsNumeric=True, _needsAlpha=True,
                 enableMaxHistory=True, maxHistory=4, enablePasswordExpirationInDays=True, passwordExpirationInDays=90,
                 enableMaxLoginAttempts=True, maxLoginAttempts=6, enableLockoutTimeInSeconds=True,
                 lockoutTimeInSeconds=1800),
    "windows": dict(_OFF, enableMinLength=True, minLength=8, _needsThreeOfFour=True, allowUsernameSubstring=False,
                    enableMaxHistory=True, maxHistory=24, enablePasswordExpirationInDays=True,
                    passwordExpirationInDays=42),
}
COMPLIANCE_VALUES = ("custom",) + tuple(COMPLIANCE_PRESETS)

# disallowCommonlyUsedPasswords: JumpCloud's list is not published (unconfirmed). A short list of
# passwords from public breach top-lists, compared case-insensitively; some pass every complexity rule.
COMMON_PASSWORDS = frozenset((
    "123456", "123456789", "12345678", "password", "qwerty123", "password1", "111111", "iloveyou", "admin",
    "welcome", "letmein", "monkey", "dragon", "sunshine", "football", "princess", "qwertyuiop", "passw0rd",
    "password123", "password123!", "password1!", "p@ssw0rd", "p@ssw0rd123", "p@ssw0rd123!", "welcome1!",
    "welcome123!", "qwerty123!", "changeme123!", "letmein123!", "summer2024!", "winter2024!", "admin123!",
))

# Shortest run counted as "sequential or repetitive" (unconfirmed; 3 is the strict end of common practice).
RUN_LENGTH = 3


def _categories(password):
    return {
        "lowercase": any(char.islower() for char in password),
        "uppercase": any(char.isupper() for char in password),
        "numeric": any(char.isdigit() for char in password),
        # Any character that is neither a letter nor a digit counts as a symbol, space included (unconfirmed).
        "symbolic": any(not char.isalnum() for char in password),
    }


def has_run(password):
    """True when `password` holds RUN_LENGTH equal characters, or an ascending/descending run (abc, 321)."""
    for start in range(len(password) - RUN_LENGTH + 1):
        codes = [ord(char) for char in password[start:start + RUN_LENGTH].lower()]
        steps = {second - first for first, second in zip(codes, codes[1:])}
        if len(steps) == 1 and steps.pop() in (-1, 0, 1):
            return True
    return False


def complexity_violations(policy, password, username):
    """[(rule, text)] for the rules that look at the password alone (not history or timing)."""
    found = []
    if not password:
        return [("password", "password must not be empty")]
    if policy.get("enableMinLength") and len(password) < policy.get("minLength", 0):
        found.append(("minLength", "password must be at least %d characters long" % policy["minLength"]))
    present = _categories(password)
    for kind in ("lowercase", "uppercase", "numeric", "symbolic"):
        rule = "needs" + kind.capitalize()
        if policy.get(rule) and not present[kind]:
            found.append((rule, "password must contain a %s character" % kind))
    if policy.get("_needsAlpha") and not (present["lowercase"] or present["uppercase"]):
        found.append(("needsAlpha", "password must contain a letter"))
    if policy.get("_needsThreeOfFour") and sum(present.values()) < 3:
        found.append(("complexity", "password must contain characters from three of: lowercase, uppercase, digits, symbols"))
    if not policy.get("allowUsernameSubstring", True) and username and username.lower() in password.lower():
        found.append(("allowUsernameSubstring", "password must not contain the username"))
    if policy.get("disallowCommonlyUsedPasswords") and password.lower() in COMMON_PASSWORDS:
        found.append(("disallowCommonlyUsedPasswords", "password is too common"))
    if policy.get("disallowSequentialOrRepetitiveChars") and has_run(password):
        found.append(("disallowSequentialOrRepetitiveChars",
                      "password must not contain %d or more sequential or repeated characters" % RUN_LENGTH))
    return found


def history_depth(policy):
    """How many stored hashes a new password is compared with, the current one included.

    enableMaxHistory with maxHistory N: the current password and the N before it (unconfirmed: the
    stricter reading). Without history, reusing even the current password is allowed.
    """
    return policy["maxHistory"] + 1 if policy.get("enableMaxHistory") else 0


def violation_message(violations):
    """The 400 message for a refused password: every broken rule by its policy field name."""
    return "Password does not meet the password policy: " + "; ".join(
        "%s: %s" % (rule, text) for rule, text in violations)
