# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reach the old login keychain again: a keychain moved aside becomes the login keychain, re-keyed to the password.

macos_password_sync moves a login keychain no known password opens aside as login_replaced_<UTC time>.keychain-db,
and macOS's own "Create New Keychain" renames it login_renamed_<N>.keychain-db, both next to the new one in
~/Library/Keychains. Given the old keychain's password later, KeychainRestore finds the one it opens (newest
first, each tested on a locked handle), and makes it the login keychain again, re-keyed to the current password.

The search stops at the newest keychain moved aside that opens with previous_password (restored) or with password:
that one is the keychain an earlier restore replaced (the sync and macOS only move aside keychains that do not open
with the login password), newer than any old keychain left, so the restore is done and a second run changes
nothing. Known limit: several keychains moved aside that open with the same previous_password and no replaced one
in front of them (the login keychain was missing, or opened with previous_password and was re-keyed in place): a
second run restores the next of them; the keychain option names the one wanted.

Order, chosen so that every state a crash can leave is one a re-run recognises and finishes (nothing is deleted):
1. the current login keychain is moved aside in turn (LoginKeychain.move_aside: locked, renamed, kept);
2. the old keychain is renamed into place as login.keychain-db (never over an existing file);
3. it is re-keyed there from previous_password to password (security set-keychain-password, secrets on stdin);
4. handed to the user (as LoginKeychain.give_to_user), and verified on a locked handle.
A re-run after step 1 finds no login keychain and renames the old one into place; after step 2 it finds a login
keychain that opens with previous_password and re-keys it in place. Re-keying the old keychain at its aside path
first would leave, after a crash before the renames, two keychains that open with the password: the same as a
finished restore (whose replaced keychain also opens with it), so a re-run could not tell that the job is not done.

A logged-in user's session holds login.keychain-db (docs/macos-sessions.md): it is never moved aside under a
session, so a restore that needs the swap is refused before anything is written. A login keychain that opens with
previous_password (locked) is re-keyed in place, which a session allows.

Everything is inspected and validated before the first write. Private to the collection; Python 3.9, standard
library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import datetime
import os
import re
import stat

from .._common.text import control_characters
from .account import AUTH_LOCKED, AUTH_OK, Account, CredentialError
from .candidates import IN_SYNC, PREVIOUS, UNKNOWN
from .inputs import NOTHING_DONE, InputError, check_inputs
from .runner import ToolError
from .session import Sessions
from .stores import ABSENT, UNVERIFIED_IN_SESSION, LoginKeychain

NOT_TRIED = "not_tried"  # a keychain moved aside, not tested: an older one than the one previous_password opened
IGNORED = "ignored"  # a symbolic link, not a regular file, or owned by someone other than the user or root
NONE = "none"
RESTORE = "restore"
REKEY = "rekey"
LOGIN_FILE = LoginKeychain.FILE
SUFFIX = ".keychain-db"
# What macos_password_sync (login_replaced_<UTC time>[_N]) and macOS's "Create New Keychain" (login_renamed_<N>)
# leave next to the login keychain.
_MOVED_ASIDE = re.compile(r"^login_(?:replaced|renamed)_.+\.keychain-db$")
_REPLACED_STAMP = re.compile(r"^login_replaced_(\d{8}T\d{6}Z)(?:_(\d+))?\.keychain-db$")
_RENAMED_NUMBER = re.compile(r"^login_renamed_(\d+)\.keychain-db$")


def keychain_option_problems(value):
    """The rules the `keychain` option breaks as given (before the user's folder is known): [] when none.

    A file name in the user's ~/Library/Keychains, or an absolute path to one; where it points is checked once the
    folder is known (KeychainRestore.inspect), before anything is written."""
    if value is None:
        return []
    if not isinstance(value, str):
        return ["must be a string (a keychain file in the user's ~/Library/Keychains), not %s" % type(value).__name__]
    if value == "":
        return ["is empty (omit it to search the keychains moved aside)"]
    problems = []
    if control_characters(value, xml=True):  # a lone surrogate cannot be a file name either
        problems.append("contains a control character (a line break, NUL, tab, ...), which no file name here has")
        return problems
    parts = value.split("/")
    if ".." in parts or "." in parts:
        problems.append("must not contain '.' or '..' path parts (it must name a file in the user's "
                        "~/Library/Keychains)")
    if "/" in value and not os.path.isabs(value):
        problems.append("must be a file name in the user's ~/Library/Keychains or an absolute path to one")
    name = parts[-1]
    if not name.endswith(SUFFIX) or name == SUFFIX:
        problems.append("must name a %s file (such as login_replaced_<UTC time>%s)" % (SUFFIX, SUFFIX))
    elif name == LOGIN_FILE:
        problems.append("names the login keychain itself: give the keychain moved aside that is to replace it")
    elif name.startswith("."):
        problems.append("must not name a hidden file")
    return problems


class AsideKeychain(LoginKeychain):
    """A keychain file next to the login keychain, checked and re-keyed as the login keychain is (on a locked
    handle, secrets on stdin). No session holds it: only login.keychain-db is the session's."""

    def __init__(self, runner, account, path):
        super(AsideKeychain, self).__init__(runner, account)
        self.path = path
        self.name = os.path.basename(path)
        self.usable = True  # False: ignored (a link, not a regular file, or not the user's or root's)


def _moved_aside_time(path, info):
    """When the keychain was moved aside, newest first: the UTC time macos_password_sync wrote in its name; for
    other names (macOS's login_renamed_N) the file's status change time, which the rename set."""
    name = os.path.basename(path)
    match = _REPLACED_STAMP.match(name)
    if match:
        when = datetime.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        return (when.timestamp(), int(match.group(2) or 1), name)
    match = _RENAMED_NUMBER.match(name)
    return (info.st_ctime, int(match.group(1)) if match else 0, name)


class KeychainRestore:
    """Inspect (read only), plan, apply and verify the restore of one user's old login keychain."""

    def __init__(self, runner, user, password, previous_password, keychain=None):
        # Before anything is inspected, in check mode too: check mode predicts the real run.
        problems = []
        try:
            check_inputs(passwords=(("password", password, False), ("previous_password", previous_password, False)),
                         short_names=(("user", user, False),))
        except InputError as exc:
            problems.append(str(exc)[:-len(NOTHING_DONE % "")])  # the rules only: NOTHING_DONE is added once below
        keychain_problems = keychain_option_problems(keychain)
        if keychain_problems:
            problems.append("keychain %s" % "; ".join(keychain_problems))
        if not problems and password == previous_password:
            problems.append("previous_password is the same as password: the old keychain would need no re-key, and a "
                            "keychain that opens with password cannot be told from the one a restore replaced; give "
                            "the old keychain's own password")
        if problems:
            raise InputError(NOTHING_DONE % "; ".join(problems))
        self.runner = runner
        self.user = user
        self.password = password
        self.previous = previous_password
        self.keychain_option = keychain
        self.account = None
        self.login = None
        self.logged_in = None
        self.folder = None
        self.candidates = []
        self.found = None  # the AsideKeychain previous_password opens
        self.before = {}
        self.action = NONE
        self.warnings = []
        self.restored_from = None
        self.replaced_moved_to = None
        self.rekeyed = False
        self._done = []

    # -- inspect and plan (no writes) ----------------------------------------------------
    def inspect(self):
        self.account = Account(self.runner, self.user)
        self.login = LoginKeychain(self.runner, self.account)
        self.folder = self.login.folder
        self.logged_in = Sessions(self.runner).logged_in(self.account)
        self.login.held_by_session = self.logged_in
        self._check_folder()
        self.candidates = self._candidates()
        login_state = self._login_state()
        self.before = {LOGIN_FILE: login_state}
        # The old keychain is the login keychain already when previous_password opens it: nothing aside is tried.
        searching = login_state != PREVIOUS
        for candidate in self.candidates:
            if not candidate.usable:
                state = IGNORED
            elif not searching:
                state = NOT_TRIED
            else:
                state = self._aside_state(candidate)
                if state == PREVIOUS:
                    self.found = candidate
                    searching = False
                elif state == IN_SYNC and login_state != ABSENT:
                    # Newer than any old keychain left: the keychain an earlier restore replaced, so the restore is
                    # done. (No login keychain: a run stopped between the renames; the old one is further down.)
                    searching = False
            self.before[candidate.name] = state
        return self.before

    def _check_folder(self):
        """The Keychains folder must be the user's real folder: no link to elsewhere to rename files through."""
        for path in (os.path.dirname(self.folder), self.folder):
            if os.path.islink(path):
                raise CredentialError("%s is a symbolic link: refusing to look for or rename keychains through it "
                                      "(nothing was changed)" % path)
        if not os.path.isdir(self.folder):
            raise CredentialError("%s has no Keychains folder (%s): no keychain was ever made or moved aside there "
                                  "(nothing was changed)" % (self.user, self.folder))
        if os.path.lexists(self.login.path) and (os.path.islink(self.login.path) or
                                                 not stat.S_ISREG(os.lstat(self.login.path).st_mode)):
            raise CredentialError("%s is not a regular file (a symbolic link or a folder): refusing to move it or "
                                  "to test what it points to (nothing was changed)" % self.login.path)

    def _usable(self, path):
        info = os.lstat(path)
        return stat.S_ISREG(info.st_mode) and info.st_uid in (self.account.uid, 0)

    def _candidates(self):
        """The keychains to try, newest first: the one named by `keychain`, or every one moved aside."""
        if self.keychain_option is not None:
            return self._named_candidate()
        found = []
        for name in os.listdir(self.folder):
            if not _MOVED_ASIDE.match(name):
                continue
            path = os.path.join(self.folder, name)
            candidate = AsideKeychain(self.runner, self.account, path)
            candidate.usable = self._usable(path)
            found.append((_moved_aside_time(path, os.lstat(path)), candidate))
        found.sort(key=lambda entry: entry[0], reverse=True)
        return [candidate for _when, candidate in found]

    def _named_candidate(self):
        given = self.keychain_option
        path = given if os.path.isabs(given) else os.path.join(self.folder, given)
        path = os.path.normpath(path)
        folder = os.path.dirname(path)
        if folder != os.path.normpath(self.folder) and os.path.realpath(folder) != os.path.realpath(self.folder):
            raise InputError(NOTHING_DONE % ("keychain must be a file in %s, the Keychains folder of %s (it names a "
                                             "file in %s)" % (self.folder, self.user, folder)))
        path = os.path.join(self.folder, os.path.basename(path))
        if not os.path.lexists(path):
            self.warnings.append("keychain %s does not exist (restored already, or a wrong name?)" % path)
            return []
        if os.path.islink(path) or not self._usable(path):
            raise InputError(NOTHING_DONE % (
                "keychain %s is not a keychain file of %s (a symbolic link, not a regular file, or owned by another "
                "user): refusing to open, re-key or rename it" % (path, self.user)))
        return [AsideKeychain(self.runner, self.account, path)]

    def _aside_state(self, candidate):
        if candidate.verify(self.previous):
            return PREVIOUS
        return IN_SYNC if candidate.verify(self.password) else UNKNOWN

    def _login_state(self):
        login = self.login
        if not login.exists():
            return ABSENT
        if login.untestable():
            return UNVERIFIED_IN_SESSION  # unlocked by the session: never locked to test it
        if login.verify(self.password):
            return IN_SYNC
        if login.verify(self.previous):
            return PREVIOUS
        return UNKNOWN

    def make_plan(self):
        """RESTORE, REKEY or NONE; a refusal (a CredentialError) when the restore cannot be done. No writes."""
        login_state = self.before[LOGIN_FILE]
        if login_state == PREVIOUS:
            if self.keychain_option is not None:
                raise CredentialError(
                    "the login keychain of %s opens with previous_password itself (it is an old keychain): omit "
                    "keychain to re-key it in place; %s was not restored over it (nothing was changed)"
                    % (self.user, self.keychain_option))
            self.action = REKEY
        elif self.found is not None:
            if self.logged_in:
                raise CredentialError(
                    "%s is logged in: the session holds the login keychain, which is never moved aside under a live "
                    "session, so %s (which opens with previous_password) cannot take its place; nothing was changed. "
                    "Log the user out, then run again" % (self.user, self.found.path))
            self.action = RESTORE
        elif login_state in (IN_SYNC, UNVERIFIED_IN_SESSION):
            self.action = NONE
        else:
            self.action = NONE
            raise CredentialError(self._nothing_opens_message(login_state))
        if self.action != NONE:
            self._check_password_is_the_users()
        return self.action

    def _nothing_opens_message(self, login_state):
        tried = [c.name for c in self.candidates if self.before.get(c.name) == UNKNOWN]
        where = ("none of the keychains moved aside in %s (%s)" % (self.folder, ", ".join(tried)) if tried else
                 "no keychain moved aside in %s" % self.folder)
        if self.keychain_option is not None:
            where = ("the keychain %s does not exist" % self.keychain_option if not self.candidates else
                     "the keychain %s does not open with previous_password" % self.keychain_option)
        else:
            where += " opens with previous_password"
        login = ("there is no login keychain" if login_state == ABSENT else
                 "the login keychain opens with neither password nor previous_password")
        return ("%s, and %s: nothing to restore (nothing was changed). Check previous_password (the old keychain's "
                "password), or name the keychain with the keychain option" % (where, login))

    def _check_password_is_the_users(self):
        """The keychain is re-keyed to password: it must be the password the user logs in with, or the restored
        keychain would not open at the next login. One check with dscl -authonly (a miss counts as a failed login)."""
        outcome = self.account.authenticate(self.password)
        if outcome == AUTH_LOCKED:
            raise CredentialError("the account %s is locked or disabled (eDSAuthAccountDisabled): unlock it first with "
                                  "macfleet.credsync.macos_account_unlock; nothing was changed" % self.user)
        if outcome != AUTH_OK:
            raise CredentialError("password is not the local password of %s (dscl -authonly refused it): the old "
                                  "keychain would be re-keyed to a password the user does not log in with; bring the "
                                  "account in line first (macfleet.credsync.macos_password_sync); nothing was changed"
                                  % self.user)

    def predicted_after(self):
        """The states after the plan, by file name (the replaced keychain's name is the time of this prediction)."""
        after = dict(self.before)
        if self.action == REKEY:
            after[LOGIN_FILE] = IN_SYNC
        elif self.action == RESTORE:
            replaced = self.replaced_moved_to or (self._predicted_aside_path() if self.before[LOGIN_FILE] != ABSENT
                                                  else None)
            if replaced:
                after[os.path.basename(replaced)] = self.before[LOGIN_FILE]
            del after[self.found.name]
            after[LOGIN_FILE] = IN_SYNC
        return after

    def _predicted_aside_path(self):
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        return os.path.join(self.folder, "login_replaced_%s%s" % (stamp, SUFFIX))

    def predicted_restored_from(self):
        return self.found.path if self.action == RESTORE else None

    def predicted_replaced_moved_to(self):
        if self.action == RESTORE and self.before[LOGIN_FILE] != ABSENT:
            return self._predicted_aside_path()
        return None

    # -- apply --------------------------------------------------------------------------
    def apply(self):
        """Run the plan; a failure names where every keychain is now, and a re-run finishes the job."""
        step = None
        try:
            if self.action == RESTORE:
                if self.before[LOGIN_FILE] != ABSENT:
                    step = "move_aside"
                    self.replaced_moved_to = self.login.move_aside()
                    self._done.append("move_aside")
                step = "rename"
                self.found.lock()  # renamed locked: nothing unlocked moves under another name
                if os.path.lexists(self.login.path):
                    raise CredentialError("%s appeared while the restore ran (did the user log in?): %s was not "
                                          "renamed over it" % (self.login.path, self.found.path))
                os.rename(self.found.path, self.login.path)
                self.restored_from = self.found.path
                self._done.append("rename")
            step = "rekey"
            self.login.rekey(self.previous, self.password)
            self.rekeyed = True
            self._done.append("rekey")
            if not self.logged_in:
                self.login.lock()  # re-keying unlocked it; a logged-out user's keychain is left locked
            if self._may_chown() and not self.login.owned_by_user():
                step = "give_to_user"
                self.login.give_to_user()
        except (CredentialError, ToolError, OSError) as exc:
            raise CredentialError(self._failure_message(step, exc))

    @staticmethod
    def _may_chown():
        return os.geteuid() == 0

    def _failure_message(self, step, exc):
        message = str(exc) if isinstance(exc, (CredentialError, ToolError)) else "%s: %s" % (step, exc)
        parts = [message]
        if "move_aside" in self._done:
            parts.append("the login keychain was moved to %s" % self.replaced_moved_to)
        if "rename" in self._done:
            parts.append("%s is the login keychain now (restored from %s)" % (self.login.path, self.restored_from))
            if "rekey" not in self._done:
                parts.append("it still opens with previous_password, not with password")
        elif self.action == RESTORE:
            parts.append("%s is where it was, unchanged" % self.found.path)
        if not self._done:
            parts.append("nothing was changed")
        else:
            parts.append("every keychain is on disk: run again to finish the restore")
        return "; ".join(parts)

    # -- verify -------------------------------------------------------------------------
    def verify(self):
        """The states now, by file name, read again from the tools (the login keychain on a locked handle)."""
        login = LoginKeychain(self.runner, self.account)
        login.held_by_session = self.logged_in
        after = dict(self.before)
        if self.restored_from:
            del after[os.path.basename(self.restored_from)]
        if self.replaced_moved_to:
            after[os.path.basename(self.replaced_moved_to)] = self.before[LOGIN_FILE]
        if not login.exists():
            after[LOGIN_FILE] = ABSENT
        else:
            opens = login.verify(self.password)
            if opens is None:
                # Unlocked by the session: proven only by the re-key this run (the tool checked the old password).
                after[LOGIN_FILE] = IN_SYNC if self.rekeyed else UNVERIFIED_IN_SESSION
            else:
                after[LOGIN_FILE] = IN_SYNC if opens else UNKNOWN
        return after
