"""security: the keychain subset of /usr/bin/security, strictly.

Behaviour follows Apple's SecurityTool sources (security.c, keychain_*.c) and
the behaviour reference:

* Errors go to stderr as ``security: <call> <keychain>: <message>``; the exit
  code is the OSStatus & 0xFF (errSecAuthFailed -25293 -> 51), 1 for the
  tool's own failures, 2 after a usage message, 255 when a prompt hit EOF.
* Options are parsed like BSD getopt(3): options first, parsing stops at the
  first operand, so ``unlock-keychain KC -p PW`` is a usage error.
* Commands match by prefix, first in Apple's table order (``unlock`` runs
  unlock-keychain). Real commands macsim does not simulate, and options of
  simulated commands that macsim does not simulate, are refused loudly
  (exit 2), never faked.
* ``security -i`` reads commands from stdin through stdio. Like the real tool
  it drops an unterminated last line, has no quit/exit command (``quit`` is an
  unknown command that sets the exit code to 1), prints ``<cmd>: returned N``
  for failures unless -q, and exits with the last command's result.
* The keychain lock state lives in host state, not in the file: an already
  unlocked keychain accepts ANY password, as SecKeychainUnlock does. Only a
  locked keychain proves a password.

macsim runs as root and root has no keychains on a simulated host: a relative
keychain name or an omitted keychain (with no default set by
``default-keychain -s``) fails with errSecNoSuchKeychain. Keychain files are
only ever read or written inside the host directory.
"""

import datetime
import os

from .._state import check_secret, hash_secret, new_keychain, read_keychain, write_keychain

# -- OSStatus values and their sec_errstr() texts ------------------------------------
ERR_INTERACTION = -25308    # errSecInteractionNotAllowed -> exit 36
ERR_NO_DEFAULT = -25307     # errSecNoDefaultKeychain -> 37
ERR_ITEM_NOT_FOUND = -25300  # errSecItemNotFound -> 44
ERR_DUPLICATE_ITEM = -25299  # errSecDuplicateItem -> 45
ERR_DUPLICATE_KC = -25296   # errSecDuplicateKeychain -> 48
ERR_INVALID_KC = -25295     # errSecInvalidKeychain -> 49
ERR_NO_SUCH_KC = -25294     # errSecNoSuchKeychain -> 50
ERR_AUTH = -25293           # errSecAuthFailed -> 51
MESSAGES = {
    ERR_INTERACTION: "User interaction is not allowed.",
    ERR_NO_DEFAULT: "A default keychain could not be found.",
    ERR_ITEM_NOT_FOUND: "The specified item could not be found in the keychain.",
    ERR_DUPLICATE_ITEM: "The specified item already exists in the keychain.",
    ERR_DUPLICATE_KC: "A keychain with the same name already exists.",
    ERR_INVALID_KC: "The specified keychain is not a valid keychain file.",
    ERR_NO_SUCH_KC: "The specified keychain could not be found.",
    ERR_AUTH: "The user name or passphrase you entered is not correct.",
}
USAGE = 2          # a command returning 2 gets its usage message printed
PROMPT_EOF = -1    # getpass() returned NULL; in -i mode this ends the loop with 0

SYSTEM_KEYCHAIN = "/Library/Keychains/System.keychain"
KEYCHAIN_VERSION = 512  # `version:` line of a .keychain-db item dump
DOMAINS = ("user", "system", "common", "dynamic")
# A generic password's attributes as print_keychain_item_attributes() lists them: (tag as
# print_uint32() shows it, format, item key or None when macsim stores nothing for it).
# Tags 7 and 8 (label, alias) are not printable four-char codes, hence the hex form.
GENP_ATTRIBUTES = (
    ("0x00000007 ", "blob", "label"), ("0x00000008 ", "blob", None), ('"acct"', "blob", "account"),
    ('"cdat"', "timedate", "cdat"), ('"crtr"', "uint32", None), ('"cusi"', "sint32", None),
    ('"desc"', "blob", None), ('"gena"', "blob", None), ('"icmt"', "blob", None), ('"invi"', "sint32", None),
    ('"mdat"', "timedate", "mdat"), ('"nega"', "sint32", None), ('"prot"', "blob", None),
    ('"scrp"', "sint32", None), ('"svce"', "blob", "service"), ('"type"', "uint32", None),
)
# getpass(3) keeps at most _PASSWORD_LEN bytes of a prompted password.
PASSWORD_LEN = 128
# security.c reads -i lines into a 4096-byte buffer and splits at most 32 arguments.
MAX_LINE_LEN = 4096
MAX_ARGS = 32

# Every command of the real tool, in its table order: matching is by prefix and
# the first hit wins, so this order decides what an abbreviation runs.
ALL_COMMANDS = (
    "help", "list-keychains", "list-smartcards", "default-keychain", "login-keychain",
    "create-keychain", "delete-keychain", "lock-keychain", "unlock-keychain",
    "set-keychain-settings", "set-keychain-password", "show-keychain-info", "dump-keychain",
    "create-keypair", "add-generic-password", "add-internet-password", "add-certificates",
    "find-generic-password", "delete-generic-password", "set-generic-password-partition-list",
    "find-internet-password", "delete-internet-password", "set-internet-password-partition-list",
    "find-key", "set-key-partition-list", "find-certificate", "find-identity",
    "delete-certificate", "delete-identity", "set-identity-preference", "get-identity-preference",
    "create-db", "export", "import", "export-smartcard", "cms", "install-mds", "add-trusted-cert",
    "remove-trusted-cert", "dump-trust-settings", "user-trust-settings-enable",
    "trust-settings-export", "trust-settings-import", "verify-cert", "authorize", "authorizationdb",
    "execute-with-privileges", "leaks", "error", "create-filevaultmaster-keychain", "smartcards",
    "translocate-create", "translocate-policy-check", "translocate-status-check",
    "translocate-original-path", "requirement-evaluate", "filevault",
)

# (usage, one-line help) of the simulated commands, as `security` prints them.
_DOMAIN_USAGE = ("[-d user|system|common|dynamic] [-s [keychain]]\n"
                 "    -d  Use the specified preference domain\n"
                 "    -s  Set the %s keychain to the specified keychain\n"
                 "With no parameters, display the %s keychain.")
USAGES = {
    "list-keychains": ("[-d user|system|common|dynamic] [-s [keychain...]]\n"
                       "    -d  Use the specified preference domain\n"
                       "    -s  Set the search list to the specified keychains\n"
                       "With no parameters, display the search list.",
                       "Display or manipulate the keychain search list."),
    "default-keychain": (_DOMAIN_USAGE % ("default", "default"), "Display or set the default keychain."),
    "login-keychain": (_DOMAIN_USAGE % ("login", "login"), "Display or set the login keychain."),
    "create-keychain": ("[-P] [-p password] [keychains...]\n"
                        "    -p  Use \"password\" as the password for the keychains being created\n"
                        "    -P  Prompt the user for a password using the SecurityAgent\n"
                        "Use of the -p option is insecure",
                        "Create keychains and add them to the search list."),
    "delete-keychain": ("[keychains...]", "Delete keychains and remove them from the search list."),
    "lock-keychain": ("[-a | keychain]\n"
                      "    -a  Lock all keychains",
                      "Lock the specified keychain."),
    "unlock-keychain": ("[-u] [-p password] [keychain]\n"
                        "    -p  Use \"password\" as the password to unlock the keychain\n"
                        "    -u  Do not use the password\n"
                        "Use of the -p option is insecure",
                        "Unlock the specified keychain."),
    "set-keychain-password": ("[-o oldPassword] [-p newPassword] [keychain]\n"
                              "    -o  Old keychain password (if not provided, will prompt)\n"
                              "    -p  New keychain password (if not provided, will prompt)\n"
                              "Use of either the -o or -p options is insecure\n",
                              "Set password for a keychain."),
    "show-keychain-info": ("[keychain]", "Show the settings for keychain."),
    "dump-keychain": ("[-adir] [keychain...]\n"
                      "    -a  Dump access control list of items\n"
                      "    -d  Dump (decrypted) data of items\n"
                      "    -i  Interactive access control list editing mode\n"
                      "    -r  Dump the raw (encrypted) data of items",
                      "Dump the contents of one or more keychains."),
    "add-generic-password": (
        "[-a account] [-s service] [-w password] [options...] [-A|-T appPath] [keychain]\n"
        "    -a  Specify account name (required)\n"
        "    -c  Specify item creator (optional four-character code)\n"
        "    -C  Specify item type (optional four-character code)\n"
        "    -D  Specify kind (default is \"application password\")\n"
        "    -G  Specify generic attribute (optional)\n"
        "    -j  Specify comment string (optional)\n"
        "    -l  Specify label (if omitted, service name is used as default label)\n"
        "    -s  Specify service name (required)\n"
        "    -p  Specify password to be added (legacy option, equivalent to -w)\n"
        "    -w  Specify password to be added\n"
        "    -X  Specify password data to be added as a hexadecimal string\n"
        "    -A  Allow any application to access this item without warning (insecure, not recommended!)\n"
        "    -T  Specify an application which may access this item (multiple -T options are allowed)\n"
        "    -U  Update item if it already exists (if omitted, the item cannot already exist)\n"
        "\n"
        "By default, the application which creates an item is trusted to access its data without warning.\n"
        "You can remove this default access by explicitly specifying an empty app pathname: -T \"\"\n"
        "If no keychain is specified, the password is added to the default keychain.\n"
        "Use of the -p or -w options is insecure. Specify -w as the last option to be prompted.\n",
        "Add a generic password item."),
    "find-generic-password": (
        "[-a account] [-s service] [options...] [-g] [keychain...]\n"
        "    -a  Match \"account\" string\n"
        "    -c  Match \"creator\" (four-character code)\n"
        "    -C  Match \"type\" (four-character code)\n"
        "    -D  Match \"kind\" string\n"
        "    -G  Match \"value\" string (generic attribute)\n"
        "    -j  Match \"comment\" string\n"
        "    -l  Match \"label\" string\n"
        "    -s  Match \"service\" string\n"
        "    -g  Display the password for the item found\n"
        "    -w  Display only the password on stdout\n"
        "If no keychains are specified to search, the default search list is used.",
        "Find a generic password item."),
}
_GLOBAL_USAGE = """Usage: security [-h] [-i] [-l] [-p prompt] [-q] [-v] [command] [opt ...]
    -i    Run in interactive mode.
    -l    Run /usr/bin/leaks -nocontext before exiting.
    -p    Set the prompt to "prompt" (implies -i).
    -q    Be less verbose.
    -v    Be more verbose about what's going on.
security commands are:"""


class _Status(Exception):
    """An OSStatus raised by a simulated Security.framework call."""

    def __init__(self, code):
        super(_Status, self).__init__(code)
        self.code = code


class _NotSimulated(Exception):
    """A real command or option that macsim refuses rather than fakes."""


class _GetoptError(Exception):
    def __init__(self, optopt, missing, parsed):
        super(_GetoptError, self).__init__(optopt)
        self.optopt = optopt
        self.missing = missing  # True: option requires an argument; False: unknown option
        self.parsed = parsed    # options parsed before the error


def _getopt(ctx, args, optstring):
    """BSD getopt(3) over a whole argv: (options, operands); raises _GetoptError.

    Clustering (-up PW), attached values (-pPW) and `--` work; parsing stops at
    the first operand or a lone `-`. Unless the optstring starts with ':' the
    diagnostic goes to stderr as FreeBSD's libc words it (unconfirmed for
    current macOS, which may say "invalid option").
    """
    quiet = optstring.startswith(":")
    spec = optstring.lstrip(":")
    opts = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            index += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        pos = 1
        while pos < len(arg):
            letter = arg[pos]
            where = spec.find(letter) if letter != ":" else -1
            if where < 0:
                if not quiet:
                    ctx.err("security: illegal option -- %s" % letter)
                raise _GetoptError(letter, False, opts)
            if spec[where + 1:where + 2] != ":":
                opts.append((letter, None))
                pos += 1
                continue
            if pos + 1 < len(arg):
                opts.append((letter, arg[pos + 1:]))
            elif index + 1 < len(args):
                index += 1
                opts.append((letter, args[index]))
            else:
                if not quiet:
                    ctx.err("security: option requires an argument -- %s" % letter)
                raise _GetoptError(letter, True, opts)
            break
        index += 1
    return opts, args[index:]


def _options(session, args, optstring):
    """getopt whose errors (already reported) become a request for the usage message."""
    try:
        return _getopt(session.ctx, args, optstring)
    except _GetoptError as error:
        return error.parsed + [("h", None)], []


def _keychain_operand(opts, operands):
    """(usage_error, name) for `[keychain]`: at most one operand, not empty; -h is usage."""
    wrong = _has(opts, "h") or len(operands) > 1 or operands == [""]
    return wrong, (operands[0] if operands else None)


def _last(opts, letters):
    """Value of the last of these options (getopt loops overwrite), or None."""
    values = [value for name, value in opts if name in letters]
    return values[-1] if values else None


def _has(opts, letter):
    return any(name == letter for name, _value in opts)


def _refuse_options(opts, command, letters):
    for name, _value in opts:
        if name in letters:
            raise _NotSimulated("security %s -%s is not simulated" % (command, name))


def _split_line(line):
    """security.c's split_line(): not shlex.

    A quote opens a quoted argument only at the start of one and closes it
    wherever it appears next; a backslash escapes the next character, inside
    quotes too; an unterminated quote runs to the end of the line.
    """
    args, current, quote, escaped, in_arg = [], [], None, False, False
    for char in line:
        if escaped:
            current.append(char)
            escaped = False
        elif not in_arg:
            if char.isspace():
                continue
            in_arg = True
            if char in "\"'":
                quote = char
            elif char == "\\":
                escaped = True
            else:
                current.append(char)
        elif char == "\\":
            escaped = True
        elif (quote is not None and char == quote) or (quote is None and char.isspace()):
            args.append("".join(current))
            current, quote, in_arg = [], None, False
            if len(args) >= MAX_ARGS:
                return args
        else:
            current.append(char)
    if in_arg:
        args.append("".join(current))
    return args


def print_buffer(data):
    """keychain_utilities.c print_buffer(): "text", 0xHEX, or 0xHEX  "te\\000xt"."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    printable = [_is_print(byte) and byte != ord("\\") for byte in raw]
    out = ""
    if not all(printable):
        out = "0x" + raw.hex().upper() + (" " if any(printable) else "") + " "
    if any(printable):
        out += '"' + "".join(chr(byte) if printable[i] else "\\%03o" % byte for i, byte in enumerate(raw)) + '"'
    return out


def _is_print(byte):
    """isprint() in the C locale."""
    return ord(" ") <= byte <= ord("~")


def _timedate(stamp):
    """A <timedate> attribute: 'YYYYMMDDhhmmssZ' plus its NUL, as stored."""
    when = datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc)
    return when.strftime("%Y%m%d%H%M%SZ").encode("ascii") + b"\0"


class _Session(object):
    """One `security` process: global flags, stdio's view of stdin, the host."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.host = ctx.host
        self.quiet = False
        self.verbose = False
        self._lines = None  # stdin as stdio buffered it, once a command line was read

    # -- stdin: stdio lines for commands, readpassphrase for secrets --------------------
    def readline(self, limited=True):
        """security's readline(): getchar() until newline; None at EOF, even mid-line.

        limited: the fixed 4096-byte buffer of `security -i` (longer lines split).

        The first call slurps stdin the way stdio buffers a pipe. A later
        getpass() reads the descriptor directly and so finds EOF: prompts inside
        `security -i` (or after `keychain to create:`) never see the following
        lines. (A pipe larger than stdio's buffer would behave in between.)
        """
        if self._lines is None:
            data = self.ctx.read_all().decode("utf-8", "surrogateescape")
            self._lines = data.split("\n")
            self._lines.pop()  # text after the last newline: readline() returns NULL
        if not self._lines:
            return None
        line = self._lines.pop(0)
        if limited and len(line) >= MAX_LINE_LEN - 1:  # the rest is read as the next line
            self._lines.insert(0, line[MAX_LINE_LEN - 1:])
            line = line[:MAX_LINE_LEN - 1]
        return line.split("\0", 1)[0]  # a C string: a NUL ends the command line there

    def prompt(self, text):
        """getpass(3): at most _PASSWORD_LEN (128) bytes are kept, the rest of the line silently dropped."""
        answer = self.ctx.prompt_secret(text)
        if answer is None:
            return None
        return answer.encode("utf-8", "surrogateescape")[:PASSWORD_LEN].decode("utf-8", "surrogateescape")

    # -- output and errors -------------------------------------------------------
    def fail(self, context, code):
        """sec_error("<context>: <message>") and the status as the result."""
        self.ctx.err("security: %s: %s" % (context, MESSAGES[code]))
        return code

    def begin(self, command, kind):
        self.ctx.begin(command, kind)

    # -- preferences (search list, default keychains) -----------------------------------
    @property
    def prefs(self):
        """Root's keychain preferences; read-only view (see writable_prefs)."""
        return self.host.data.get("security_prefs") or {"default": {}, "search_list": []}

    def writable_prefs(self):
        prefs = self.host.data.setdefault("security_prefs", {"default": {}, "search_list": []})
        self.host.mark()
        return prefs

    def default_keychain(self, domain="user"):
        if domain == "system":
            return SYSTEM_KEYCHAIN
        return self.prefs["default"].get(domain)

    # -- keychain files -----------------------------------------------------------
    def inside_host(self, path):
        """Keychain files are only touched inside the simulated host's directory."""
        return os.path.realpath(path).startswith(os.path.realpath(self.host.root) + os.sep)

    def resolve(self, name):
        """The file a keychain argument opens: X.keychain -> X.keychain-db when that exists.

        None (no keychain named) means the default keychain. A relative name
        would be looked up in root's ~/Library/Keychains, which does not exist
        here: it resolves to nothing.
        """
        if name is None:
            name = self.default_keychain()
            if name is None:
                return None
        if not os.path.isabs(name):
            return None
        if name.endswith(".keychain") and os.path.exists(name + "-db"):
            return name + "-db"
        return name

    def open(self, name):
        """(path, data) of an existing keychain; raises _Status like the framework would."""
        path = self.resolve(name)
        if path is None or not self.inside_host(path) or not os.path.isfile(path):
            raise _Status(ERR_NO_SUCH_KC)
        try:
            return path, read_keychain(path)
        except ValueError:  # not JSON, or not a macsim keychain
            raise _Status(ERR_INVALID_KC) from None

    def search_list(self):
        return [path for path in self.prefs["search_list"] if os.path.isfile(path)]

    def save_keychain(self, path, data):
        write_keychain(path, data)
        self.ctx.wrote()


# -- the commands --------------------------------------------------------------------
# Each handler gets (session, command, args), declares the command with begin()
# before it prompts or acts, and returns the raw result: 0, an OSStatus, 1, 2 or -1.

def _list_commands(ctx):
    # Only the simulated commands: listing the others would promise them.
    for name in ALL_COMMANDS:
        if name in USAGES:
            ctx.out("    %-36s %s" % (name, USAGES[name][1]))


def _cmd_unlock(session, command, args):
    opts, operands = _options(session, args, "hp:u")
    session.begin(command, "read")  # only the in-memory lock state changes
    wrong, name = _keychain_operand(opts, operands)
    if wrong:
        return USAGE
    password = _last(opts, "p")
    use_password = not _has(opts, "u")
    if password is None and use_password:
        password = session.prompt("password to unlock %s: " % (name or "default"))
        if password is None:
            return PROMPT_EOF
    try:
        _unlock(session, name, password if use_password else None)
    except _Status as status:
        return session.fail("SecKeychainUnlock %s" % (name or "<NULL>"), status.code)
    return 0


def _unlock(session, name, password):
    """SecKeychainUnlock(); password None is -u (ask the GUI). Raises _Status."""
    path, data = session.open(name)
    if session.host.keychain_unlocked(path):
        return  # an unlocked keychain ignores the password: the trap
    if password is None:
        raise _Status(ERR_INTERACTION)  # there is no GUI to ask (unconfirmed code)
    if not check_secret(password, data["password"]):
        raise _Status(ERR_AUTH)
    session.host.set_keychain_unlocked(path, True)


def _cmd_lock(session, command, args):
    opts, operands = _options(session, args, "ah")
    session.begin(command, "read")  # only the in-memory lock state changes
    lock_all = _has(opts, "a")
    wrong, name = _keychain_operand(opts, operands)
    if wrong or (operands and lock_all):
        return USAGE
    if lock_all:
        for path in list(session.host.data["unlocked_keychains"]):
            _lock(session, path)
        return 0
    try:
        path, _data = session.open(name)
    except _Status as status:  # unconfirmed: SecKeychainLock may not check the file
        return session.fail("SecKeychainLock %s" % (name or "<NULL>"), status.code)
    _lock(session, path)
    return 0


def _session_holding(session, path):
    """The logged-in user whose login keychain this is, or None."""
    real = os.path.realpath(path)
    for entry in session.host.data.get("sessions", []):
        user = session.host.data["users"].get(entry["name"])
        home = user and os.path.realpath(os.path.join(user["NFSHomeDirectory"], "Library", "Keychains",
                                                      "login.keychain-db"))
        if home == real:
            return entry["name"]
    return None


def _lock(session, path):
    """SecKeychainLock: securityd locks it even under a live session, whose apps then lose access until the user
    types the password again; macsim records that so tests can show it never happens."""
    real = os.path.realpath(path)
    held = session.host.data.get("session_unlocked_keychains", [])
    # Only what the session unlocked counts: a keychain a tool unlocked and locks again is as it was found.
    if session.host.keychain_unlocked(path) and real in held and _session_holding(session, path):
        session.host.data.setdefault("session_keychain_locks", []).append(real)
        held.remove(real)
    session.host.set_keychain_unlocked(path, False)


def _cmd_set_password(session, command, args):
    opts, operands = _options(session, args, "ho:p:")
    session.begin(command, "write")
    wrong, name = _keychain_operand(opts, operands)
    if wrong:
        return USAGE
    old, new = _old_and_new(session, _last(opts, "o"), _last(opts, "p"))
    if old is None or new is None:
        session.ctx.err("security: try again")
        return 1
    context = 'error changing password for "%s"' % (name or "<NULL>")
    try:
        path, data = session.open(name)
    except _Status as status:
        return session.fail(context, status.code)
    if not check_secret(old, data["password"]):
        return session.fail(context, ERR_AUTH)  # whether locked or not
    rekeyed = dict(data, password=hash_secret(new))  # items untouched
    session.ctx.steps(lambda: session.save_keychain(path, rekeyed),
                      lambda: session.host.set_keychain_unlocked(path, True))
    return 0


def _old_and_new(session, old, new):
    """Prompt for what -o / -p did not give: before the keychain is touched, every prompt even after an EOF."""
    if old is None:
        old = session.prompt("Old Password: ")
    if new is None:
        first = session.prompt("New Password: ")
        again = session.prompt("Retype New Password: ")
        new = first if first is not None and first == again else None
    return old, new


def _cmd_show_info(session, command, args):
    opts, operands = _options(session, args, "h")
    session.begin(command, "read")
    wrong, name = _keychain_operand(opts, operands)
    if wrong:
        return USAGE
    context = "SecKeychainCopySettings %s" % (name or "<NULL>")
    try:
        path, data = session.open(name)
    except _Status as status:
        return session.fail(context, status.code)
    if not session.host.keychain_unlocked(path):
        return session.fail(context, ERR_INTERACTION)  # reading settings needs an unlock
    settings = data.get("settings", {})
    line = 'Keychain "%s"' % (name or "<NULL>")
    line += " lock-on-sleep" if settings.get("lock_on_sleep") else ""
    line += " use-lock-interval" if settings.get("use_lock_interval") else ""
    timeout = settings.get("timeout")
    line += " no-timeout" if timeout is None else " timeout=%ds" % timeout
    session.ctx.err(line)
    return 0


def _cmd_create(session, command, args):
    opts, operands = _options(session, args, "hp:P")
    session.begin(command, "write")
    if _has(opts, "h"):
        return USAGE
    password, gui_prompt = _last(opts, "p"), _has(opts, "P")
    if not operands:
        session.ctx.stderr.write("keychain to create: ")
        session.ctx.stderr.flush()
        name = session.readline(limited=False)
        if name is None:
            return PROMPT_EOF
        if name == "":
            return 0  # the real tool gives up silently with success
        operands = [name]
    if password is None and not gui_prompt:
        password = _ask_twice(session, "password for new keychain: ", "retype password for new keychain: ")
        if not isinstance(password, str):
            return password  # PROMPT_EOF, or 1 after three mismatches
    for name in operands:
        result = _create_one(session, name, password, gui_prompt)
        if result:
            return result
    return 0


def _ask_twice(session, first_prompt, retype_prompt, eof_result=PROMPT_EOF):
    """Three tries at a new password and its confirmation, as keychain_create.c does."""
    for _try in range(3):
        first = session.prompt(first_prompt)
        if first is None:
            return eof_result
        again = session.prompt(retype_prompt)
        if again is None:
            return eof_result
        if first == again:
            return first
        session.ctx.err("passwords don't match")
    return 1


def _create_one(session, name, password, gui_prompt):
    context = "SecKeychainCreate %s" % name
    # Modern macOS stores X.keychain as X.keychain-db.
    target = name + "-db" if name.endswith(".keychain") else name
    if (not os.path.isabs(name) or not session.inside_host(os.path.dirname(target) or "/")
            or not os.path.isdir(os.path.dirname(target))):
        # Relative: root's own ~/Library/Keychains, absent here. A missing parent
        # directory or a path outside the simulated host is refused the same way
        # (unconfirmed: the real call may create the directory).
        return session.fail(context, ERR_NO_SUCH_KC)
    if os.path.exists(target) or os.path.exists(name):
        return session.fail(context, ERR_DUPLICATE_KC)
    if gui_prompt:
        return session.fail(context, ERR_INTERACTION)  # -P needs SecurityAgent's GUI (unconfirmed code)

    def register():
        session.host.set_keychain_unlocked(target, True)  # a new keychain starts unlocked
        search_list = session.writable_prefs()["search_list"]
        if target not in search_list:
            search_list.append(target)

    session.ctx.steps(lambda: session.save_keychain(target, new_keychain(password)), register)
    return 0


def _cmd_delete(session, command, args):
    opts, operands = _options(session, args, "h")
    session.begin(command, "write")
    if _has(opts, "h"):
        return USAGE
    names = operands or [None]  # no operand: SecKeychainDelete(NULL), the default keychain
    paths = []
    for name in names:
        try:
            path, _data = session.open(name)  # only macsim keychains inside the host are deleted
        except _Status as status:
            return session.fail("SecKeychainDelete", status.code)
        paths.append(path)

    def remove(path):
        session.host.set_keychain_unlocked(path, False)
        os.remove(path)
        session.ctx.wrote()
        prefs = session.writable_prefs()
        prefs["search_list"] = [p for p in prefs["search_list"] if p != path]
        prefs["default"] = {d: p for d, p in prefs["default"].items() if p != path}

    session.ctx.steps(*[lambda p=path: remove(p) for path in paths])
    return 0


def _parse_domain_command(session, args):
    """default-keychain / login-keychain / list-keychains: (domain, -s given, operands or None for usage)."""
    opts, operands = _options(session, args, "d:hs")
    domain = None
    for letter, value in opts:
        if letter == "d":
            # parse_domain(): the value is a prefix of the domain name ("u", even "").
            domain = next((d for d in DOMAINS if d.startswith(value)), None)
            if domain is None:
                session.ctx.err("security: Invalid domain: %s" % value)
                return None, _has(opts, "s"), None
        elif letter == "h":
            return None, _has(opts, "s"), None
    return domain, _has(opts, "s"), operands


def _cmd_default(session, command, args):
    domain, do_set, operands = _parse_domain_command(session, args)
    if do_set and domain == "system":
        raise _NotSimulated("security default-keychain -d system -s is not simulated")
    session.begin(command, "write" if do_set else "read")
    if operands is None or len(operands) > 1 or (operands and not do_set):
        return USAGE
    if do_set:
        return _set_default(session, domain, operands[0] if operands else None)
    path = session.default_keychain(domain or "user")
    if path is None:
        if domain is None:
            session.ctx.err("security: SecKeychainCopyDefault: %s" % MESSAGES[ERR_NO_DEFAULT])
        else:
            session.ctx.err("security: SecKeychainCopyDomainDefault %s: %s" % (domain, MESSAGES[ERR_NO_DEFAULT]))
        return 1
    session.ctx.out('    "%s"' % path)
    return 0


def _set_default(session, domain, name):
    if name is not None:
        try:
            path, _data = session.open(name)  # unconfirmed: the real call may accept any path
        except _Status as status:
            if domain is None:
                session.ctx.err("security: SecKeychainSetDefault: %s" % MESSAGES[status.code])
            else:
                session.ctx.err("security: SecKeychainSetDomainDefault %s: %s" % (domain, MESSAGES[status.code]))
            return 1
    else:
        path = None  # -s alone unsets the default

    def store():
        defaults = session.writable_prefs()["default"]
        if path is None:
            defaults.pop(domain or "user", None)
        else:
            defaults[domain or "user"] = path
        session.ctx.wrote()

    session.ctx.steps(store)
    return 0


def _cmd_login(session, command, args):
    domain, do_set, operands = _parse_domain_command(session, args)
    session.begin(command, "write" if do_set else "read")
    if operands is None or len(operands) > 1 or (operands and not do_set):
        return USAGE
    if do_set or domain is not None:
        return 1  # not implemented in the real tool: silent failure
    # Root has no login keychain (message seen when none is found; call name per the source).
    session.ctx.err("security: SecKeychainCopyLogin: %s" % MESSAGES[ERR_NO_SUCH_KC])
    return 1


def _cmd_list(session, command, args):
    domain, do_set, operands = _parse_domain_command(session, args)
    if do_set and operands is not None:
        raise _NotSimulated("security list-keychains -s is not simulated")
    session.begin(command, "read")
    if operands is None or operands:
        return USAGE
    paths = []
    if domain in (None, "user"):
        paths += session.search_list()
    if domain in (None, "system"):
        paths.append(SYSTEM_KEYCHAIN)
    for path in paths:
        session.ctx.out('    "%s"' % path)
    return 0


def _keychains_to_search(session, operands):
    """[(path, data)] of the keychain operands or of the search list; raises _Status."""
    if not operands:
        operands = session.search_list()
        if not operands:
            raise _Status(ERR_NO_SUCH_KC)  # root's search list holds nothing simulated
    return [session.open(name) for name in operands]


def _cmd_dump(session, command, args):
    opts, operands = _options(session, args, "adhiro:")
    _refuse_options(opts, command, "airo")  # ACLs, raw data and -o are not simulated
    session.begin(command, "read")
    if _has(opts, "h"):
        return USAGE
    try:
        keychains = _keychains_to_search(session, operands)
    except _Status as status:  # unconfirmed which call reports it; the exit is 1 either way
        session.fail("SecKeychainSearchCreateFromAttributes", status.code)
        return 1
    show_data = _has(opts, "d")
    for path, data in keychains:
        unlocked = session.host.keychain_unlocked(path)
        for item in data["items"]:
            # The real tool ignores a failure per item: -d on a locked keychain
            # prints an error for each item and still exits 0.
            _print_item(session, path, item, show_data, unlocked)
    return 0


def _print_item(session, path, item, show_data, unlocked):
    """print_keychain_item_attributes() for a generic password, in the real attribute order."""
    out = session.ctx.out
    out("keychain: %s" % print_buffer(path))
    out("version: %d" % KEYCHAIN_VERSION)
    out("class: %s" % print_buffer(item.get("class", "genp")))
    out("attributes:")
    if show_data and not unlocked:
        return session.fail("SecKeychainItemCopyAttributesAndData", ERR_INTERACTION)
    stamp = os.path.getmtime(path)  # items macsim did not add carry no dates: the file's
    values = dict(item, cdat=_timedate(item.get("cdat", stamp)),
                  mdat=_timedate(item.get("mdat", item.get("cdat", stamp))))
    for tag, kind, key in GENP_ATTRIBUTES:
        value = values.get(key) if key else None
        out("    %s<%s>=%s" % (tag, kind, "<NULL>" if value is None else print_buffer(value)))
    if show_data:
        out("data:")
        out(print_buffer(item.get("data", "")))
    return 0


def _matches(item, query):
    """find_first_generic_password(): with account AND service (the primary key) only those count."""
    if item.get("class", "genp") != "genp":
        return False
    keys = ("account", "service")
    if query.get("account") is None or query.get("service") is None:
        keys += ("label",)
    return all(query.get(key) is None or item.get(key) == query[key] for key in keys)


def _cmd_find(session, command, args):
    opts, operands = _options(session, args, "ha:c:C:D:G:j:l:s:wg")
    _refuse_options(opts, command, "cCDGj")
    session.begin(command, "read")
    if _has(opts, "h"):
        return USAGE
    query = {"account": _last(opts, "a"), "service": _last(opts, "s"), "label": _last(opts, "l")}
    found = _find_first(session, operands, query)
    if found is None:
        return session.fail("SecKeychainSearchCopyNext", ERR_ITEM_NOT_FOUND)
    path, item = found
    to_stdout = _has(opts, "w")
    get_password = to_stdout or _has(opts, "g")
    if get_password and not session.host.keychain_unlocked(path):
        return ERR_INTERACTION  # SecKeychainItemCopyContent fails; the tool prints nothing
    secret = item.get("data", "").encode("utf-8", "surrogateescape")
    if to_stdout:  # the data alone, in hex if any byte is not printable
        plain = all(_is_print(byte) for byte in secret)
        session.ctx.out(secret.decode("utf-8", "surrogateescape") if plain else secret.hex())
        return 0
    _print_item(session, path, item, False, True)
    if get_password:
        session.ctx.err("password: %s" % print_buffer(secret))
    return 0


def _find_first(session, operands, query):
    """(path, item) of the first match in the keychains searched, or None."""
    try:
        for path, data in _keychains_to_search(session, operands):
            for item in data["items"]:
                if _matches(item, query):
                    return path, item
    except _Status as status:
        # unconfirmed: whether the search reports the missing keychain before "not found"
        session.fail("SecKeychainSearchCreateFromAttributes", status.code)
    return None


def _cmd_add(session, command, args):
    prompt_for_data = False
    try:
        opts, operands = _getopt(session.ctx, args, ":a:c:C:D:G:j:l:s:p:w:X:UAT:h")
    except _GetoptError as error:
        # A trailing -w (or -p) without a value asks for the data; anything else is a usage error.
        prompt_for_data = error.missing and error.optopt in "pw"
        opts, operands = error.parsed + ([] if prompt_for_data else [("h", None)]), []
    _refuse_options(opts, command, "cCDGjXAT")
    session.begin(command, "write")
    if _has(opts, "h"):
        return USAGE
    secret = _last(opts, "pw")  # -p is the legacy spelling of -w
    if prompt_for_data:
        secret = _ask_twice(session, "password data for new item: ", "retype password for new item: ", eof_result=1)
        if not isinstance(secret, str):
            return 1
    fields = {"account": _last(opts, "a"), "service": _last(opts, "s"), "data": secret}
    if fields["account"] is None or fields["service"] is None or len(operands) > 1 or operands == [""]:
        return USAGE
    fields["label"] = _last(opts, "l") or fields["service"]  # the service name is the default label
    name = operands[0] if operands else None
    if _has(opts, "U") and _update_item(session, name, fields):
        return 0
    try:
        _create_item(session, name, fields)
    except _Status as status:
        return session.fail("SecKeychainItemCreateFromContent (%s)" % (name or "<default>"), status.code)
    return 0


def _create_item(session, name, fields):
    """SecKeychainItemCreateFromContent() of a generic password; raises _Status."""
    path, data = session.open(name)
    if not session.host.keychain_unlocked(path):
        raise _Status(ERR_INTERACTION)
    if any(_matches(item, fields) for item in data["items"]):
        raise _Status(ERR_DUPLICATE_ITEM)
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    item = dict(fields, data=fields["data"] or "", cdat=now, mdat=now)
    item["class"] = "genp"
    changed = dict(data, items=data["items"] + [item])
    session.ctx.steps(lambda: session.save_keychain(path, changed))


def _update_item(session, name, fields):
    """-U: modify the first item with this account and service; False sends the caller on to create one.

    A failed modification falls through to creating the item too, as in
    keychain_add.c: on a locked keychain both calls report the error.
    """
    try:
        path, data = session.open(name)
    except _Status:
        return False  # the create that follows reports the keychain
    key = {"account": fields["account"], "service": fields["service"]}
    index = next((i for i, item in enumerate(data["items"]) if _matches(item, key)), None)
    if index is None:
        return False
    if not session.host.keychain_unlocked(path):
        session.fail("SecKeychainItemModifyContent", ERR_INTERACTION)
        return False
    item = dict(data["items"][index], label=fields["label"],
                mdat=datetime.datetime.now(datetime.timezone.utc).timestamp())
    if fields["data"] is not None:  # no -w: the data stays as it is
        item["data"] = fields["data"]
    items = list(data["items"])
    items[index] = item
    changed = dict(data, items=items)
    session.ctx.steps(lambda: session.save_keychain(path, changed))
    return True


HANDLERS = {
    "list-keychains": _cmd_list,
    "default-keychain": _cmd_default,
    "login-keychain": _cmd_login,
    "create-keychain": _cmd_create,
    "delete-keychain": _cmd_delete,
    "lock-keychain": _cmd_lock,
    "unlock-keychain": _cmd_unlock,
    "set-keychain-password": _cmd_set_password,
    "show-keychain-info": _cmd_show_info,
    "dump-keychain": _cmd_dump,
    "add-generic-password": _cmd_add,
    "find-generic-password": _cmd_find,
}


def _match(word):
    """match_command(): the first command in table order that starts with `word`."""
    return next((name for name in ALL_COMMANDS if name.startswith(word)), None)


def _execute(session, argv):
    """execute_command(): run one command line, print its usage when it returns 2."""
    if not argv:
        return 0
    name = _match(argv[0])
    if name is None:
        session.ctx.err('security: unknown command "%s"' % argv[0])
        return 1
    handler = HANDLERS.get(name)
    try:
        if handler is None:
            raise _NotSimulated("security %s is not simulated" % name)
        if session.verbose:
            session.ctx.err(name + "".join(' "%s"' % arg for arg in argv[1:]))
        result = handler(session, name, argv[1:])
    except _NotSimulated as refusal:
        session.ctx.err("macsim: %s" % refusal)
        return 2
    if result == USAGE:
        usage, summary = USAGES[name]
        session.ctx.stderr.write("Usage: %s %s\n        %s\n" % (name, usage, summary))
    return result


def _interactive(session):
    """security -i: run stdin lines until EOF; a prompt hitting EOF (-1) ends it with 0."""
    show_prompt = os.isatty(0)  # prompt only for a terminal, on stderr
    result = 0
    while True:
        if show_prompt:
            session.ctx.stderr.write("security> ")
            session.ctx.stderr.flush()
        line = session.readline()
        if line is None:
            return result
        words = _split_line(line)
        result = _execute(session, words)
        if result == PROMPT_EOF:
            return 0
        if result and not session.quiet:
            session.ctx.err("%s: returned %d" % (words[0], result))


def main(ctx):
    session = _Session(ctx)
    try:
        opts, operands = _getopt(ctx, ctx.argv, "hilp:qvR")
    except _GetoptError:
        return _global_usage(ctx)
    if _has(opts, "l"):
        ctx.err("macsim: security -l (leaks) is not simulated")
        return 2
    session.quiet = _has(opts, "q")
    session.verbose = _has(opts, "v")
    interactive = _has(opts, "i") or _has(opts, "p")  # -p prompt implies -i; -R is ignored
    if _has(opts, "h"):
        result = _execute(session, ["help"] + operands)  # refused: help is not simulated
    elif operands:
        result = _execute(session, operands)
    elif interactive:
        result = _interactive(session)
    else:
        result = _global_usage(ctx)
    return result & 0xFF  # exit(result): the OSStatus truncated to 8 bits


def _global_usage(ctx):
    """usage(): on stdout, then exit 2."""
    ctx.out(_GLOBAL_USAGE)
    _list_commands(ctx)
    return USAGE
