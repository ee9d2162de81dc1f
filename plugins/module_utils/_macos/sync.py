# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Bring local login, FileVault, Preboot and the login keychain in line with one password.

Order (as XCreds, NoMAD and admins' scripts do it), each step verified before the next:
1. local password: change with the previous one (Open Directory keeps the secure token and
   FileVault in step) or, previous unknown, reset through a secure-token admin;
   the previous password is whichever of the candidates (previous_password, or the list
   previous_passwords) opens the store, tried per store within its failure budget (candidates.py);
2. FileVault, if it still holds something else: changePassphrase, or the admin reset;
3. login keychain, only once the new local password is proven: re-key old -> new, or move
   the unopenable one aside (never delete) and create a new one, or leave it for macOS's own
   dialog at the next login (keychain_recovery: leave, the default while the user is logged in:
   a keychain a live session holds is never locked, moved aside or recreated, see
   docs/macos-sessions.md);
4. updatePreboot, so the FileVault login window takes the new password;
5. verify every store.
Everything is inspected and validated before the first write, so bad input changes
nothing; a failure later leaves stores a re-run can still open and repair.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import os

from .account import AUTH_OK, Account, CredentialError
from .candidates import Candidates, Trial
from .inputs import check_inputs
from .lockout import Lockout
from .runner import ToolError
from .session import Sessions
from .candidates import IN_SYNC, PREVIOUS, UNKNOWN
from .stores import (ABSENT, LEFT_FOR_LOGIN, NOT_APPLICABLE, SKIPPED, STALE, UNVERIFIED_IN_SESSION, FileVault,
                     LocalLogin, LoginKeychain, Preboot)

STORES = ("login", "filevault", "preboot", "keychain")
NONE = "none"
LEAVE = "leave"  # a keychain action that writes nothing: left for the login dialog
NO_WRITE = (NONE, LEAVE)
# Settled after a run: in step, or nothing this module may do about it.
SETTLED = (IN_SYNC, NOT_APPLICABLE, SKIPPED, UNVERIFIED_IN_SESSION, LEFT_FOR_LOGIN)
ERR_SEC_AUTH_FAILED = 51  # security's exit code for errSecAuthFailed (-25293 & 0xFF)


class _StepRefused(CredentialError):
    """A write the tool refused, verified: the store it was meant to change is as it was."""


class PasswordSync:
    """Inspect (read only), plan, apply and verify one user's stores."""

    def __init__(self, runner, user, password, previous_password=None, admin_user=None, admin_password=None,
                 filevault="sync", keychain="sync", keychain_recovery=None, update_preboot=True,
                 previous_passwords=None):
        # Before anything is inspected, in check mode and state=verified too: check mode predicts the real run.
        check_inputs(passwords=(("password", password, False), ("previous_password", previous_password, True),
                                ("admin_password", admin_password, True)),
                     short_names=(("user", user, False), ("admin_user", admin_user, True)),
                     password_lists=(("previous_passwords", previous_passwords),),
                     exclusive=(("previous_password", previous_password), ("previous_passwords", previous_passwords)))
        self.runner = runner
        self.user = user
        self.password = password
        self.candidates = Candidates(previous_passwords if previous_passwords is not None else previous_password)
        # How messages name the candidates: the option the task used.
        self.previous_option = "previous_passwords" if previous_passwords is not None else "previous_password"
        self.login_budget = None
        self.admin_user = admin_user
        self.admin_password = admin_password
        self.sync_filevault = filevault == "sync"
        self.sync_keychain = keychain == "sync"
        # None: chosen once the session is known (leave while logged in, new otherwise).
        self.keychain_recovery_given = keychain_recovery
        self.keychain_recovery = keychain_recovery
        self.logged_in = None
        self.keychain_left = False
        self.rekeyed_in_session = False
        self.update_preboot = update_preboot
        self.before = {}
        self.plan = {}
        self.keychain_moved_to = None
        self.keychain_verified = None  # what the check after the keychain's write found (None: a session's, untested)
        self.account = None
        self._admin_checked = None

    # -- inspect and plan (no writes) ----------------------------------------------------
    def inspect(self):
        self.account = Account(self.runner, self.user)
        self.login = LocalLogin(self.runner, self.account)
        self.filevault = FileVault(self.runner, self.account)
        self.preboot = Preboot(self.runner)
        self.keychain = LoginKeychain(self.runner, self.account)
        self.logged_in = Sessions(self.runner).logged_in(self.account)
        self.keychain.held_by_session = self.logged_in
        if self.keychain_recovery is None:
            self.keychain_recovery = LEAVE if self.logged_in else "new"
        self.login_budget = Lockout(self.runner, self.account).failure_budget()
        if self._filevault_first():
            # A wrong passphrase costs no failed login, and the candidate that opens FileVault is the one the local
            # password most likely holds too (the two move together): the login check then rarely risks a wrong
            # password, and reads no lockout policy.
            self.before = {"filevault": self._filevault_state()}
            self.before["login"] = self.login.state(self.password, self.candidates, self.login_budget,
                                                    first=self.filevault.trial.position)
        else:
            self.before = {"login": self.login.state(self.password, self.candidates, self.login_budget)}
            self.before["filevault"] = self._filevault_state(first=self.login.trial.position)
        self.before["keychain"] = self._keychain_state()
        self.before["preboot"] = self._preboot_state()
        return self.before

    def _filevault_first(self):
        """FileVault is checked first when its failure budget reaches every known password: the directory password
        and each candidate (a long history is searched on the login, whose budget is the lockout policy's)."""
        return self.sync_filevault and self.filevault.budget.may_try_all(1 + len(self.candidates))

    def _filevault_state(self, first=None):
        if not self.sync_filevault:
            return SKIPPED
        if not self.filevault.enabled():
            return NOT_APPLICABLE
        state = self.filevault.state(self.password, self.candidates, first=first)
        # A passphrase that opens it proves a crypto user; the list is read only when none did.
        if state == UNKNOWN and not self.filevault.is_crypto_user():
            raise CredentialError(
                "%s is not a FileVault user of this Mac (not an APFS crypto user of /): add the user with "
                "`fdesetup add -usertoadd %s` (or grant a secure token), or set filevault: skip" % (self.user, self.user))
        return state

    def _keychain_state(self):
        if not self.sync_keychain:
            return SKIPPED
        if not self.keychain.exists() and not self.keychain.folder_exists():
            return NOT_APPLICABLE  # never logged in: macOS creates the keychain at first login
        first = self.login.trial.position
        return self.keychain.state(self.password, self.candidates,
                                   first=first if first is not None or self.before["login"] == IN_SYNC
                                   else self.filevault.trial.position)

    def _preboot_state(self):
        if self.before["filevault"] in (SKIPPED, NOT_APPLICABLE):
            return self.before["filevault"]
        if not self.update_preboot:
            return SKIPPED
        return self.preboot.state(self.account)

    def out_of_step(self):
        """Stores shown not to open with the password (a session's unlocked keychain cannot be shown either way)."""
        return [s for s in STORES if self.before[s] not in (IN_SYNC, NOT_APPLICABLE, SKIPPED, UNVERIFIED_IN_SESSION)]

    def opened_by(self):
        """Store -> position of the candidate previous password that opened it before the run."""
        return dict((store.name, store.trial.position) for store in (self.login, self.filevault, self.keychain)
                    if store.trial.position is not None)

    def untried(self):
        """Store -> candidates not tried because the store's failure budget did not allow another wrong one."""
        return dict((store.name, store.trial.untried) for store in (self.login, self.filevault, self.keychain)
                    if store.trial.untried)

    def _old(self, store):
        """The candidate that opened the store before the run (None when none did)."""
        position = store.trial.position
        return None if position is None else self.candidates[position]

    def _neither(self, store, what):
        """'<what> opens with neither password nor <the candidates>' (+ what the budget left untried)."""
        text = "%s opens with neither password nor %s" % (what, self.previous_option if len(self.candidates) < 2
                                                          else "any of the previous_passwords tried")
        if store.trial.untried:
            budget = self.login_budget if store is self.login else self.filevault.budget
            text += " (%d more not tried: %s)" % (store.trial.untried, budget.why)
        return text

    def make_plan(self):
        """Choose the action per store and validate everything a write would need."""
        before = self.before
        token = self.account.secure_token
        plan = dict.fromkeys(STORES, NONE)
        if before["login"] == PREVIOUS:
            plan["login"] = "change"
        elif before["login"] == UNKNOWN:
            plan["login"] = "admin_reset"
            if token:
                self._require_admin(self._neither(self.login, "the local password"))
        if before["filevault"] in (PREVIOUS, UNKNOWN):
            # dscl's change keeps the crypto user in step only when it opened with the same old password.
            carried = token and (plan["login"] == "admin_reset" or
                                 (plan["login"] == "change" and before["filevault"] == PREVIOUS and
                                  self._old(self.filevault) == self._old(self.login)))
            if carried:
                plan["filevault"] = "follows_login"
            elif before["filevault"] == PREVIOUS:
                plan["filevault"] = "change_passphrase"
            else:
                if not token:
                    raise CredentialError(
                        "%s and %s has no secure token, so no admin can reset it: give the FileVault password in %s"
                        % (self._neither(self.filevault, "FileVault"), self.user, self.previous_option))
                self._require_admin(self._neither(self.filevault, "FileVault"))
                plan["filevault"] = "admin_reset"
        plan["keychain"] = self._keychain_action(plan["login"])
        touches_filevault = plan["filevault"] != NONE or (token and plan["login"] != NONE and
                                                          before["filevault"] not in (SKIPPED, NOT_APPLICABLE))
        if before["preboot"] == STALE or (touches_filevault and before["preboot"] == IN_SYNC):
            plan["preboot"] = "update"
        self.plan = plan
        return plan

    def _keychain_action(self, login_action):
        """The keychain's action; refuses (nothing written yet) what keychain_recovery or a live session forbids."""
        state = self.before["keychain"]
        recovery = self.keychain_recovery
        if state == IN_SYNC and self._may_chown() and not self.keychain.owned_by_user():
            return "give_to_user"  # e.g. a run killed between create-keychain and chown
        if state == PREVIOUS:
            return "rekey"
        if state == UNVERIFIED_IN_SESSION:
            # The session unlocked it with the password the user logged in with: when that password is being
            # changed from previous_password, set-keychain-password re-keys it in place, checking the old password
            # itself (no lock). Otherwise it cannot be told without locking it: left as it is.
            if login_action == "change":
                return "rekey"
            if login_action == NONE:
                return NONE
            if recovery == LEAVE:
                return LEAVE
            raise CredentialError(
                "%s is logged in and the session keeps the login keychain unlocked, so it cannot be checked without "
                "locking it under the session's apps, and no previous_password re-keys it: with keychain_recovery: "
                "%s nothing was changed; use keychain_recovery: leave (macOS asks at the next login), give "
                "previous_password, or run again once the user has logged out" % (self.user, recovery))
        if state in (UNKNOWN, ABSENT):
            if recovery == LEAVE:
                return LEAVE
            if self.logged_in:
                what = ("a live session holds the login keychain, so it is never moved aside or recreated"
                        if state == UNKNOWN else "no login keychain is created under a live session")
                raise CredentialError(
                    "%s is logged in: %s (keychain_recovery: %s; nothing was changed): use keychain_recovery: leave "
                    "(macOS deals with it at the next login), give previous_password, or run again once the user "
                    "has logged out" % (self.user, what, recovery))
            if state == ABSENT:
                return "create"
            if recovery != "new":
                raise CredentialError(
                    "%s and keychain_recovery is fail: give its password in %s, or set keychain_recovery: new to "
                    "move it aside and start a new one, or leave to let macOS ask at the next login"
                    % (self._neither(self.keychain, "the login keychain"), self.previous_option))
            return "recreate"
        return NONE

    @staticmethod
    def _may_chown():
        return os.geteuid() == 0

    def _require_admin(self, why):
        """A secure-token admin that exists and knows its password, or a clear error (nothing written)."""
        if self._admin_checked:
            return
        remedy = ("give previous_password, or admin_user/admin_password of a secure-token admin such as "
                  "_jumpcloudserviceaccount")
        if not self.admin_user or self.admin_password is None:
            raise CredentialError("%s: %s" % (why, remedy))
        try:
            admin = Account(self.runner, self.admin_user)
        except CredentialError:
            raise CredentialError("%s, and the admin %s does not exist on this Mac: %s" % (why, self.admin_user, remedy))
        if not admin.secure_token:
            raise CredentialError("%s, and the admin %s has no secure token: %s" % (why, self.admin_user, remedy))
        if admin.authenticate(self.admin_password) != AUTH_OK:
            raise CredentialError("%s, and admin_password is not the password of %s" % (why, self.admin_user))
        self._admin_checked = True

    def predicted_after(self):
        after = {}
        for store in STORES:
            state = self.before[store]
            after[store] = IN_SYNC if (self.plan[store] != NONE or state == IN_SYNC) else state
        if self.plan["keychain"] == LEAVE:
            after["keychain"] = LEFT_FOR_LOGIN
        return after

    def changes(self):
        """Whether the plan writes anything (leaving the keychain for the login dialog writes nothing)."""
        return any(action not in NO_WRITE for action in self.plan.values())

    # -- apply --------------------------------------------------------------------------
    def apply(self):
        """Run the plan in order; a failure says which stores changed and which did not.

        The Preboot marker is aged before the first write that can change FileVault, so a run killed before
        updatePreboot still finds Preboot stale next time. When the run fails having changed nothing (the
        first write refused, verified), the marker's times are put back: a failed run that wrote nothing
        leaves the Mac as it found it.
        """
        plan = self.plan
        self.changed = []
        marker = step = None
        try:
            if plan["preboot"] != NONE:
                marker = self.preboot.mark_stale()
            if plan["login"] != NONE:
                step = "login"
                self._apply_login(plan["login"])
                self.changed.append("login")
                self.account = self.account.reload()
                self.filevault.account = self.account
            if plan["filevault"] != NONE:
                step = "filevault"
                self._apply_filevault()
                self.changed.append("filevault")
            if plan["keychain"] not in NO_WRITE:
                step = "keychain"
                if self._apply_keychain(plan["keychain"]):
                    self.changed.append("keychain")
            if plan["preboot"] != NONE:
                step = "preboot"
                self.preboot.update()
                self.changed.append("preboot")
        except (CredentialError, ToolError, OSError) as exc:
            # updatePreboot that exited with an error changed nothing; one killed half-way may have.
            refused = isinstance(exc, ToolError) and exc.result is not None and exc.result.rc > 0
            unchanged = isinstance(exc, _StepRefused) or (step == "preboot" and refused)
            # A FileVault step refused was just checked: it does not open with the password.
            known = step == "filevault" and isinstance(exc, _StepRefused)
            if "filevault" not in self.changed and not known and self._filevault_moved():
                self.changed.append("filevault")  # e.g. a reset that moved FileVault, then failed
            # Nothing changed: put the marker back. A Preboot-only run found Preboot stale, and the old
            # times keep it so whatever updatePreboot did, so a re-run refreshes it again.
            restored = marker is not None and not self.changed and (unchanged or step == "preboot")
            if restored:
                self.preboot.restore(marker)
            raise CredentialError(self._failure_message(step, exc, unchanged, restored or marker is None))

    def _filevault_moved(self):
        """Whether FileVault now opens with the new password though it did not before (read only; when it
        cannot be told, it may have moved)."""
        if self.before["filevault"] in (IN_SYNC, SKIPPED, NOT_APPLICABLE):
            return False
        if not self.filevault.budget.may_try(first=True):
            return True  # no wrong passphrase left to risk on finding out
        try:
            return self.filevault.opens(self.password)
        except ToolError:
            return True

    def _failure_message(self, step, exc, unchanged, marker_as_found):
        """What failed, then what this run changed and what it left as it was: every store named, truly."""
        names = {"login": "the local password", "filevault": "FileVault", "keychain": "the login keychain",
                 "preboot": "Preboot"}
        order = [s for s in ("login", "filevault", "keychain", "preboot") if self.plan[s] not in NO_WRITE]
        message = str(exc) if isinstance(exc, (CredentialError, ToolError)) else "%s: %s" % (
            names.get(step, step), exc)
        changed = [names[s] for s in self.changed]
        if self.keychain_moved_to and "keychain" not in self.changed:
            changed.append("the old login keychain was moved to %s" % self.keychain_moved_to)
        failed = [] if unchanged or step is None else [names[step]]
        untouched = [names[s] for s in order if s not in self.changed and s != step]
        if unchanged and step is not None:
            untouched.insert(0, names[step])
        parts = [message]
        if changed:
            parts.append("changed by this run: %s" % ", ".join(changed))
        if failed:
            parts.append("may have changed: %s" % ", ".join(failed))
        if untouched:
            parts.append("not changed: %s" % ", ".join(untouched))
        if not changed and not failed:
            parts.append("no store was changed")
        if self.plan["preboot"] != NONE and "preboot" not in self.changed:
            parts.append("the Preboot marker is as it was" if marker_as_found
                         else "Preboot is marked stale so a re-run refreshes it")
        return "; ".join(parts)

    def _apply_login(self, action):
        if action == "change":
            self.login.change(self._old(self.login), self.password)
            how = "dscl -passwd with the previous password"
        else:
            admin = (self.admin_user, self.admin_password) if self.account.secure_token else (None, None)
            result = self.login.admin_reset(self.password, *admin)
            how = "sysadminctl -resetPasswordFor (%s)" % (result.stderr.strip().splitlines() or ["no output"])[-1]
        # The tools' exit codes are not trusted (dscl -q always exits 0; sysadminctl can exit 0
        # after a refusal): the new password must open the account before anything else moves.
        if self.account.authenticate(self.password) != AUTH_OK:
            raise _StepRefused("the local password did not change: %s was refused" % how)

    def _apply_filevault(self):
        # Carried by the login change? Asked when that is the plan, or when a wrong answer still leaves the one kept
        # back for the check after this step's write: inspect() may have spent the rest of the Secure Enclave's
        # budget, and an admin reset of a FileVault that already took the password changes nothing.
        asks = self.plan["filevault"] == "follows_login" or self.filevault.budget.may_try()
        if asks and self.filevault.opens(self.password):
            return
        old = self._old(self.filevault)
        if old is not None and self.filevault.opens(old):
            result = self.filevault.change(old, self.password)
            how = "diskutil apfs changePassphrase"
        else:
            try:
                self._require_admin("FileVault did not follow the local password")
            except CredentialError as exc:
                raise _StepRefused(str(exc))  # refused before its write
            if not self.filevault.budget.may_try(first=True):
                # The reset could not be checked without a wrong passphrase past the budget (a successful unlock
                # of the old passphrase, the other branch, would have reset the Secure Enclave's count).
                raise _StepRefused("FileVault did not follow the local password, and checking an admin reset could "
                                   "cost one wrong passphrase more than %s allows: run again to reset it"
                                   % self.filevault.budget.why)
            result = self.login.admin_reset(self.password, self.admin_user, self.admin_password)
            how = "sysadminctl -resetPasswordFor"
        if not self.filevault.opens(self.password):
            raise _StepRefused("FileVault still does not open with the new password after %s (%s)" % (
                how, self.runner.describe_failure(result)))

    def _apply_keychain(self, action):
        """Run the keychain's action; False when it changed nothing (a session's keychain left for the login)."""
        if action == "give_to_user":
            self.keychain.give_to_user()  # its password was checked before: the new one opens it
            self.keychain_verified = True
            return True
        if action == "rekey" and self.before["keychain"] == UNVERIFIED_IN_SESSION:
            return self._rekey_in_session()
        if action == "rekey":
            self.keychain.rekey(self._old(self.keychain), self.password)
            # Re-keying unlocks it; under a session it then cannot be re-tested without locking it again.
            self.rekeyed_in_session = self.keychain.held_by_session
            if self._may_chown() and not self.keychain.owned_by_user():
                self.keychain.give_to_user()
        else:
            if action == "recreate":
                self.keychain_moved_to = self.keychain.move_aside()
            self.keychain.create(self.password)
        self.keychain_verified = self.keychain.verify(self.password)
        if self.keychain_verified is False:
            raise CredentialError("the login keychain does not open with the new password after %s" % action)
        return True

    def _rekey_in_session(self):
        """Re-key a session's unlocked keychain in place: set-keychain-password checks the old password itself
        (errSecAuthFailed, keychain unchanged, when it is not the keychain's) and never locks it. The session
        unlocked it with the old login password, so that candidate goes first; no lockout applies to a keychain,
        so the others may follow."""
        for position in self.candidates.order(self.password, first=self.login.trial.position):
            try:
                self.keychain.rekey(self.candidates[position], self.password)
            except ToolError as exc:
                if exc.result is None or exc.result.rc != ERR_SEC_AUTH_FAILED:
                    raise
                continue
            self.keychain.trial = Trial(UNVERIFIED_IN_SESSION, position)
            break
        else:
            if self.keychain_recovery != LEAVE:
                raise _StepRefused(
                    "the login keychain of the logged-in user %s does not take %s and a live session holds it (never "
                    "moved aside or recreated): it was left as it was; use keychain_recovery: leave to leave it for "
                    "macOS's dialog at the next login" % (self.user, self.previous_option))
            self.keychain_left = True
            return False
        self.rekeyed_in_session = True
        return True

    def clear_own_failed_logins(self):
        """After a successful run: forget the wrong local passwords this run showed the account, and only those.

        opendirectoryd counts failed authentications since the last success, so the run's final check with the
        new password normally leaves nothing on record. Where failures remain, they are cleared only when every
        one on record is this run's own; failures the run did not cause are left as they are (the count cannot be
        lowered by part: dscl -createpl stores a string). Returns whether the count was cleared.
        """
        caused = self.account.failures
        if not caused:
            return False
        lockout = Lockout(self.runner, self.account.reload())
        on_record = lockout.failed_count
        if not on_record or on_record > caused:
            return False
        lockout.clear()
        return True

    def failed_logins(self, cleared=False):
        """What the run did to the account's failed-login count (numbers only)."""
        budget = self.login_budget
        return dict(on_record_before=int(budget.on_record) if budget is not None else 0,
                    caused=self.account.failures if self.account is not None else 0,
                    limit=None if budget is None or budget.limit is None else int(budget.limit),
                    cleared=cleared)

    # -- verify -------------------------------------------------------------------------
    def verify(self):
        """The state of every store after apply().

        Every write was checked by the tools right after it (apply() fails otherwise): the new password opens the
        account, FileVault and the keychain; Preboot's refresh marker is newer than the password. A store the plan
        left alone is as inspect() found it; no store is read twice.
        """
        after = {}
        for store in ("login", "filevault"):
            after[store] = IN_SYNC if self.plan[store] != NONE else self.before[store]
        if self.plan["preboot"] != NONE:
            after["preboot"] = self.preboot.state(self.account)
        else:
            after["preboot"] = self.before["preboot"]
        if self.before["keychain"] in (SKIPPED, NOT_APPLICABLE):
            after["keychain"] = self.before["keychain"]
        elif self.plan["keychain"] == LEAVE or self.keychain_left:
            after["keychain"] = LEFT_FOR_LOGIN
        elif self.plan["keychain"] == NONE:
            after["keychain"] = self.before["keychain"]
        elif self.keychain_verified is None:
            # Unlocked by the session: proven only by a re-key in place this run (the tool checked the old
            # password and set the new one).
            after["keychain"] = IN_SYNC if self.rekeyed_in_session else UNVERIFIED_IN_SESSION
        else:
            after["keychain"] = IN_SYNC if self.keychain_verified else UNKNOWN
        return after
