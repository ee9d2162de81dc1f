# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which known password opens a store: the directory password, then the candidate previous passwords.

A wrong password shown to a store is not free. Open Directory counts it toward the account's lockout threshold
(pwpolicy's maximum failed authentications), and the Secure Enclave counts a wrong FileVault passphrase too (no
delay for the first four, then escalating delays, and it stops answering after 30, per Apple Platform
Security). So every store is tried within a FailureBudget: when the next wrong candidate could cost more than the
store allows, the search stops and the store is reported as opening with none of the candidates tried.

Candidates are reported by their position (0-based, as in the previous_passwords list), never by value.

Private to the collection; Python 3.9, standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from .account import CredentialError

IN_SYNC = "in_sync"
PREVIOUS = "previous"
UNKNOWN = "unknown"

# Wrong FileVault passphrases the Secure Enclave takes without a delay (Apple Platform Security, "Passcodes and
# passwords": attempts 1-4 no delay, the 5th one minute, ...). A run stays inside them.
FILEVAULT_FAILURES = 4


class Candidates:
    """The candidate previous passwords, in the order given (duplicates kept at their first position)."""

    def __init__(self, previous=None):
        if previous is None:
            previous = []
        elif not isinstance(previous, (list, tuple)):
            previous = [previous]
        self.values = list(previous)

    def __len__(self):
        return len(self.values)

    def __getitem__(self, position):
        return self.values[position]

    def order(self, password, first=None):
        """Positions to try: `first` (the candidate that opened another store: the likeliest) and then the rest
        in the order given; a repeat of an earlier candidate, or the directory password itself, is not tried."""
        seen = {password}
        positions = []
        for position in ([first] if first is not None else []) + list(range(len(self.values))):
            value = self.values[position]
            if value not in seen:
                seen.add(value)
                positions.append(position)
        return positions


class FailureBudget:
    """How many wrong passwords a store may still be shown this run.

    allowed: the wrong answers the store takes before something bad happens (None: no limit applies).
    reserve: wrong answers kept back for the checks after a write (a write that a tool reports done but did
    not do is caught by a check with the new password, which then fails too).
    """

    def __init__(self, allowed=None, reserve=0, why="", resolve=None, first_free=False):
        self.allowed = allowed
        self.reserve = reserve
        self.why = why
        self.failures = 0
        self.untried = 0
        self.on_record = 0  # failures on record before the run (a lockout budget)
        self.limit = None  # the lockout threshold, once read
        # resolve() -> (allowed, why), called once when the budget is first needed: reading a lockout policy
        # costs tool calls that a Mac in step never needs.
        self._resolve = resolve
        # The first check may be made without resolving: it cannot lock anybody out (no failure on record).
        self.first_free = first_free

    def may_try(self, first=False):
        """Whether one more wrong answer stays inside the budget. The first check of a store (the directory
        password) may use the reserve: with no write yet, nothing needs it."""
        if first and self.first_free and not self.failures:
            return True
        if self._resolve is not None:
            self.allowed, self.why = self._resolve()
            self._resolve = None
        if self.allowed is None:
            return True
        keep = 0 if first else self.reserve
        return self.failures + 1 + keep <= self.allowed

    def may_try_all(self, count):
        """Whether `count` passwords may all be tried, every one but the last wrong (a fixed budget only): the last
        is tried after count - 1 failures, keeping the reserve (may_try)."""
        if self._resolve is not None:
            return False
        return self.allowed is None or self.failures + count + (self.reserve if count > 1 else 0) <= self.allowed

    def spend(self):
        self.failures += 1


class Trial:
    """The outcome of trying the known passwords against one store."""

    def __init__(self, state, position=None, untried=0):
        self.state = state
        self.position = position  # the candidate that opened it, when state is PREVIOUS
        self.untried = untried  # candidates not tried because the budget did not allow it


def which_opens(opens, password, candidates, budget=None, first=None):
    """Try the known passwords, the likeliest first, within the budget; a Trial.

    The likeliest is `first` (the candidate that opened another store: the stores of one Mac move together), or
    else the directory password; then the directory password and the other candidates in the order given.
    opens(password) -> bool. Each False is spent from the budget. When not even the first password may be tried,
    a BudgetExhausted is raised: the caller cannot tell anything about the store.
    """
    budget = budget or FailureBudget()
    if not isinstance(candidates, Candidates):
        candidates = Candidates(candidates)  # one previous password, or None
    positions = candidates.order(password, first)
    tries = [None] + positions  # None: the directory password
    if first is not None and positions and positions[0] == first:
        tries[0:2] = [first, None]
    for index, position in enumerate(tries):
        if not budget.may_try(first=index == 0):
            if None in tries[index:]:
                # The directory password itself was not tried: nothing can be said about the store.
                raise BudgetExhausted(
                    "one more wrong password could lock the account out (%s), so %s and nothing was changed: the "
                    "count drops at the user's next successful login or when the policy's reset time has passed"
                    % (budget.why, "the password was not checked" if index else "not even the password was checked"))
            untried = len([p for p in tries[index:] if p is not None])
            budget.untried += untried
            return Trial(UNKNOWN, untried=untried)
        if opens(password if position is None else candidates[position]):
            return Trial(IN_SYNC) if position is None else Trial(PREVIOUS, position)
        budget.spend()
    return Trial(UNKNOWN)


class BudgetExhausted(CredentialError):
    """Not even one more wrong password may be shown to the store."""
