"""fdesetup: FileVault status, its users, adding and removing them, strictly.

Exit codes come from the EXIT STATUS list of fdesetup(8): 1 FileVault is Off,
11 authentication error, 12 parameter error, 13 unknown command, 15 bad input,
17 added users failed, 25 unable to remove user, 30 user record not found.
Which of them each failure below returns, and every error text, is not
documented anywhere we found: those are marked unconfirmed. Errors go to stderr.
Verbs fdesetup has but macsim does not simulate are refused, never faked.
"""

import functools
import plistlib
from xml.parsers.expat import ExpatError

from .._state import PERSONAL_RECOVERY_UUID, check_secret, hash_secret
from .._toolkit import ToolExit
from . import _apfs

EXIT_OFF = 1
EXIT_AUTH = 11
EXIT_PARAMETER = 12
EXIT_UNKNOWN_COMMAND = 13
EXIT_BAD_INPUT = 15
EXIT_ADD_FAILED = 17
EXIT_REMOVE_FAILED = 25
EXIT_NO_USER_RECORD = 30
# fdesetup's "Internal error": macsim's own refusal of a verb it does not simulate.
EXIT_NOT_SIMULATED = 99

# Real verbs (fdesetup(8)) that macsim refuses rather than fakes.
_UNSIMULATED = ("enable", "disable", "changerecovery", "removerecovery", "hasinstitutionalrecoverykey",
                "usingrecoverykey", "supportsauthrestart", "validaterecovery", "showdeferralinfo",
                "sync", "version", "help")

# The real usage text is longer; this one lists what macsim simulates (unconfirmed wording).
_USAGE = """Usage: fdesetup <verb> <options>
  verbs simulated by macsim:
    status                               FileVault is On. / FileVault is Off.
    isactive                             true (exit 0) / false (exit 1)
    list [-extended]                     FileVault users as user,UUID (or a table)
    haspersonalrecoverykey               true / false
    add -usertoadd <user> [-inputplist]  add a user, authorised by a FileVault user
    add -inputplist                      add the AdditionalUsers of the stdin plist
    remove -user <user>                  remove a user from FileVault"""

# fdesetup list -extended: the TYPE column is right-aligned to end under "TYPE"
# (public output: "OS User caius", "Disk Passphrase User" both end at column 68).
# A type name too long for the column keeps one space after the UUID.
_EXTENDED_HEADER = "ESCROW  UUID".ljust(64) + "TYPE USER"
_TYPE_WIDTH = 24


def main(ctx):
    if not ctx.argv:
        ctx.err(_USAGE)
        return EXIT_PARAMETER  # unconfirmed: exit code of a bare `fdesetup`
    verb, args = ctx.argv[0], ctx.argv[1:]
    if verb == "authrestart":
        ctx.err("macsim: fdesetup authrestart restarts the Mac; a simulated host cannot restart "
                "(and nothing here may reboot a test run)")
        return EXIT_NOT_SIMULATED
    if verb in _UNSIMULATED:
        ctx.err("macsim: fdesetup %s is not simulated" % verb)
        return EXIT_NOT_SIMULATED
    spec = _VERBS.get(verb)
    if spec is None:
        ctx.err("Error: Unknown command '%s'." % verb)  # unconfirmed wording
        ctx.err(_USAGE)
        return EXIT_UNKNOWN_COMMAND
    handler, kind, valued, switches = spec
    try:
        options = _apfs.parse_options(args, valued, switches)
    except _apfs.UsageError as exc:
        ctx.err("Error: %s (fdesetup %s)." % (exc, verb))  # unconfirmed wording
        ctx.err(_USAGE)
        return EXIT_PARAMETER
    ctx.begin(verb, kind)
    return handler(ctx, options)


def _fail(ctx, code, message):
    ctx.err(message)
    raise ToolExit(code)


def _require_filevault_on(ctx):
    if not ctx.host.data["filevault"]:
        _fail(ctx, EXIT_OFF, "Error: FileVault is Off.")  # unconfirmed text; code per fdesetup(8)


# -- reads ----------------------------------------------------------------------------
def _status(ctx, _options):
    # Exit 0 whether on or off (unconfirmed for Off): callers read the text or use isactive.
    ctx.out("FileVault is On." if ctx.host.data["filevault"] else "FileVault is Off.")
    return 0


def _isactive(ctx, _options):
    if ctx.host.data["filevault"]:
        ctx.out("true")
        return 0
    ctx.out("false")
    return EXIT_OFF


def _has_personal_recovery_key(ctx, _options):
    has_key = ctx.host.data["filevault"] and ctx.host.crypto_user(PERSONAL_RECOVERY_UUID) is not None
    ctx.out("true" if has_key else "false")
    return 0  # unconfirmed: exit code when the answer is false


def _list(ctx, options):
    # unconfirmed: with FileVault off the real tool may print nothing and exit 0;
    # failing forces callers to check status first, which they must anyway.
    _require_filevault_on(ctx)
    if not options.get("-extended"):
        # Only Open Directory users, as user,UUID (recovery keys are not users).
        for guid, _record in _apfs.od_crypto_users(ctx.host):
            name = _apfs.owner_name(ctx.host, guid)
            if name:
                ctx.out("%s,%s" % (name, guid))
        return 0
    ctx.out(_EXTENDED_HEADER)
    for guid, record in _apfs.crypto_users(ctx.host):
        name = _apfs.owner_name(ctx.host, guid) if record["type"] == _apfs.OD_USER else None
        if record["type"] == _apfs.OD_USER and not name:
            type_name = "Unknown User"  # a crypto user whose account is gone (seen in public output)
        else:
            type_name = _apfs.fdesetup_type(record["type"])
        # ESCROW stays blank: macsim does not simulate recovery-key escrow.
        ctx.out(" " * 8 + guid + " " + type_name.rjust(_TYPE_WIDTH - 1) + (" " + name if name else ""))
    return 0


# -- add ---------------------------------------------------------------------------------
def _add(ctx, options):
    """add -usertoadd U [-inputplist] | add -inputplist: authorise, verify everything, then write.

    The authorising user must be a FileVault user and its password must open
    both its login record and its crypto user (FileVault unwraps the volume
    key with it; the secure-token grant authenticates it through Open
    Directory). Every added user's password must match its login password.
    Nothing changes unless every check passes.
    """
    target = options.get("-usertoadd")
    from_plist = bool(options.get("-inputplist"))
    if not target and not from_plist:
        ctx.err("Error: add needs -usertoadd <user> or -inputplist.")  # unconfirmed wording
        ctx.err(_USAGE)
        return EXIT_PARAMETER
    _require_filevault_on(ctx)
    request = _read_input_plist(ctx) if from_plist else {}

    # Prompts: "Enter the user name:" and "Enter the password for user 'X':" appear in public
    # output of `fdesetup disable`; the added-user prompt text is unconfirmed.
    name = request.get("Username")
    if name is None and not from_plist:
        name = ctx.prompt_secret("Enter the user name:")
    if not name:
        _fail(ctx, EXIT_BAD_INPUT, "Error: No user name to authenticate with.")  # unconfirmed
    password = request.get("Password")
    if password is None:
        password = ctx.prompt_secret("Enter the password for user '%s':" % name)

    added = _users_to_add(ctx, target, request.get("AdditionalUsers", []))
    for entry in added:
        if entry["Password"] is None:
            entry["Password"] = ctx.prompt_secret("Enter the password for the added user '%s':" % entry["Username"])

    _authenticate(ctx, name, password)
    for entry in added:
        _check_addable(ctx, entry["Username"], entry["Password"])
    steps = []
    for entry in added:
        steps.append(functools.partial(_add_crypto_user, ctx, entry["Username"], entry["Password"]))
        steps.append(functools.partial(_grant_secure_token, ctx, entry["Username"]))
    ctx.steps(*steps)
    # unconfirmed: success is silent. Preboot is NOT refreshed here (unconfirmed either
    # way): the FileVault login window learns the new user after `diskutil apfs updatePreboot`.
    return 0


def _read_input_plist(ctx):
    """The stdin plist: {Username, Password, AdditionalUsers: [{Username, Password}]}, all strings."""
    data = ctx.read_all()
    try:
        request = plistlib.loads(data)
    except (ValueError, ExpatError):
        request = None
    if not isinstance(request, dict):
        _fail(ctx, EXIT_BAD_INPUT, "Error: Unable to read the input plist.")  # unconfirmed wording
    bad = [key for key in ("Username", "Password") if key in request and not isinstance(request[key], str)]
    additional = request.get("AdditionalUsers", [])
    if not isinstance(additional, list) or not all(
            isinstance(e, dict) and isinstance(e.get("Username"), str) and isinstance(e.get("Password", ""), str)
            for e in additional):
        bad.append("AdditionalUsers")
    if bad:
        _fail(ctx, EXIT_BAD_INPUT, "Error: Bad value for %s in the input plist." % ", ".join(bad))  # unconfirmed
    return request


def _users_to_add(ctx, target, additional):
    """[{Username, Password or None}] from -usertoadd and/or AdditionalUsers."""
    passwords = dict((e["Username"], e.get("Password")) for e in additional)
    if target is None:
        if not additional:
            _fail(ctx, EXIT_PARAMETER, "Error: No users to add: AdditionalUsers is empty.")  # unconfirmed
        return [{"Username": n, "Password": p} for n, p in passwords.items()]
    others = sorted(set(passwords) - set([target]))
    if others:
        # unconfirmed: macsim refuses the ambiguity rather than guess which users to add.
        _fail(ctx, EXIT_PARAMETER, "Error: AdditionalUsers names %s, not the -usertoadd user '%s'."
              % (", ".join(others), target))
    return [{"Username": target, "Password": passwords.get(target)}]


def _authenticate(ctx, name, password):
    user = ctx.host.user(name)
    guid = user["GeneratedUID"] if user else None
    ok = (user is not None and ctx.host.crypto_user(guid) is not None
          and check_secret(password, user["password"]) and _apfs.opens(ctx.host, guid, password))
    if not ok:
        _fail(ctx, EXIT_AUTH, "Error: User authentication failed for '%s'." % name)  # unconfirmed wording


def _check_addable(ctx, name, password):
    user = ctx.host.user(name)
    if user is None:
        _fail(ctx, EXIT_NO_USER_RECORD, "Error: Unable to find the user record for '%s'." % name)  # unconfirmed
    if ctx.host.crypto_user(user["GeneratedUID"]) is not None:
        _fail(ctx, EXIT_ADD_FAILED, "Error: User '%s' is already enabled for FileVault." % name)  # unconfirmed
    if not check_secret(password, user["password"]):
        _fail(ctx, EXIT_ADD_FAILED, "Error: Unable to add user '%s': the password is not correct." % name)  # unconfirmed


def _add_crypto_user(ctx, name, password):
    guid = ctx.host.user(name)["GeneratedUID"].upper()
    ctx.host.data["crypto_users"][guid] = {"type": _apfs.OD_USER, "hash": hash_secret(password),
                                           "volume_owner": True}
    ctx.wrote()


def _grant_secure_token(ctx, name):
    ctx.host.set_secure_token(name, True)
    ctx.wrote()


# -- remove ----------------------------------------------------------------------------
def _remove(ctx, options):
    name = options.get("-user")
    if not name:
        ctx.err("Error: remove needs -user <user>.")  # unconfirmed wording
        ctx.err(_USAGE)
        return EXIT_PARAMETER
    _require_filevault_on(ctx)
    user = ctx.host.user(name)
    if user is None:
        _fail(ctx, EXIT_REMOVE_FAILED, "Error: Unable to find the user record for '%s'." % name)  # unconfirmed
    guid = user["GeneratedUID"].upper()
    if ctx.host.crypto_user(guid) is None:
        _fail(ctx, EXIT_REMOVE_FAILED, "Error: User '%s' is not a FileVault user." % name)  # unconfirmed
    if not [g for g, _record in _apfs.od_crypto_users(ctx.host) if g.upper() != guid]:
        # unconfirmed: refusing to remove the last user who can unlock at login is the safe guess.
        _fail(ctx, EXIT_REMOVE_FAILED, "Error: '%s' is the last FileVault user and cannot be removed." % name)
    ctx.steps(functools.partial(_drop_crypto_user, ctx, guid),
              functools.partial(_revoke_secure_token, ctx, name))
    return 0  # unconfirmed: success is silent


def _drop_crypto_user(ctx, guid):
    del ctx.host.data["crypto_users"][guid]
    ctx.wrote()


def _revoke_secure_token(ctx, name):
    # unconfirmed: on APFS the secure token is the crypto user, so removing one drops the other.
    ctx.host.set_secure_token(name, False)
    ctx.wrote()


# verb -> (handler, audit kind, options taking a value, switches)
_VERBS = {
    "status": (_status, "read", (), ()),
    "isactive": (_isactive, "read", (), ()),
    "list": (_list, "read", (), ("-extended",)),
    "haspersonalrecoverykey": (_has_personal_recovery_key, "read", (), ()),
    "add": (_add, "write", ("-usertoadd",), ("-inputplist",)),
    "remove": (_remove, "write", ("-user",), ()),
}
