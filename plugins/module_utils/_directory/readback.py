# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Writes whose answer was lost, resolved by reading the user back: the REST directories' (JumpCloud, Okta) one way.

Private to the collection; runs on the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import time

from .base import UNKNOWN_ADVICE, AmbiguousWrite, DirectoryError, UnknownOutcome, timestamp_age


class ReadBackWrites:
    """The outcome of a password set, an expiry or an unlock whose answer was lost, from the user read back.

    A backend mixes it in and gives: `client` (with `retries` and `timeout`), `_read_user(user_id)` -> the user
    record (`_id`, `password_date` as an ISO 8601 UTC time, whatever `settled` tests), `_send_action(user,
    action)` (a write of the action, such as expire or unlock) and `history_refusal` (a regex matching the
    directory's refusal of a recent password).
    """

    # A write whose answer is lost (AmbiguousWrite) is never sent again as is: the user is read back and
    # compared with what was read before the write (password_date for a password). Changed: done. Unchanged
    # after a definite answer (a 5xx, a reset connection, a spoiled 200): it was not made, so it is sent again
    # (at most `retries` times, each after such a read back). Unchanged while the server may still be at it
    # (no answer in time; read again for up to `timeout` seconds), or unreadable: the outcome is unknown, said so.
    already_set_within = 0  # seconds: see _refused_password

    def _read_back(self, user_ids, settled, pending):
        """{user_id: (True | False | None, record or error)}: whether settled(record) holds, None when unreadable.

        pending: a write may still be under way, so the users are read again until it shows or O(timeout) passes.
        """
        found, waiting = {}, list(user_ids)
        started, delay = time.monotonic(), 0.25
        while waiting:
            for user_id in list(waiting):
                try:
                    record = self._read_user(user_id)
                except DirectoryError as exc:
                    found[user_id] = (None, exc)
                    waiting.remove(user_id)
                    continue
                found[user_id] = (bool(settled(record)), record)
                if found[user_id][0]:
                    waiting.remove(user_id)
            left = self.client.timeout - (time.monotonic() - started)
            if not pending or not waiting or left <= 0:
                break
            time.sleep(min(delay, left))  # the last look is at the end of the wait
            delay = min(delay * 2, 2.0)
        return found

    @staticmethod
    def _password_changed(before):
        return lambda record: record.get("password_date") != before

    def _unknown(self, exc, state, pending):
        if isinstance(state, DirectoryError):
            return UnknownOutcome("%s; reading the user back failed too (%s): the password may or may not be set; %s"
                                  % (exc, state, UNKNOWN_ADVICE))
        return UnknownOutcome("%s; read back for %ss, the password is not set yet%s; %s" % (
            exc, self.client.timeout if pending else 0,
            ", but the change may still be under way" if pending else "", UNKNOWN_ADVICE))

    def _resolve_password(self, user, before, exc, put):
        """The outcome of a PUT whose answer was lost, from the user read back.

        Sent again only after a read back shows it not made, following a definite answer; at most `retries` times.
        """
        story = str(exc)
        for attempt in range(self.client.retries + 1):
            changed, state = self._read_back([user["_id"]], self._password_changed(before), exc.pending)[user["_id"]]
            if changed:
                return {"outcome": "set", "changed": True, "note": "%s; read back: the password was set at %s" % (
                    story, state.get("password_date"))}
            if changed is None or exc.pending:
                raise self._unknown(story, state, exc.pending)
            if attempt == self.client.retries:
                break
            try:
                put()
            except AmbiguousWrite as again:
                exc = again
                story += "; read back: not set, so sent again: %s" % again
                continue
            except DirectoryError as again:
                return self._refused_password(user, before, again)
            return {"outcome": "set", "changed": True,
                    "note": "%s; read back: not set, so sent again: the password is set" % story}
        raise DirectoryError("%s; read back: the password is not set" % story, exc.status)

    def _refused_password(self, user, before, exc):
        """A PUT refused by the history rule may be this password set by this run or an earlier one: read back.

        Set since this run read the user (its first PUT's answer was lost): set. Set within already_set_within
        before this run: already_set, as a re-run after an interrupted or unknown run must converge (the
        directory refuses a password it already has). Otherwise the refusal stands.
        """
        if exc.status != 400 or not self.history_refusal.search(str(exc)):
            raise exc
        try:
            record = self._read_user(user["_id"])
        except DirectoryError:
            raise exc
        stamp = record.get("password_date")
        if stamp and stamp != before:
            return {"outcome": "set", "changed": True, "note": "%s; read back: the password was set at %s, during "
                    "this run (an earlier answer was lost)" % (exc, stamp)}
        age = timestamp_age(stamp)
        if age is not None and -300 <= age <= self.already_set_within:
            return {"outcome": "already_set", "changed": False, "note": (
                "the directory refused the password as one of the user's recent ones, and the password was set %d "
                "minutes ago (%s), within already_set_within: taken as set by an earlier run; if it was not, give "
                "a new password" % (max(0, age) // 60, stamp))}
        raise DirectoryError("%s (the password was last set at %s%s)" % (
            exc, stamp or "an unknown time", "; a password set longer than already_set_within ago is not taken as "
            "set by an earlier run: give a new password, or raise already_set_within if that run set it" if stamp
            else ""), exc.status)

    def _settled_write(self, user, action, settled, result):
        """_send_action(user, action) (expire, unlock); after a lost answer, sent again only if a read back shows it not
        made.

        Both are idempotent, so a read back that cannot tell is followed by no further send, only a failure.
        result: the password outcome so far, kept true when this write fails (outcome set, failed).
        """
        try:
            story = None
            for attempt in range(self.client.retries + 1):
                try:
                    self._send_action(user, action)
                    return
                except AmbiguousWrite as exc:
                    story = "%s; %s" % (story, exc) if story else str(exc)
                    done, state = self._read_back([user["_id"]], settled, exc.pending)[user["_id"]]
                    if done:
                        return
                    if done is None:
                        raise UnknownOutcome("%s; reading the user back failed too (%s): it may or may not be done; "
                                             "check the user with directory_user_info and run again" % (story, state))
                    story += "; read back: not made"
                    if attempt == self.client.retries:
                        raise DirectoryError(story, exc.status)
        except DirectoryError as exc:
            if result is None:
                raise
            failure = DirectoryError("the password was %s, but %s failed: %s" % (
                "set" if result["outcome"] == "set" else "already set", "expiring it" if action == "expire"
                else "unlocking the account", exc), exc.status)
            failure.outcome = result["outcome"]
            raise failure

    def _set_and_settle(self, user, put, temporary):
        """put() (the password write); a lost answer read back, a history refusal judged; temporary: then expire it.

        Returns {outcome: set | already_set, changed, note?}; raises DirectoryError (outcome failed, or set when
        only the expiry failed) or UnknownOutcome.
        """
        before = user.get("password_date")
        result = {"outcome": "set", "changed": True}
        try:
            put()
        except AmbiguousWrite as exc:
            result = self._resolve_password(user, before, exc, put)
        except DirectoryError as exc:
            result = self._refused_password(user, before, exc)
        if temporary:
            self._settled_write(user, "expire", lambda record: record.get("password_expired") is True, result)
        return result

    def unlock(self, user, result=None):
        self._settled_write(user, "unlock", lambda record: not record.get("account_locked"), result)
