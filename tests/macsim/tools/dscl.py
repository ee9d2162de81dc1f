"""dscl: the local node (`.`), the commands a password sync needs, strictly.

Exit codes follow DSTools: exit = (-DSError) & 0xFF (eDSAuthFailed -14090 -> 10).
Interactive mode (`dscl -q .` with commands on stdin) always exits 0: callers
must read the text. Commands dscl has but macsim does not simulate fail loudly.
"""

import plistlib
import shlex

from .._state import check_secret
from . import _policy

NODE = "/Local/Default"
DS_ERRORS = {
    "eDSAuthFailed": -14090,
    "eDSAuthMethodNotSupported": -14091,
    "eDSPermissionError": -14120,
    "eDSRecordNotFound": -14136,
    "eDSAuthAccountDisabled": -14167,
    "eDSInvalidPlistPath": -14150,
}
_DATASOURCES = (".", "localhost", "/Local/Default")
_READ_COMMANDS = ("read", "readpl", "list", "authonly")
_WRITE_COMMANDS = ("passwd", "createpl", "deletepl")
# Real dscl commands that macsim does not simulate: refused, never faked.
_UNSIMULATED = ("readall", "readpli", "search", "create", "append", "merge", "delete",
                "change", "changei", "diff", "createpli", "deletepli", "auth", "cd", "ls", "cat")
_USAGE = """Usage: dscl [options] [<datasource> [<command>]]
datasource:
    localhost    (default)                                    or
    localonly    (activates a DirectoryService daemon process
                  with Local node only - daemon quits after use
    <hostname>   (requires DS proxy support, >= DS v1.1)      or
    <nodename>   (Tiger and later, hostname not valid for nodes)
options:
    -u <user>      authenticate as user (required when using DS Proxy)
    -P <password>  authentication password
    -p             prompt for password
    -f <filepath>  targeted local node database file path
    -raw           don't strip off prefix from DirectoryService API constants
    -plist         print out record(s) or attribute(s) in XML plist format
    -url           print record attribute values in URL-style encoding
    -q             quiet - no interactive prompt
commands:
    -read      <path> [<key>...]
    -readpl    <path> <key> <plist path>
    -list      <path> [<key>]
    -createpl  <record path> <key> <plist path> <val1> [<val2>...]
    -deletepl  <record path> <key> <plist path> [<val1> <val2>...]
    -passwd    <user path> [<old password> | <new password>]
    -authonly  <user name> [<password>]"""


class _CommandError(Exception):
    """A DS error: printed as '<dscl_cmd> DS Error: N (name)' on stderr."""

    def __init__(self, name, stdout_line=None):
        super(_CommandError, self).__init__(name)
        self.name = name
        self.stdout_line = stdout_line


def _exit_of(name):
    return (-DS_ERRORS[name]) & 0xFF


def main(ctx):
    args = list(ctx.argv)
    quiet = False
    while args and args[0] in ("-q", "-raw", "-plist", "-url"):
        if args[0] == "-q":
            quiet = True
        elif args[0] != "-raw":
            ctx.err("macsim: dscl %s is not simulated" % args[0])
            return 2
        args.pop(0)
    if args and args[0] in ("-u", "-P", "-p", "-f"):
        ctx.err("macsim: dscl %s is not simulated (and puts secrets on argv)" % args[0])
        return 2
    if not args or args[0].startswith("-"):
        ctx.err(_USAGE)
        return 64  # unconfirmed: the usage exit code of dscl
    if args[0] not in _DATASOURCES:
        ctx.err("Data source (%s) is not valid." % args[0])
        return 64  # unconfirmed
    if len(args) == 1:
        _interactive(ctx, quiet)
        return 0
    return _dispatch(ctx, args[1:], interactive=False)


def _interactive(ctx, quiet):
    """Commands from stdin, dash optional; exit code is 0 whatever happens."""
    while True:
        if not quiet:
            ctx.stdout.write("> ")
            ctx.stdout.flush()
        line = ctx.readline()
        if line is None:
            return
        try:
            words = shlex.split(line)
        except ValueError:
            ctx.out("Invalid Command: %s" % line)
            continue
        if not words:
            continue
        if words[0] in ("quit", "q", "exit"):
            return
        _dispatch(ctx, words, interactive=True)


def _dispatch(ctx, words, interactive):
    command = words[0][1:] if words[0].startswith("-") else words[0]
    if not interactive and not words[0].startswith("-"):
        ctx.err(_USAGE)
        return 64
    handler = _HANDLERS.get(command)
    if handler is None:
        if command in _UNSIMULATED:
            ctx.err("macsim: dscl -%s is not simulated" % command)
            return 2
        ctx.out("Invalid Command: %s" % words[0])  # unconfirmed wording
        return 64
    ctx.begin("-" + command, "write" if command in _WRITE_COMMANDS else "read")
    try:
        handler(ctx, words[1:])
        return 0
    except _CommandError as exc:
        if exc.stdout_line:
            ctx.out(exc.stdout_line)
        ctx.err("<dscl_cmd> DS Error: %d (%s)" % (DS_ERRORS[exc.name], exc.name))
        return _exit_of(exc.name)
    except _Usage as exc:
        ctx.err(exc.text)
        return 64


class _Usage(Exception):
    def __init__(self, text):
        super(_Usage, self).__init__(text)
        self.text = text


def _user_from_path(ctx, path):
    """'/Users/alice' or 'Users/alice' -> (name, record); missing -> eDSRecordNotFound."""
    parts = path.strip("/").split("/")
    if len(parts) != 2 or parts[0] != "Users" or not parts[1]:
        raise _CommandError("eDSRecordNotFound")
    user = ctx.host.user(parts[1])
    if user is None:
        raise _CommandError("eDSRecordNotFound")
    return parts[1], user


# -- reads --------------------------------------------------------------------------
def _attributes(user):
    """The record as dscl shows it: standard attributes, then native ones with their prefix."""
    policy = dict(user["accountPolicyData"])
    return [
        ("dsAttrTypeNative:accountPolicyData", plistlib.dumps(policy).decode("utf-8").rstrip("\n")),
        ("AuthenticationAuthority", user["AuthenticationAuthority"]),
        ("GeneratedUID", [user["GeneratedUID"]]),
        ("NFSHomeDirectory", [user["NFSHomeDirectory"]]),
        ("Password", ["********"]),
        ("PrimaryGroupID", [str(user["PrimaryGroupID"])]),
        ("RealName", [user["RealName"]]),
        ("RecordName", [user["RecordName"]]),
        ("RecordType", ["dsRecTypeStandard:Users"]),
        ("UniqueID", [str(user["UniqueID"])]),
        ("UserShell", [user["UserShell"]]),
    ]


def _print_attribute(ctx, key, values):
    if isinstance(values, str):  # a plist: key line, then the document
        ctx.out("%s:" % key)
        ctx.out(values)
    elif not values:
        ctx.out("%s:" % key)
    elif any(" " in v for v in values):
        ctx.out("%s:" % key)
        for value in values:
            ctx.out(" " + value)
    else:
        ctx.out("%s: %s" % (key, " ".join(values)))


def _normalise_key(key):
    for prefix in ("dsAttrTypeStandard:", "dsAttrTypeNative:"):
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def _read(ctx, args):
    if not args:
        raise _Usage("Usage: dscl -read <path> [<key>...]")
    _name, user = _user_from_path(ctx, args[0])
    attributes = _attributes(user)
    if len(args) == 1:
        for key, values in attributes:
            _print_attribute(ctx, key, values)
        return
    by_key = dict((_normalise_key(k), (k, v)) for k, v in attributes)
    for key in args[1:]:
        found = by_key.get(_normalise_key(key))
        if found is None:
            ctx.err("No such key: %s" % key)  # and still exit 0, as dscl does
            continue
        _print_attribute(ctx, *found)


def _readpl(ctx, args):
    if len(args) != 3:
        raise _Usage("Usage: dscl -readpl <path> <key> <plist path>")
    _name, user = _user_from_path(ctx, args[0])
    if _normalise_key(args[1]) != "accountPolicyData":
        ctx.err("No such key: %s" % args[1])
        return
    value = user["accountPolicyData"].get(args[2])
    if value is None:
        ctx.err("No such plist path: %s" % args[2])  # unconfirmed stream; exit stays 0
        return
    ctx.out("%s: %s" % (args[2], _plist_scalar(value)))


def _plist_scalar(value):
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


def _list(ctx, args):
    if not args or len(args) > 2 or args[0].strip("/") != "Users":
        raise _Usage("Usage: dscl -list <path> [<key>]")
    users = sorted(ctx.host.data["users"].items())
    if len(args) == 1:
        for name, _user in users:
            ctx.out(name)
        return
    key = _normalise_key(args[1])
    width = max(len(name) for name, _user in users) + 1
    for name, user in users:
        values = dict((_normalise_key(k), v) for k, v in _attributes(user)).get(key)
        if values is not None and not isinstance(values, str):
            ctx.out("%s%s" % (name.ljust(width), " ".join(values)))


# -- authentication and password changes --------------------------------------------
def _check_can_authenticate(ctx, name, user):
    if user["disabled"] or _policy.is_locked_out(ctx.host, name):
        raise _CommandError("eDSAuthAccountDisabled",
                            "Authentication for node %s failed. (%d, eDSAuthAccountDisabled)"
                            % (NODE, DS_ERRORS["eDSAuthAccountDisabled"]))


def _authenticate(ctx, name, password, failure_line):
    """Check a password as opendirectoryd does: counts failures toward the lockout."""
    user = ctx.host.user(name)
    _check_can_authenticate(ctx, name, user)
    ok = password is not None and check_secret(password, user["password"])
    _policy.record_attempt(ctx.host, name, ok)
    if not ok:
        raise _CommandError("eDSAuthFailed", failure_line)


def _authonly(ctx, args):
    if len(args) not in (1, 2):
        raise _Usage("Usage: dscl -authonly <user name> [<password>]")
    name = args[0]
    if ctx.host.user(name) is None:
        raise _CommandError("eDSRecordNotFound")  # unconfirmed: unknown user
    password = args[1] if len(args) == 2 else ctx.prompt_secret("Password: ")
    _authenticate(ctx, name, password,
                  "Authentication for node %s failed. (%d, eDSAuthFailed)" % (NODE, DS_ERRORS["eDSAuthFailed"]))


def _passwd(ctx, args):
    """-passwd PATH NEW (admin reset) or -passwd PATH OLD NEW (change with the old password)."""
    if len(args) not in (2, 3):
        raise _Usage("Usage: dscl -passwd <user path> [<old password> | <new password>]")
    name, user = _user_from_path(ctx, args[0])
    failure = "passwd: DS error: eDSAuthFailed"
    if len(args) == 3:
        old, new = args[1], args[2]
    else:
        new = args[1]
        if not ctx.host.has_secure_token(name):
            ctx.steps(lambda: _set_password(ctx, name, new))
            return
        # A secure-token user cannot be reset by root: opendirectoryd answers
        # eDSPermissionError and dscl falls back to asking for the old password.
        old = ctx.prompt_secret("Permission denied. Please enter user's old password:")
        if old is None:
            raise _CommandError("eDSAuthFailed", failure)
    _authenticate(ctx, name, old, failure)
    ctx.steps(lambda: _set_password(ctx, name, new),
              lambda: _rewrap_crypto_user(ctx, user, old, new))


def _set_password(ctx, name, new):
    ctx.host.set_password(name, new)
    ctx.wrote()


def _rewrap_crypto_user(ctx, user, old, new):
    """A change with the old password keeps a token user's FileVault crypto user in step.

    Only when the crypto user still opens with the old password: otherwise
    opendirectoryd cannot unwrap it and FileVault stays out of step.
    """
    if ";SecureToken;" not in user["AuthenticationAuthority"]:
        return
    crypto = ctx.host.crypto_user(user["GeneratedUID"])
    if crypto and check_secret(old, crypto["hash"]):
        ctx.host.set_crypto_passphrase(user["GeneratedUID"], new)
        ctx.wrote()


# -- accountPolicyData edits ---------------------------------------------------------
def _policy_target(ctx, args, usage, counts):
    if len(args) not in counts:
        raise _Usage(usage)
    _name, user = _user_from_path(ctx, args[0])
    if _normalise_key(args[1]) != "accountPolicyData":
        raise _CommandError("eDSInvalidPlistPath")  # unconfirmed: other plist attributes
    return user["accountPolicyData"]


def _createpl(ctx, args):
    data = _policy_target(ctx, args, "Usage: dscl -createpl <record path> <key> <plist path> <val1> [<val2>...]", (4,))
    # -createpl stores strings: a known trap, kept here on purpose.
    ctx.steps(lambda: (data.__setitem__(args[2], args[3]), ctx.wrote()))


def _deletepl(ctx, args):
    data = _policy_target(ctx, args, "Usage: dscl -deletepl <record path> <key> <plist path> [<val1> <val2>...]", (3,))
    if args[2] not in data:
        ctx.err("No such plist path: %s" % args[2])  # unconfirmed
        return
    ctx.steps(lambda: (data.pop(args[2]), ctx.wrote()))


_HANDLERS = {
    "read": _read,
    "readpl": _readpl,
    "list": _list,
    "authonly": _authonly,
    "passwd": _passwd,
    "createpl": _createpl,
    "deletepl": _deletepl,
}
