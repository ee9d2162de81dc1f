"""Candidate previous passwords (_macos/candidates.py) and the lockout budget (_macos/lockout.py), without a Mac."""

import pytest

from credsync_testlib import in_collection_tree

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)",
                allow_module_level=True)

# pylint: disable=wrong-import-position
from ansible_collections.macfleet.credsync.plugins.module_utils._macos import candidates as cand
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.lockout import Lockout, policy_thresholds
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.runner import ToolResult
from ansible_collections.macfleet.credsync.plugins.module_utils._macos.sync import PasswordSync

POLICY = """Getting account policies for user <alice>
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>policyCategoryAuthentication</key>
  <array>
    <dict>
      <key>policyContent</key>
      <string>(policyAttributeFailedAuthentications &lt; policyAttributeMaximumFailedAuthentications)</string>
      <key>policyIdentifier</key>
      <string>com.apple.maximumFailedLoginAttempts</string>
      <key>policyParameters</key>
      <dict>
        <key>policyAttributeMaximumFailedAuthentications</key>
        <integer>%d</integer>
      </dict>
    </dict>
  </array>
  <key>policyCategoryPasswordContent</key>
  <array/>
</dict>
</plist>
"""


def test_policy_thresholds_read_from_pwpolicy_output():
    assert policy_thresholds(POLICY % 7) == [7]
    assert policy_thresholds("Getting global account policies\n<?xml version=\"1.0\"?><plist><dict/></plist>") == []
    assert policy_thresholds("Getting global account policies\n") == []
    assert policy_thresholds("pwpolicy: something else entirely") is None
    assert policy_thresholds("Getting account policies for user <alice>\n<plist><dict><key>") is None


def _policy_with(content, parameters=""):
    return POLICY.replace(
        "(policyAttributeFailedAuthentications &lt; policyAttributeMaximumFailedAuthentications)", content).replace(
        "<integer>%d</integer>", parameters).replace("<key>policyAttributeMaximumFailedAuthentications</key>\n", "")


def test_a_threshold_written_into_the_policy_content_is_read_and_one_not_understood_is_unreadable():
    # A hand-made policy may compare with a number instead of the parameter: it locks all the same.
    assert policy_thresholds(_policy_with("(policyAttributeFailedAuthentications &lt; 4)")) == [4]
    assert policy_thresholds(_policy_with("policyAttributeFailedAuthentications &lt;= 4")) == [5]
    # Both a literal and the parameter: the lower locks first.
    assert policy_thresholds(POLICY.replace("&lt; policyAttributeMaximumFailedAuthentications)",
                                            "&lt; policyAttributeMaximumFailedAuthentications) and "
                                            "(policyAttributeFailedAuthentications &lt; 3)") % 7) == [3]
    # Content that limits failed logins in a form not understood: unreadable (the cautious budget), not "no limit".
    assert policy_thresholds(_policy_with("policyAttributeFailedAuthentications != 9")) is None
    assert policy_thresholds(_policy_with("(policyAttributeFailedAuthentications &lt; policyAttributeSomethingElse)")) is None
    # A policy about something else sets no threshold.
    assert policy_thresholds(_policy_with("policyAttributePassword matches '.{8,}'")) == []


def opener(right, log):
    def opens(password):
        log.append(password)
        return password == right
    return opens


def test_candidates_in_order_the_likeliest_first_and_no_repeats():
    candidates = cand.Candidates(["a", "b", "a", "new", "c"])
    assert candidates.order("new") == [0, 1, 4]
    assert candidates.order("new", first=4) == [4, 0, 1]


def test_which_opens_reports_the_position_not_the_value():
    log = []
    trial = cand.which_opens(opener("c", log), "new", cand.Candidates(["a", "b", "c"]))
    assert (trial.state, trial.position, trial.untried) == (cand.PREVIOUS, 2, 0)
    assert log == ["new", "a", "b", "c"]


def test_budget_stops_before_the_lockout_and_keeps_one_back():
    log = []
    budget = cand.FailureBudget(allowed=3, reserve=1, why="w")
    trial = cand.which_opens(opener("d", log), "new", cand.Candidates(["a", "b", "c", "d"]), budget)
    # the password (1 wrong), "a" (2 wrong); a third wrong one would leave nothing for the check after a write
    assert log == ["new", "a"]
    assert (trial.state, trial.untried, budget.failures) == (cand.UNKNOWN, 3, 2)


def test_budget_exhausted_before_the_first_check():
    with pytest.raises(cand.BudgetExhausted) as info:
        cand.which_opens(opener("x", []), "new", None, cand.FailureBudget(allowed=0, why="3 of 4 on record"))
    assert "3 of 4 on record" in str(info.value) and "nothing was changed" in str(info.value)


def test_budget_reads_the_policy_only_when_a_wrong_password_is_risked():
    reads = []

    def resolve():
        reads.append(1)
        return 5, "why"

    budget = cand.FailureBudget(reserve=1, resolve=resolve, first_free=True)
    assert cand.which_opens(opener("new", []), "new", cand.Candidates(["a"]), budget).state == cand.IN_SYNC
    assert reads == []
    assert cand.which_opens(opener("a", []), "new", cand.Candidates(["a"]), budget).position == 0
    assert reads == [1]


class FakeRunner:
    def __init__(self):
        self.calls = []

    def run(self, tool, args, stdin=None, check=False):
        self.calls.append([tool] + list(args))
        return ToolResult([tool], 0, "", "")

    @staticmethod
    def describe_failure(result):
        return "failed"


class FakeAccount:
    name = "alice"

    def __init__(self, failures, on_record):
        self.failures = failures
        self.policy = {"failedLoginCount": on_record}

    def reload(self):
        return self


@pytest.mark.parametrize("caused, on_record, cleared", [
    (0, 0, False),   # the run showed no wrong password
    (2, 0, False),   # opendirectoryd's reset at the final check left nothing
    (2, 2, True),    # every failure on record is this run's own
    (2, 1, True),
    (2, 3, False),   # one failure is not this run's: left as it is
])
def test_only_the_runs_own_failed_logins_are_cleared(caused, on_record, cleared):
    sync = PasswordSync.__new__(PasswordSync)
    sync.runner = FakeRunner()
    sync.account = FakeAccount(caused, on_record)
    assert sync.clear_own_failed_logins() is cleared
    deleted = [c for c in sync.runner.calls if "-deletepl" in c]
    assert bool(deleted) is cleared


def test_lockout_budget_from_the_lowest_threshold():
    class Runner(FakeRunner):
        def run(self, tool, args, stdin=None, check=False):
            self.calls.append([tool] + list(args))
            return ToolResult([tool], 0, POLICY % (6 if "-u" in args else 9), "")

    budget = Lockout(Runner(), FakeAccount(0, 2)).failure_budget()
    assert not budget.first_free
    assert budget.may_try(first=True)
    assert (budget.limit, budget.allowed) == (6, 3)
    assert "locked out after 6 failed logins and 2 are on record" in budget.why


def test_may_try_all_matches_what_which_opens_tries():
    for count in range(1, 6):
        budget = cand.FailureBudget(cand.FILEVAULT_FAILURES, reserve=1)
        fits = budget.may_try_all(count)
        values = ["c%d" % i for i in range(count - 1)]
        log = []
        trial = cand.which_opens(opener(values[-1] if values else "new", log), "new", cand.Candidates(values),
                                 cand.FailureBudget(cand.FILEVAULT_FAILURES, reserve=1))
        assert fits == (trial.state != cand.UNKNOWN), count
    assert not cand.FailureBudget(reserve=1, resolve=lambda: (5, "why")).may_try_all(1)
