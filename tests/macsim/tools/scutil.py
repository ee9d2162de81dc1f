"""scutil: the one dynamic store read a password sync makes, `show State:/Users/ConsoleUser` (interactive).

What loginwindow publishes there (docs/macos-sessions.md; SystemConfiguration's SCDynamicStoreCopyConsoleUser
reads the same key): `Name`, `UID`, `GID` of the console user, `Name : loginwindow` (UID 0) while the login
window is on the console, and a `SessionInfo` array with one dictionary per GUI session, on the console or switched
out by fast user switching. macsim keeps the sessions in host state ("sessions": [{name, on_console}]).

Only interactive mode (commands on stdin, no prompt without a terminal) and only `show` of that key are
simulated; other keys print `  No such key`, other commands and flags are refused loudly.
"""

CONSOLE_KEY = "State:/Users/ConsoleUser"


def _print_console_user(ctx):
    sessions = ctx.host.data.get("sessions", [])
    users = ctx.host.data["users"]
    console = next((s for s in sessions if s.get("on_console")), None)
    out = ctx.out
    out("<dictionary> {")
    if console:
        user = users[console["name"]]
        out("  GID : %d" % user["PrimaryGroupID"])
        out("  Name : %s" % console["name"])
    else:
        out("  GID : 0")
        out("  Name : loginwindow")
    if sessions:
        out("  SessionInfo : <array> {")
        for index, session in enumerate(sessions):
            user = users[session["name"]]
            out("    %d : <dictionary> {" % index)
            out("      kCGSSessionAuditIDKey : %d" % (100000 + user["UniqueID"]))
            out("      kCGSSessionGroupIDKey : %d" % user["PrimaryGroupID"])
            out("      kCGSSessionIDKey : %d" % (257 + index))
            out("      kCGSSessionLoginwindowSafeLogin : FALSE")
            out("      kCGSSessionOnConsoleKey : %s" % ("TRUE" if session.get("on_console") else "FALSE"))
            out("      kCGSSessionSystemSafeBoot : FALSE")
            out("      kCGSSessionUserIDKey : %d" % user["UniqueID"])
            out("      kCGSSessionUserNameKey : %s" % session["name"])
            out("      kCGSessionLoginDoneKey : TRUE")
            out("    }")
        out("  }")
    out("  UID : %d" % (users[console["name"]]["UniqueID"] if console else 0))
    out("}")


def main(ctx):
    if ctx.argv:
        ctx.err("macsim: scutil %s is not simulated (only interactive `show %s`)" % (" ".join(ctx.argv), CONSOLE_KEY))
        return 2
    ctx.begin("interactive", "read")
    while True:
        line = ctx.readline()
        if line is None:
            return 0
        words = line.split()
        if not words:
            continue
        if words[0] in ("q", "quit", "exit"):
            return 0
        if words[0] in ("show", "sh") and len(words) == 2:
            if words[1] == CONSOLE_KEY:
                _print_console_user(ctx)
            else:
                ctx.out("  No such key")
            continue
        ctx.err("macsim: scutil command %r is not simulated" % words[0])
        return 2
