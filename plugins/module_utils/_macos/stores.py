# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The four places a Mac keeps a user's password, one small class each.

Each store can tell which of the known passwords it accepts (read only) and can
be brought to a new password. Secrets reach the tools on stdin only: as answers
to their prompts (the runner starts them without a terminal) or as lines of
dscl's interactive mode. Private to the collection; Python 3.9, standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import datetime
import os
import re

from .account import AUTH_LOCKED, AUTH_OK, CredentialError, escape_dscl_word
from .candidates import (FILEVAULT_FAILURES, IN_SYNC, UNKNOWN, BudgetExhausted, Candidates, FailureBudget, Trial,
                         which_opens)
from .lockout import Lockout
from .runner import ToolError

STALE = "stale"
ABSENT = "absent"
NOT_APPLICABLE = "not_applicable"
SKIPPED = "skipped"
# The login keychain of a logged-in user, unlocked by the session: testing it would mean locking it under the
# session's apps (docs/macos-sessions.md), so it is reported as not verified.
UNVERIFIED_IN_SESSION = "unverified_in_session"
# Left as it was for macOS's own dialog at the next login (keychain_recovery: leave).
LEFT_FOR_LOGIN = "left_for_login"

# security -i reports a failed command as "<command>: returned <status>" (security.c), one line each.
_SECURITY_FAILED = re.compile(r"^(show-keychain-info|lock-keychain|unlock-keychain): returned -?[0-9]+$", re.MULTILINE)

VOLUME = "/"
PREBOOT_MOUNT = "/System/Volumes/Preboot"


class _Tried:
    """What the last state() found: which candidate opened the store (self.trial.position), how many the budget
    left untried. A store that was not tried reports a Trial of its state alone."""

    trial = Trial(None)

    def _record(self, trial):
        self.trial = trial
        return trial.state


def _security_word(text):
    """One argument of a `security -i` line: double-quoted, backslash and quote escaped (security.c split_line)."""
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


class LocalLogin(_Tried):
    """The local account password (Open Directory), checked with dscl -authonly."""

    name = "login"

    def __init__(self, runner, account):
        self.runner = runner
        self.account = account

    def state(self, password, candidates=None, budget=None, first=None):
        """budget: the account's lockout budget (Lockout.failure_budget()); every wrong check counts.
        first: the candidate that opened FileVault, tried first (the likeliest)."""
        def opens(candidate):
            outcome = self.account.authenticate(candidate)
            if outcome == AUTH_LOCKED:
                raise self._locked()
            return outcome == AUTH_OK
        try:
            return self._record(which_opens(opens, password, candidates, budget, first))
        except BudgetExhausted:
            # No room for a wrong check: an account already locked out is reported as such (its remedy is an
            # unlock, which callers such as the password_sync role recognise), any other as out of budget.
            if Lockout(self.runner, self.account).locked():
                raise self._locked()
            raise

    def _locked(self):
        return CredentialError("the account %s is locked or disabled (eDSAuthAccountDisabled): unlock it first with "
                               "macfleet.credsync.macos_account_unlock" % self.account.name)

    def change(self, old, new):
        """Change with the old password: opendirectoryd keeps the secure token and FileVault in step."""
        self.runner.run("dscl", ["-q", "."], stdin="passwd /Users/%s %s %s\n" % (
            escape_dscl_word(self.account.name), escape_dscl_word(old), escape_dscl_word(new)))
        # dscl's interactive mode always exits 0: the check that follows is the verdict.

    def admin_reset(self, new, admin_user=None, admin_password=None):
        """sysadminctl reset; with a secure-token admin FileVault follows (the keychain never does)."""
        args = ["-resetPasswordFor", self.account.name, "-newPassword", "-"]
        answers = [new]
        if admin_user:
            args += ["-adminUser", admin_user, "-adminPassword", "-"]
            answers.append(admin_password)
        return self.runner.run("sysadminctl", args, stdin="\n".join(answers) + "\n")


class FileVault(_Tried):
    """The user's APFS crypto user on the boot volume (what unlocks the disk at boot)."""

    name = "filevault"

    def __init__(self, runner, account):
        self.runner = runner
        self.account = account
        self._enabled = None
        # The Secure Enclave counts wrong passphrases (candidates.FILEVAULT_FAILURES); one is kept for the check
        # after a write.
        self.budget = FailureBudget(FILEVAULT_FAILURES, reserve=1, why=(
            "the Secure Enclave delays FileVault unlocks after %d wrong passphrases" % FILEVAULT_FAILURES))

    def enabled(self):
        if self._enabled is None:
            result = self.runner.run("fdesetup", ["isactive"])
            if result.rc not in (0, 1):
                raise ToolError(self.runner.describe_failure(result), result)
            self._enabled = result.rc == 0
        return self._enabled

    def is_crypto_user(self):
        result = self.runner.run("diskutil", ["apfs", "listCryptoUsers", "-plist", VOLUME], check=True)
        users = self.runner.plist(result).get("Users", [])
        return any(isinstance(u, dict) and str(u.get("APFSCryptoUserUUID", "")).upper() == self.account.guid
                   for u in users)

    def _verifies(self, passphrase):
        result = self.runner.run("diskutil", ["apfs", "unlockVolume", VOLUME, "-user", self.account.guid,
                                              "-stdinpassphrase", "-verify"], stdin=passphrase + "\n")
        return result.rc == 0

    def opens(self, passphrase):
        """Whether the passphrase opens the crypto user; a wrong one is spent from the run's budget."""
        opened = self._verifies(passphrase)
        if not opened:
            self.budget.spend()
        return opened

    def state(self, password, candidates=None, first=None):
        """first: a candidate to try first (the likeliest), when another store told."""
        return self._record(which_opens(self._verifies, password, candidates, self.budget, first))

    def change(self, old, new):
        # No stdin flag for changePassphrase: its prompts (old, new, repeat) are answered on stdin.
        return self.runner.run("diskutil", ["apfs", "changePassphrase", VOLUME, "-user", self.account.guid],
                               stdin="%s\n%s\n%s\n" % (old, new, new))


class Preboot:
    """The copy of the crypto users the FileVault login window reads, refreshed by updatePreboot.

    No tool reports whether it is current. The refresh rewrites CryptoUserInfo.plist
    on the Preboot volume, so a password set after that file's modification time has
    not reached the login window yet: that is the read-only staleness check.
    """

    name = "preboot"

    def __init__(self, runner):
        self.runner = runner
        self._info_path = None

    def _info(self, volume):
        result = self.runner.run("diskutil", ["info", "-plist", volume], check=True)
        return self.runner.plist(result)

    def info_path(self):
        """The refresh marker's path, asked of diskutil once per run (volumes do not move during a run)."""
        if self._info_path is None:
            self._info_path = self._find_info_path()
        return self._info_path

    def _find_info_path(self):
        group = self._info(VOLUME).get("APFSVolumeGroupID")
        mount = self._info(PREBOOT_MOUNT).get("MountPoint") or PREBOOT_MOUNT
        if not group:
            raise CredentialError("diskutil reports no APFS volume group for /: cannot locate the Preboot copy")
        return os.path.join(mount, group, "var", "db", "CryptoUserInfo.plist")

    def state(self, account):
        path = self.info_path()
        if not os.path.exists(path) or account.password_last_set > os.path.getmtime(path):
            return STALE
        return IN_SYNC

    def mark_stale(self):
        """Age the refresh marker before FileVault changes, so a run killed before the refresh
        still finds Preboot stale next time (a FileVault-only change leaves passwordLastSetTime
        as it was). updatePreboot rewrites the file; best effort where the volume refuses.

        Returns the marker's (path, atime, mtime) as found, for restore(); None when there is none."""
        try:
            path = self.info_path()
            info = os.stat(path)
            os.utime(path, (0, 0))
        except OSError:
            return None
        return (path, info.st_atime_ns, info.st_mtime_ns)

    @staticmethod
    def restore(marker):
        """Put the marker's times back, after a run that failed having changed nothing."""
        path, atime_ns, mtime_ns = marker
        try:
            os.utime(path, ns=(atime_ns, mtime_ns))
        except OSError:
            pass

    def update(self):
        result = self.runner.run("diskutil", ["apfs", "updatePreboot", VOLUME])
        if result.rc != 0 or "overall error=(ZeroMeansSuccess)=0" not in result.stdout:
            raise ToolError(self.runner.describe_failure(result), result)


class LoginKeychain(_Tried):
    """~/Library/Keychains/login.keychain-db, verified on a locked handle.

    An unlocked keychain accepts any password on unlock, so each check locks it
    first, and locks it again after (one `security -i` call: _opens_locked); one found unlocked is unlocked
    again when a known password allows.

    held_by_session: the user is logged in, so securityd holds this keychain for the session. Such a keychain is
    never locked while it is unlocked (its apps would lose access until the user types the password again), never
    moved aside and never recreated; a locked one may still be tested (it is left locked). Re-keying in place,
    which checks the old password itself without locking, is allowed.
    """

    name = "keychain"
    FILE = "login.keychain-db"

    def __init__(self, runner, account):
        self.runner = runner
        self.account = account
        self.folder = os.path.join(account.home, "Library", "Keychains")
        self.path = os.path.join(self.folder, self.FILE)
        self.held_by_session = False
        self._found_unlocked = None  # how the first check found it (no session's: those are never locked)

    def exists(self):
        return os.path.isfile(self.path)

    def owned_by_user(self):
        """The user's own file, writable by nobody else.

        A login keychain root created (or left root's) is one the user cannot open at login. The mode is not
        required to be 0600: the Security framework creates keychains with its default mode under the creator's
        umask (0644 under the usual 022), inside a 0700 Keychains folder, and the file is encrypted with the
        keychain password (docs/macos-sessions.md). Only write access for group or others is refused.
        """
        info = os.stat(self.path)
        return info.st_uid == self.account.uid and (info.st_mode & 0o022) == 0

    def give_to_user(self):
        """Hand the file to the user; take away write access for others, leave the rest of the mode as it is."""
        info = os.stat(self.path)
        if info.st_uid != self.account.uid:
            os.chown(self.path, self.account.uid, self.account.gid)
        if info.st_mode & 0o022:
            os.chmod(self.path, info.st_mode & 0o7755)

    def folder_exists(self):
        return os.path.isdir(self.folder)

    def unlocked(self):
        result = self.runner.run("security", ["show-keychain-info", self.path])
        return result.rc == 0

    def lock(self):
        self.runner.run("security", ["lock-keychain", self.path], check=True)

    def untestable(self):
        """Unlocked by a live session: any check would have to lock it under the session's apps."""
        return self.held_by_session and self.unlocked()

    def _refuse_in_session(self, what):
        if self.held_by_session:
            raise CredentialError("refusing to %s the login keychain of %s: a live login session holds it (log the "
                                  "user out, or use keychain_recovery: leave)" % (what, self.account.name))

    def _opens_locked(self, password):
        """Whether the password opens the keychain, on a locked handle, in one `security -i` call: show its
        settings (which fails on a locked keychain: how it was found), lock it, unlock it with the password, lock it
        again. An unlocked keychain takes any password, so the first lock makes the check honest. In interactive
        mode security reads its commands from stdin, so the password stays off every command line; quoted as
        security's split_line() reads a line (a backslash escapes the next character). security reports each
        failed command as "<command>: returned <status>" on stderr (security.c)."""
        path = _security_word(self.path)
        script = "show-keychain-info %s\nlock-keychain %s\nunlock-keychain -p %s %s\nlock-keychain %s\n" % (
            path, path, _security_word(password), path, path)
        result = self.runner.run("security", ["-i"], stdin=script)
        failed = [match.group(1) for match in _SECURITY_FAILED.finditer(result.stderr)]
        if "lock-keychain" in failed or result.rc != 0:
            raise ToolError(self.runner.describe_failure(result), result)
        if self._found_unlocked is None:
            self._found_unlocked = "show-keychain-info" not in failed
        return "unlock-keychain" not in failed

    def _as_found(self, password):
        """Unlock it again when it was found unlocked (as its user had it) and the password is known."""
        if self._found_unlocked:
            self.runner.run("security", ["unlock-keychain", self.path], stdin=password + "\n")

    def state(self, password, candidates=None, first=None):
        """No lockout applies to a keychain file: every candidate may be tried (first: the likeliest). Each check
        leaves the keychain locked: with no session, nobody needs it unlocked; a session's keychain is tested
        only when it is locked already."""
        if not self.exists():
            return self._record(Trial(ABSENT))
        if self.untestable():
            return self._record(Trial(UNVERIFIED_IN_SESSION))
        if not isinstance(candidates, Candidates):
            candidates = Candidates(candidates)
        trial = which_opens(self._opens_locked, password, candidates, first=first)
        if trial.state != UNKNOWN:
            self._as_found(password if trial.position is None else candidates[trial.position])
        return self._record(trial)

    def verify(self, password):
        """True or False; None when a live session has it unlocked (never locked to find out)."""
        if self.untestable():
            return None
        opens = self._opens_locked(password)
        if opens:
            self._as_found(password)
        return opens

    def rekey(self, old, new):
        result = self.runner.run("security", ["set-keychain-password", self.path], stdin="%s\n%s\n%s\n" % (old, new, new))
        if result.rc != 0:
            raise ToolError(self.runner.describe_failure(result), result)

    def move_aside(self, now=None):
        """Rename (never delete) an unopenable keychain next to itself, under a dated name."""
        self._refuse_in_session("move aside")
        self.lock()
        stamp = (now or datetime.datetime.now(datetime.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
        target = os.path.join(self.folder, "login_replaced_%s.keychain-db" % stamp)
        suffix = 1
        while os.path.exists(target):
            suffix += 1
            target = os.path.join(self.folder, "login_replaced_%s_%d.keychain-db" % (stamp, suffix))
        os.rename(self.path, target)
        return target

    def create(self, password):
        self._refuse_in_session("create")
        result = self.runner.run("security", ["create-keychain", self.path], stdin="%s\n%s\n" % (password, password))
        if result.rc != 0 or not self.exists():
            raise ToolError(self.runner.describe_failure(result), result)
        # Created by root: hand it to the user, private, as the login window would.
        self.give_to_user()
