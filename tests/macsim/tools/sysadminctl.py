"""sysadminctl: secure token status/grant and admin password resets.

Everything goes to stderr with an NSLog prefix. Exit codes are unconfirmed and
admins report exit 0 after a rejected change, so macsim exits 0 for refused
operations (the strict choice: callers must verify the result themselves).
Usage errors exit 1 (unconfirmed) with the usage text.
"""

from .._state import check_secret
from . import _policy

_USAGE = """Usage: sysadminctl [options]
\t-resetPasswordFor <local user name> -newPassword <password> [-passwordHint <password hint>]
\t\t(interactive || -adminUser <administrator user name> -adminPassword <administrator password>)
\t-secureTokenStatus <user name>
\t-secureTokenOn <user name> -password <password> (interactive || -adminUser <administrator user name> -adminPassword <administrator password>)
\t-secureTokenOff <user name> -password <password> (interactive || -adminUser <administrator user name> -adminPassword <administrator password>)

Pass '-' instead of password in commands above to request prompt.
'-adminPassword' used mostly for scripted operation. Use '-' or 'interactive' to get the authentication string
interactively. This is preferred for security reasons"""

# verb -> (options that take a value, options that must be present)
_VERBS = {
    "-secureTokenStatus": ((), ()),
    "-resetPasswordFor": (("-newPassword", "-passwordHint", "-adminUser", "-adminPassword"), ("-newPassword",)),
    "-secureTokenOn": (("-password", "-adminUser", "-adminPassword"), ("-password",)),
    "-secureTokenOff": (("-password", "-adminUser", "-adminPassword"), ("-password",)),
}
_SECRET_OPTIONS = ("-newPassword", "-password", "-adminPassword")
_NOT_PERMITTED = "Operation is not permitted without secure token unlock."
_AUTH_FAILED = "### Error:-14090 File:/AppleInternal/Library/BuildRoots/sysadminctl/main.m Line:94"


class _Refused(Exception):
    """A refused operation: logged, and (like the real tool) exit 0."""


def main(ctx):
    parsed = _parse(ctx.argv)
    if parsed is None:
        ctx.err(_USAGE)
        return 1
    verb, target, options, interactive = parsed
    if interactive:
        # 'interactive' asks for admin credentials in a GUI dialog: no window server here.
        ctx.nslog("### Error: interactive authentication needs a GUI session (macsim)")
        return 1
    kind = "read" if verb == "-secureTokenStatus" else "write"
    ctx.begin(verb, kind)
    try:
        _read_prompted_secrets(ctx, options)
        {"-secureTokenStatus": _token_status, "-resetPasswordFor": _reset_password,
         "-secureTokenOn": _token_on, "-secureTokenOff": _token_off}[verb](ctx, target, options)
    except _Refused as exc:
        ctx.nslog(str(exc))
    return 0


def _parse(argv):
    """Strict parse: the verb first with its user, then known option/value pairs."""
    if len(argv) < 2 or argv[0] not in _VERBS or argv[1].startswith("-"):
        return None
    verb, target = argv[0], argv[1]
    allowed, required = _VERBS[verb]
    options, interactive, rest = {}, False, argv[2:]
    while rest:
        word = rest.pop(0)
        if word == "interactive" and verb != "-secureTokenStatus":
            interactive = True
        elif word in allowed and rest and word not in options:
            options[word] = rest.pop(0)
        else:
            return None
    if any(r not in options for r in required):
        return None
    if ("-adminUser" in options) != ("-adminPassword" in options):
        return None
    return verb, target, options, interactive


def _read_prompted_secrets(ctx, options):
    """'-' asks on the terminal, in command-line order (prompt texts unconfirmed)."""
    for flag in [f for f in ctx.argv if f in _SECRET_OPTIONS]:
        if options.get(flag) == "-":
            who = options.get("-adminUser") if flag == "-adminPassword" else ctx.argv[1]
            answer = ctx.prompt_secret("Enter password for %s : " % who)
            if answer is None:
                raise _Refused("### Error: no password entered")
            options[flag] = answer


def _require_user(ctx, name):
    if ctx.host.user(name) is None:
        raise _Refused("### Error:-14136 File:/AppleInternal/Library/BuildRoots/sysadminctl/main.m Line:312 "
                       "(unknown user %s)" % name)
    return ctx.host.user(name)


def _authorised_admin(ctx, options):
    """The admin must exist, be an admin, know its password, and hold a secure token."""
    if "-adminUser" not in options:
        return False
    name = options["-adminUser"]
    admin = _require_user(ctx, name)
    ok = check_secret(options["-adminPassword"], admin["password"]) and not _policy.is_locked_out(ctx.host, name)
    _policy.record_attempt(ctx.host, name, ok)
    if not ok:
        raise _Refused(_AUTH_FAILED)
    if not admin["admin"]:
        raise _Refused("### Error: %s is not an administrator" % name)
    return ctx.host.has_secure_token(name)


def _token_status(ctx, target, _options):
    _require_user(ctx, target)
    state = "ENABLED" if ctx.host.has_secure_token(target) else "DISABLED"
    ctx.nslog("Secure token is %s for user %s" % (state, target))


def _reset_password(ctx, target, options):
    """Admin reset: FileVault kept in step for a token user, login keychain NOT re-keyed."""
    user = _require_user(ctx, target)
    token_unlocked = _authorised_admin(ctx, options)
    target_has_token = ctx.host.has_secure_token(target)
    if target_has_token and not token_unlocked:
        raise _Refused(_NOT_PERMITTED)
    new = options["-newPassword"]

    def set_local():
        ctx.host.set_password(target, new)
        ctx.wrote()

    def rewrap_crypto():
        if target_has_token and ctx.host.crypto_user(user["GeneratedUID"]):
            ctx.host.set_crypto_passphrase(user["GeneratedUID"], new)
            ctx.wrote()

    ctx.steps(set_local, rewrap_crypto)


def _authorise_token_change(ctx, user, options):
    """Token grants and revocations need the user's password and a secure-token admin."""
    if not check_secret(options["-password"], user["password"]):
        raise _Refused(_AUTH_FAILED)
    if not _authorised_admin(ctx, options):
        raise _Refused(_NOT_PERMITTED)


def _token_on(ctx, target, options):
    user = _require_user(ctx, target)
    if ctx.host.has_secure_token(target):
        ctx.nslog("Secure token is already enabled for user %s" % target)  # unconfirmed wording
        return
    _authorise_token_change(ctx, user, options)

    def grant():
        ctx.host.set_secure_token(target, True)
        ctx.wrote()

    def add_crypto_user():
        # On APFS a token grant makes the user a crypto user of the volume.
        if ctx.host.data["filevault"]:
            ctx.host.data["crypto_users"][user["GeneratedUID"].upper()] = {
                "type": "Local Open Directory User", "volume_owner": True, "hash": None}
            ctx.host.set_crypto_passphrase(user["GeneratedUID"], options["-password"])

    ctx.steps(grant, add_crypto_user)
    ctx.nslog("Done!")  # unconfirmed wording


def _token_off(ctx, target, options):
    user = _require_user(ctx, target)
    _authorise_token_change(ctx, user, options)

    def revoke():
        ctx.host.set_secure_token(target, False)
        ctx.host.data["crypto_users"].pop(user["GeneratedUID"].upper(), None)
        ctx.wrote()

    ctx.steps(revoke)
    ctx.nslog("Done!")  # unconfirmed wording
