"""What the simulated fdesetup and diskutil share: the volume's crypto users, strict options.

Both tools look at the same encrypted APFS volume: state["crypto_users"] maps
a crypto-user UUID to {"type", "hash", "volume_owner"}; a Local Open Directory
User's UUID is the GeneratedUID of its account.
"""

from .._state import check_secret

OD_USER = "Local Open Directory User"

# The type names in state are diskutil's text (`Type: ...`). The plist output of
# `diskutil apfs listCryptoUsers -plist` and the TYPE column of `fdesetup list
# -extended` spell them differently: (plist APFSCryptoUserType, fdesetup TYPE).
# LocalOpenDirectory, PersonalRecovery, MDMRecovery, "OS User" appear in public
# output; "Personal Recovery Record" is recalled, not sourced: unconfirmed, as are the iCloud names.
_TYPE_NAMES = {
    OD_USER: ("LocalOpenDirectory", "OS User"),
    "Personal Recovery User": ("PersonalRecovery", "Personal Recovery Record"),
    "iCloud Recovery User": ("iCloudRecovery", "iCloud Recovery Record"),
    "MDM Bootstrap Token External Key": ("MDMRecovery", "MDM Bootstrap Token"),
}


class UsageError(Exception):
    """A bad command line: the tool prints its usage and fails, never guesses."""


def parse_options(args, valued=(), switches=()):
    """Options in any order: `-name value` for valued ones, bare `-name` for switches.

    Anything else (an unknown option, a stray word, a repeat, a valued option
    whose value is missing or is itself one of the options) is a UsageError.
    Values may start with '-' (a passphrase can), but not be an option name:
    `-user -verify` means the UUID was forgotten, not a UUID called '-verify'.
    """
    known = set(valued) | set(switches)
    options = {}
    index = 0
    while index < len(args):
        word = args[index]
        if word in switches:
            value = True
        elif word in valued:
            if index + 1 >= len(args) or args[index + 1] in known:
                raise UsageError("option %s needs a value" % word)
            index += 1
            value = args[index]
        elif word.startswith("-"):
            raise UsageError("unknown option %s" % word)
        else:
            raise UsageError("unexpected argument %s" % word)
        if word in options:
            raise UsageError("option %s given twice" % word)
        options[word] = value
        index += 1
    return options


def crypto_users(host):
    """[(UUID, record)]: Open Directory users first, then recovery users, each by UUID.

    state.json is written with sorted keys, so insertion order does not survive a
    save; a fixed order keeps the listing stable (the reference example lists the
    OD user before the Personal Recovery User; the real order is unconfirmed).
    """
    return sorted(host.data["crypto_users"].items(), key=lambda item: (item[1]["type"] != OD_USER, item[0]))


def od_crypto_users(host):
    """Only the crypto users that belong to Open Directory accounts (the ones that log in)."""
    return [(guid, record) for guid, record in crypto_users(host) if record["type"] == OD_USER]


def owner_name(host, guid):
    """Short name of the account whose GeneratedUID is `guid`, or None."""
    name, _user = host.user_by_guid(guid)
    return name


def plist_type(type_name):
    return _TYPE_NAMES.get(type_name, (type_name.replace(" ", ""), type_name))[0]


def fdesetup_type(type_name):
    return _TYPE_NAMES.get(type_name, (type_name.replace(" ", ""), type_name))[1]


def opens(host, guid, passphrase):
    """Does `passphrase` unwrap the volume key for crypto user `guid`?"""
    record = host.crypto_user(guid)
    return bool(record) and check_secret(passphrase, record["hash"])
