"""pwpolicy: account policies (lockout threshold), authentication-allowed, enable/disable.

Output wording beyond the first line of -getaccountpolicies is unconfirmed.
"""

import os
import plistlib

from . import _policy

_USAGE = """Usage: pwpolicy <command> [-u username] [args]
  -getaccountpolicies        Get account policies
  -setaccountpolicies FILE   Set account policies from a policy plist file
  -clearaccountpolicies      Remove account policies
  -authentication-allowed    Is the user allowed to authenticate
  -setglobalpolicy "maxFailedLoginAttempts=N"
  -enableuser / -disableuser Enable or disable a user (with -u)"""

_COMMANDS = {
    "-getaccountpolicies": ("read", 0),
    "-setaccountpolicies": ("write", 1),
    "-clearaccountpolicies": ("write", 0),
    "-authentication-allowed": ("read", 0),
    "-setglobalpolicy": ("write", 1),
    "-enableuser": ("write", 0),
    "-disableuser": ("write", 0),
}
_NEEDS_USER = ("-authentication-allowed", "-enableuser", "-disableuser")


def main(ctx):
    args = list(ctx.argv)
    user = None
    command = None
    value = None
    while args:
        word = args.pop(0)
        if word == "-u" and args and user is None:
            user = args.pop(0)
        elif word in _COMMANDS and command is None:
            command = word
            if _COMMANDS[word][1]:
                if not args:
                    return _usage(ctx)
                value = args.pop(0)
        else:
            return _usage(ctx)
    if command is None or (command in _NEEDS_USER and user is None):
        return _usage(ctx)
    if command == "-setglobalpolicy" and user is not None:
        return _usage(ctx)
    ctx.begin(command, _COMMANDS[command][0])
    if user is not None and ctx.host.user(user) is None:
        ctx.err("Error: user <%s> not found" % user)  # unconfirmed
        return 1
    return _HANDLERS[command](ctx, user, value)


def _usage(ctx):
    ctx.err(_USAGE)
    return 1  # unconfirmed


def _store(ctx, user):
    policy = ctx.host.data["policy"]
    if user is None:
        return policy["global"]
    return policy["users"].setdefault(user, {})


def _get(ctx, user, _value):
    if user:
        ctx.out("Getting account policies for user <%s>" % user)
    else:
        ctx.out("Getting global account policies")
    raw = _store(ctx, user).get("raw") or _as_policy_plist(_store(ctx, user))
    ctx.out(plistlib.dumps(raw).decode("utf-8").rstrip("\n"))
    return 0


def _as_policy_plist(store):
    """The lockout threshold expressed as an Apple account policy document."""
    content = []
    limit = store.get("maxFailedLoginAttempts")
    if limit:
        params = {_policy.MAX_FAILED: int(limit)}
        if store.get(_policy.RESET_MINUTES):
            params[_policy.RESET_MINUTES] = store[_policy.RESET_MINUTES]
        content.append({
            "policyContent": "(policyAttributeFailedAuthentications < policyAttributeMaximumFailedAuthentications)",
            "policyIdentifier": "com.apple.maximumFailedLoginAttempts",
            "policyParameters": params,
        })
    return {"policyCategoryAuthentication": content} if content else {}


def _set(ctx, user, path):
    if not os.path.isfile(path):
        ctx.err("Error: unable to read policy file %s" % path)  # unconfirmed
        return 1
    try:
        with open(path, "rb") as handle:
            raw = plistlib.load(handle)
    except Exception:  # pylint: disable=broad-except
        ctx.err("Error: policy file %s is not a valid property list" % path)
        return 1
    store = {"raw": raw}
    for entry in raw.get("policyCategoryAuthentication", []):
        params = entry.get("policyParameters", {})
        if _policy.MAX_FAILED in params:
            store["maxFailedLoginAttempts"] = int(params[_policy.MAX_FAILED])
        if _policy.RESET_MINUTES in params:
            store[_policy.RESET_MINUTES] = params[_policy.RESET_MINUTES]

    def write():
        if user is None:
            ctx.host.data["policy"]["global"] = store
        else:
            ctx.host.data["policy"]["users"][user] = store
        ctx.wrote()

    ctx.steps(write)
    return 0


def _clear(ctx, user, _value):
    def write():
        if user is None:
            ctx.host.data["policy"]["global"] = {}
        else:
            ctx.host.data["policy"]["users"].pop(user, None)
        ctx.wrote()

    ctx.steps(write)
    return 0


def _set_global(ctx, _user, value):
    key, _sep, number = value.partition("=")
    if key != "maxFailedLoginAttempts" or not number.isdigit():
        ctx.err("Error: unsupported global policy %r (macsim simulates maxFailedLoginAttempts=N)" % value)
        return 1

    def write():
        ctx.host.data["policy"]["global"] = {"maxFailedLoginAttempts": int(number)}
        ctx.wrote()

    ctx.steps(write)
    return 0


def _authentication_allowed(ctx, user, _value):
    record = ctx.host.user(user)
    if record["disabled"]:
        ctx.out("User <%s> is not allowed to authenticate: account disabled" % user)
    elif _policy.is_locked_out(ctx.host, user):
        ctx.out("User <%s> is not allowed to authenticate: Failed global policy "
                "\"com.apple.maximumFailedLoginAttempts\"" % user)
    else:
        ctx.out("Policy allows user <%s> to authenticate" % user)
    return 0


def _set_disabled(disabled):
    def handler(ctx, user, _value):
        def write():
            ctx.host.user(user)["disabled"] = disabled
            ctx.wrote()

        ctx.steps(write)
        return 0
    return handler


_HANDLERS = {
    "-getaccountpolicies": _get,
    "-setaccountpolicies": _set,
    "-clearaccountpolicies": _clear,
    "-authentication-allowed": _authentication_allowed,
    "-setglobalpolicy": _set_global,
    "-enableuser": _set_disabled(False),
    "-disableuser": _set_disabled(True),
}
