"""diskutil: the `apfs` verbs a password sync needs, on the host's one encrypted volume, strictly.

Simulated: listCryptoUsers (alias listUsers), changePassphrase, unlockVolume
-verify (alias unlock), updatePreboot. Verbs are matched case-insensitively
(public scripts call `listusers` and `updatepreboot`); options are matched as
diskutil(8) spells them. The volume is the first argument after the verb.
Errors go to stderr with exit 1; wording marked unconfirmed where no public
output settled it. Everything else is a usage error or an explicit refusal.
"""

import functools
import os
import plistlib
import time

from .._state import PREBOOT_MOUNT, write_preboot_info
from .._toolkit import ToolExit
from . import _apfs

EXIT_ERROR = 1
MAX_PASSPHRASE = 127
VOLUME_PATHS = ("/", "/System/Volumes/Data")

# The real `diskutil apfs` usage lists some 30 verbs; this keeps its shape for the simulated ones.
_APFS_USAGE = """Usage:  diskutil [quiet] ap[fs] <verb> <options>
        where <verb> is as follows (verbs simulated by macsim):

     listCryptoUsers     (List cryptographic users of encrypted APFS Volume)
     changePassphrase    (Change the passphrase of a cryptographic user)
     unlockVolume        (Unlock an encrypted APFS Volume which is locked; macsim: -verify only)
     updatePreboot       (Update the APFS Volume's related APFS Preboot Volume)

diskutil apfs <verb> with no options will provide help on that verb"""

_USAGE = """Usage:  diskutil [quiet] <verb> <options>, where <verb> is as follows:
     apfs                 (APFS verbs: listCryptoUsers, changePassphrase, unlockVolume, updatePreboot)
macsim simulates only the `diskutil apfs` verbs above."""

_VERB_USAGE = {
    "listCryptoUsers": "Usage:  diskutil apfs listCryptoUsers [-plist] <volumeDevice>",
    "changePassphrase": "Usage:  diskutil apfs changePassphrase <volumeDevice> -user disk|<cryptoUserUUID>\n"
                        "        [-oldPassphrase <oldPassphrase>] [-newPassphrase <newPassphrase>]\n"
                        "        Omitted passphrases are prompted for (macsim: -user disk is not simulated)",
    "unlockVolume": "Usage:  diskutil apfs unlockVolume <volumeDevice> [-user disk|<cryptoUserUUID>]\n"
                    "        [-passphrase <passphrase> | -stdinpassphrase] -verify\n"
                    "        (macsim: only -verify is simulated; the volume is always unlocked)",
    "updatePreboot": "Usage:  diskutil apfs updatePreboot <volumeDevice>",
}

# Real `diskutil apfs` verbs that macsim refuses rather than fakes (lower case).
_UNSIMULATED = ("list", "convert", "create", "createcontainer", "deletecontainer", "resizecontainer",
                "addvolume", "deletevolume", "erasevolume", "changevolumerole", "lockvolume",
                "setpassphrasehint", "encryptvolume", "decryptvolume", "listvolumegroups",
                "listsnapshots", "deletesnapshot", "enablefilevault", "disablefilevault", "defragment")

# Error texts. The incorrect-passphrase one (-69557) comes from a third-party test
# fixture and "not locked" (-69589) from a code comment quoting real output: both
# unconfirmed for -verify and changePassphrase.
_INCORRECT = "The given passphrase is incorrect (-69557)"
_NOT_LOCKED = "Error unlocking APFS Volume: The given APFS Volume is not locked (-69589)"


def main(ctx):
    args = ctx.argv
    if args and args[0] == "info":
        return _info(ctx, args[1:])
    if not args or args[0].lower() not in ("apfs", "ap"):
        if args:
            ctx.err("macsim: diskutil %s is not simulated" % args[0])
        ctx.err(_USAGE)
        return EXIT_ERROR  # unconfirmed: usage exit code
    if len(args) == 1:
        ctx.err(_APFS_USAGE)
        return EXIT_ERROR
    verb = _VERBS.get(args[1].lower())
    if verb is None:
        if args[1].lower() in _UNSIMULATED:
            ctx.err("macsim: diskutil apfs %s is not simulated" % args[1])
        else:
            ctx.err("Unknown or unsupported verb: %s" % args[1])  # unconfirmed wording
        ctx.err(_APFS_USAGE)
        return EXIT_ERROR
    name, handler = verb
    if len(args) == 2:
        # `diskutil apfs <verb>` alone prints that verb's help (diskutil(8)); it does nothing.
        ctx.err(_VERB_USAGE[name])
        return EXIT_ERROR  # unconfirmed: exit code of the help
    try:
        return handler(ctx, args[2:])
    except _apfs.UsageError as exc:
        ctx.err("Error: %s" % exc)  # unconfirmed wording
        ctx.err(_VERB_USAGE[name])
        return EXIT_ERROR


def _split_volume(args, valued=(), switches=()):
    """(volume, options): the volume comes first, its options after it in any order."""
    if args[0].startswith("-"):
        raise _apfs.UsageError("the volume must come before the options")
    return args[0], _apfs.parse_options(args[1:], valued, switches)


def _resolve_volume(ctx, name, as_plist=False):
    """The device of the one simulated Data volume: '/', its mount point, diskNsN or /dev/diskNsN."""
    device = ctx.host.data["volume"]["device"]
    if name in VOLUME_PATHS or name in (device, "/dev/" + device):
        return device
    message = "Could not find disk: %s" % name  # text in public output; stream unconfirmed
    if as_plist:
        # With -plist diskutil reports errors as a plist on stdout (public output of `info -plist`).
        ctx.stdout.write(plistlib.dumps({"Error": True, "ErrorMessage": message, "ExitCode": EXIT_ERROR}).decode("utf-8"))
    else:
        ctx.err(message)
    raise ToolExit(EXIT_ERROR)


def _fail(ctx, message):
    ctx.err(message)
    raise ToolExit(EXIT_ERROR)


def _refuse_disk_user(ctx, guid):
    if guid is not None and guid.lower() == "disk":
        _fail(ctx, "macsim: -user disk (a volume passphrase, not a crypto user) is not simulated")


def _check_length(ctx, passphrase):
    # The limit is documented in bytes (the passphrase is a C string: 64 two-byte characters are 128);
    # the wording is unconfirmed.
    if len(passphrase.encode("utf-8", "surrogateescape")) > MAX_PASSPHRASE:
        _fail(ctx, "Error: The passphrase is longer than %d bytes" % MAX_PASSPHRASE)


# -- listCryptoUsers ------------------------------------------------------------------
def _list_crypto_users(ctx, args):
    # diskutil(8) puts -plist before the volume; public scripts also put it after.
    as_plist = "-plist" in args
    rest = [a for a in args if a != "-plist"]
    if len(args) - len(rest) > 1:
        raise _apfs.UsageError("option -plist given twice")
    if len(rest) != 1 or rest[0].startswith("-"):
        raise _apfs.UsageError("expected exactly one volume")
    ctx.begin("listCryptoUsers", "read")
    device = _resolve_volume(ctx, rest[0], as_plist)
    users = _apfs.crypto_users(ctx.host)
    if as_plist:
        # Key names and the LocalOpenDirectory/PersonalRecovery values are in public scripts' parsers.
        listing = [{"APFSCryptoUserUUID": guid, "APFSCryptoUserType": _apfs.plist_type(record["type"]),
                    "VolumeOwner": bool(record.get("volume_owner"))} for guid, record in users]
        ctx.stdout.write(plistlib.dumps({"Users": listing}).decode("utf-8"))
        return 0
    if not users:
        ctx.out("No cryptographic users for %s" % device)
        return 0  # unconfirmed: exit code when there are none
    ctx.out("Cryptographic users for %s (%d found)" % (device, len(users)))
    for index, (guid, record) in enumerate(users):
        # The last entry's detail lines lose the '|' that links to the next entry.
        indent = "    " if index == len(users) - 1 else "|   "
        ctx.out("|")
        ctx.out("+-- %s" % guid)
        ctx.out("%sType: %s" % (indent, record["type"]))
        ctx.out("%sVolume Owner: %s" % (indent, "Yes" if record.get("volume_owner") else "No"))
    return 0


# -- changePassphrase ------------------------------------------------------------------
def _change_passphrase(ctx, args):
    volume, options = _split_volume(args, valued=("-user", "-oldPassphrase", "-newPassphrase"))
    if "-user" not in options:
        raise _apfs.UsageError("-user is required")
    ctx.begin("changePassphrase", "write")
    device = _resolve_volume(ctx, volume)
    guid = options["-user"]
    _refuse_disk_user(ctx, guid)
    failure = "Error changing passphrase for cryptographic user %s on APFS Volume %s: " % (guid, device)  # unconfirmed
    if ctx.host.crypto_user(guid) is None:
        _fail(ctx, failure + "The cryptographic user was not found")  # unconfirmed
    # Prompt texts as a public expect script answers them: old, new, then the new one again.
    old = options.get("-oldPassphrase")
    if old is None:
        old = ctx.prompt_secret("Old passphrase for user %s:" % guid)
    new = options.get("-newPassphrase")
    if new is None and old is not None:
        new = ctx.prompt_secret("New passphrase:")
        repeat = ctx.prompt_secret("Repeat new passphrase:") if new is not None else None
        if repeat is None:
            new = None
        elif repeat != new:
            _fail(ctx, failure + "The new passphrases do not match")  # unconfirmed
    if old is None or new is None:
        _fail(ctx, failure + "No passphrase was given")  # unconfirmed: end of input at a prompt
    _check_length(ctx, old)
    _check_length(ctx, new)
    if not new:
        _fail(ctx, failure + "The new passphrase is empty")  # unconfirmed: refused as the safe guess
    ctx.out("Changing passphrase for cryptographic user %s on APFS Volume %s" % (guid, device))  # unconfirmed
    if not _apfs.opens(ctx.host, guid, old):
        _fail(ctx, failure + _INCORRECT)
    # One step: APFS re-wraps the key in one transaction. Preboot is NOT touched:
    # the FileVault login window keeps the old passphrase until updatePreboot.
    ctx.steps(functools.partial(_set_passphrase, ctx, guid, new))
    return 0


def _set_passphrase(ctx, guid, passphrase):
    ctx.host.set_crypto_passphrase(guid, passphrase)
    ctx.wrote()


# -- unlockVolume -verify ------------------------------------------------------------------
def _unlock_volume(ctx, args):
    volume, options = _split_volume(args, valued=("-user", "-passphrase"), switches=("-stdinpassphrase", "-verify"))
    if "-passphrase" in options and "-stdinpassphrase" in options:
        raise _apfs.UsageError("-passphrase and -stdinpassphrase exclude each other")
    ctx.begin("unlockVolume", "read")
    device = _resolve_volume(ctx, volume)
    guid = options.get("-user")
    _refuse_disk_user(ctx, guid)
    if not options.get("-verify"):
        # The simulated volume is the unlocked boot volume: a real unlock is refused.
        _fail(ctx, _NOT_LOCKED)
    if "-stdinpassphrase" in options:
        passphrase = ctx.readline()  # one line, its newline dropped
    elif "-passphrase" in options:
        passphrase = options["-passphrase"]
    else:
        passphrase = ctx.prompt_secret("Passphrase:")
    failure = "Error unlocking APFS Volume: "  # unconfirmed for -verify
    if passphrase is None:
        _fail(ctx, failure + "No passphrase was given")  # unconfirmed
    _check_length(ctx, passphrase)
    if guid is None:
        ctx.out("Verifying any cryptographic user on APFS Volume %s" % device)  # unconfirmed
        candidates = [g for g, _record in _apfs.crypto_users(ctx.host)]
    else:
        ctx.out("Verifying cryptographic user %s on APFS Volume %s" % (guid, device))  # unconfirmed
        candidates = [guid]
    if not any(_apfs.opens(ctx.host, g, passphrase) for g in candidates):
        # An unknown user and a wrong passphrase fail alike (a public sample: "Passphrase
        # incorrect or user does not exist").
        _fail(ctx, failure + _INCORRECT)
    ctx.out("The given passphrase is correct; the APFS Volume was not unlocked")  # unconfirmed
    return 0


# -- updatePreboot ---------------------------------------------------------------------------
def _update_preboot(ctx, args):
    if len(args) != 1 or args[0].startswith("-"):
        raise _apfs.UsageError("expected exactly one volume and no options")
    ctx.begin("updatePreboot", "write")
    device = _resolve_volume(ctx, args[0])
    # Progress lines abridged from public output; only the last two are relied upon by callers.
    ctx.out("Started APFS operation")
    ctx.out("UpdatePreboot: Updating the Preboot Volume for APFS Volume %s" % device)
    users = [guid for guid, _record in _apfs.od_crypto_users(ctx.host)]
    # One step per user then the clean-up: a process killed half-way leaves some
    # users refreshed and others stale, each entry whole, as a real interrupted run
    # would; running updatePreboot again repairs it.
    steps = [functools.partial(_refresh_preboot_entry, ctx, guid) for guid in users]
    steps.append(functools.partial(_drop_stale_preboot_entries, ctx, set(users)))
    steps.append(lambda: write_preboot_info(ctx.host.root, ctx.host.data))
    ctx.steps(*steps)
    ctx.out("UpdatePreboot: Error among all users was 0")
    ctx.out("UpdatePreboot: Exiting Update Preboot operation with overall error=(ZeroMeansSuccess)=0")
    ctx.out("Finished APFS operation")
    return 0


def _refresh_preboot_entry(ctx, guid):
    ctx.out("UpdatePreboot: Considering user %s" % guid)
    preboot = ctx.host.data["preboot"]
    crypto_hash = dict(ctx.host.crypto_user(guid)["hash"])
    changed = preboot.get(guid, {}).get("hash") != crypto_hash
    # The timestamp moves on every run (the real tool rewrites Preboot each time), but
    # the audit counts the call as a mutation only when what the login window reads changed.
    preboot[guid] = {"hash": crypto_hash, "updated": time.time()}
    ctx.host.mark()
    if changed:
        ctx.wrote()
    ctx.out("UpdatePreboot: Error for this user was 0")


def _drop_stale_preboot_entries(ctx, keep):
    """Users no longer on the volume disappear from the login window."""
    preboot = ctx.host.data["preboot"]
    for guid in [g for g in preboot if g not in keep]:
        del preboot[guid]
        ctx.wrote()


# -- info -----------------------------------------------------------------------------------
_PREBOOT = "/System/Volumes/Preboot"


def _info(ctx, args):
    """`diskutil info [-plist] VOL` for the root, Data and Preboot volumes (a few keys)."""
    as_plist = bool(args) and args[0] == "-plist"
    rest = args[1:] if as_plist else args
    if len(rest) != 1 or rest[0].startswith("-"):
        ctx.err("Usage:  diskutil info[rmation] [-plist] <MountPoint|DiskIdentifier|DeviceNode>")
        return EXIT_ERROR
    ctx.begin("info", "read")
    volume = ctx.host.data["volume"]
    if rest[0] in (_PREBOOT, "disk3s2", "/dev/disk3s2"):
        # The mount point is where the host keeps its Preboot files (real path on a Mac:
        # /System/Volumes/Preboot), so callers find the files through diskutil.
        info = {"DeviceIdentifier": "disk3s2", "VolumeName": "Preboot", "FilesystemType": "apfs",
                "MountPoint": os.path.join(ctx.host.root, PREBOOT_MOUNT)}
    else:
        device = _resolve_volume(ctx, rest[0], as_plist)
        info = {"DeviceIdentifier": device, "VolumeName": "Macintosh HD - Data", "FilesystemType": "apfs",
                "MountPoint": "/System/Volumes/Data", "APFSVolumeGroupID": volume["group_uuid"],
                "Encryption": True, "FileVault": bool(ctx.host.data["filevault"])}
    if as_plist:
        ctx.stdout.write(plistlib.dumps(info).decode("utf-8"))
    else:
        for key in sorted(info):
            ctx.out("   %-28s %s" % (key + ":", info[key]))
    return 0


_VERBS = {
    "listcryptousers": ("listCryptoUsers", _list_crypto_users),
    "listusers": ("listCryptoUsers", _list_crypto_users),
    "changepassphrase": ("changePassphrase", _change_passphrase),
    "unlockvolume": ("unlockVolume", _unlock_volume),
    "unlock": ("unlockVolume", _unlock_volume),
    "updatepreboot": ("updatePreboot", _update_preboot),
}
