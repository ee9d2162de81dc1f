"""macos_password_sync with previous_passwords: candidates tried per store, inside each store's failure budget.

Issue 11 point 3. Each case is one simulated Mac; the whole set goes through check mode, the real run and a
second run in three ansible-playbook runs. What happened is read back from macsim (stores, failed-login count,
the audit log of every tool call), never taken from the module's word. The peak failed-login count during a run
is replayed from the audit log: every `dscl . -authonly` that failed adds one, one that succeeded clears them
(opendirectoryd counts failures since the last success).
"""

import dataclasses
import json

import pytest

MODULE = "macfleet.credsync.macos_password_sync"
USER = "alice"
NEW = "Directory-Pass-9"
H = ["History-Pass-0", "History-Pass-1", "History-Pass-2", "History-Pass-3", "History-Pass-4", "History-Pass-5"]
SERVICE_PASSWORD = "Svc-Acct-Pass-1"
PASSWORDS = [NEW, SERVICE_PASSWORD] + H
ITEMS = 3


def mac(login, filevault=True, keychain=None, logged_in=False, max_failed=None, failed=0, user_max_failed=None):
    user = {"name": USER, "password": login, "filevault": filevault, "preboot": True, "logged_in": logged_in,
            "failed_logins": failed, "keychain": {"password": keychain or login, "items": ITEMS}}
    if user_max_failed:
        user["max_failed_logins"] = user_max_failed  # the user's own policy; the global one applies too
    scenario = {"users": [user]}
    if max_failed:
        scenario["policy"] = {"max_failed_logins": max_failed}
    return scenario


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    scenario: dict
    args: dict
    opened_by: dict = None  # expected opened_by_previous (None: the run is expected to fail)
    untried: dict = dataclasses.field(default_factory=dict)
    message: str = ""  # a fragment of the failure message
    limit: int = None  # the lockout threshold: the replayed count must stay below it
    check_opened_by: dict = None  # what check mode reports, when it cannot be the run's (a session's keychain)

    def all_args(self):
        return dict(self.args, user=USER, password=NEW)


ADMIN = {"admin_password": SERVICE_PASSWORD}
CASES = [
    Case("history_each_store_its_own", mac(H[1], filevault=H[1], keychain=H[2], max_failed=10),
         {"previous_passwords": H[:3]}, opened_by={"login": 1, "filevault": 1, "keychain": 2}, limit=10),
    Case("filevault_holds_another", mac(H[1], filevault=H[0], max_failed=10),
         {"previous_passwords": H[:3]}, opened_by={"login": 1, "filevault": 0, "keychain": 1}, limit=10),
    Case("no_policy_every_candidate", mac(H[5]), {"previous_passwords": H},
         opened_by={"login": 5, "filevault": 5, "keychain": 5}),
    Case("duplicates_and_the_password_itself_not_retried", mac(H[2], max_failed=6),
         {"previous_passwords": [NEW, H[0], H[0], H[2]]}, opened_by={"login": 3, "filevault": 3, "keychain": 3},
         limit=6),
    # 5 allowed, 2 on record: the wrong password leaves room for no candidate and the check after the write.
    # (Checking costs in check mode too: the check-mode run leaves a third failure on record, which the real run
    # then counts.)
    Case("budget_stops_login_admin_resets", mac(H[3], max_failed=5, failed=2),
         dict(ADMIN, previous_passwords=H[:4]), opened_by={"keychain": 3}, untried={"login": 4, "filevault": 2},
         limit=5),
    Case("budget_stops_login_no_admin", mac(H[3], max_failed=5, failed=2),
         {"previous_passwords": H[:4]}, message="4 more not tried: alice is locked out after 5 failed logins and ",
         limit=5),
    # The global policy is the stricter: a user policy does not replace it (the lowest threshold locks).
    Case("global_policy_stricter_than_the_users", mac(H[3], max_failed=4, user_max_failed=10),
         {"previous_passwords": H[:4]}, message="alice is locked out after 4 failed logins and ", limit=4),
    Case("one_wrong_check_from_lockout", mac(H[0], max_failed=5, failed=4),
         {"previous_passwords": H[:2]}, message="one more wrong password could lock the account out", limit=5),
    # Already locked out: reported as the lockout it is (the password_sync role's rescue unlocks and runs again).
    Case("already_locked_out", mac(H[0], max_failed=5, failed=5), {"previous_passwords": H[:2]},
         message="is locked or disabled (eDSAuthAccountDisabled)"),
    # The Secure Enclave's four free wrong passphrases, one kept back: the password and two candidates.
    Case("filevault_budget", mac(NEW, filevault=H[5], keychain=NEW),
         dict(ADMIN, previous_passwords=H), opened_by={}, untried={"filevault": 4}),
    Case("logged_in_rekeyed_in_session", mac(H[1], logged_in=True, max_failed=10),
         {"previous_passwords": H[:3]}, opened_by={"login": 1, "filevault": 1, "keychain": 1}, limit=10,
         check_opened_by={"login": 1, "filevault": 1}),  # a session's keychain is known once the re-key took
    Case("single_previous_password_is_position_0", mac(H[0]), {"previous_password": H[0]},
         opened_by={"login": 0, "filevault": 0, "keychain": 0}),
]


def peak_failed_logins(audit, on_record):
    """The highest failed-login count the run's local password checks reached (replayed from the audit log)."""
    count = peak = on_record
    for record in audit:
        if record["tool"] == "dscl" and "-authonly" in record["argv"]:
            count = 0 if record["exit"] == 0 else count + 1
            peak = max(peak, count)
    return peak


@dataclasses.dataclass
class Record:
    case: Case
    host: object
    check: dict = None
    check_writes: list = None
    real: dict = None
    real_audit: list = None
    again: dict = None
    again_audit: list = None
    output: str = ""


@pytest.fixture(scope="module")
def runs(ansible_module, tmp_path_factory):
    import macsim  # pylint: disable=import-outside-toplevel
    parent = tmp_path_factory.mktemp("candidates")
    records = {case.name: Record(case, macsim.create_host(str(parent / case.name), case.scenario)) for case in CASES}
    hosts = [record.host for record in records.values()]
    args = {record.host.name: record.case.all_args() for record in records.values()}

    marks = {name: len(record.host.audit()) for name, record in records.items()}
    check = ansible_module(hosts, MODULE, args, check=True, diff=True, verbosity=3)
    for name, record in records.items():
        record.check = check[record.host.name]
        record.check_writes = [r for r in record.host.audit()[marks[name]:] if r["kind"] == "write"]
        marks[name] = len(record.host.audit())
    real = ansible_module(hosts, MODULE, args, diff=True, verbosity=3)
    for name, record in records.items():
        record.real, record.real_audit = real[record.host.name], record.host.audit()[marks[name]:]
    for name, record in records.items():
        marks[name] = len(record.host.audit())
    again = ansible_module(hosts, MODULE, args)
    for name, record in records.items():
        record.again, record.again_audit = again[record.host.name], record.host.audit()[marks[name]:]
        record.output = check.output + real.output + again.output
    return records


@pytest.mark.parametrize("name", [case.name for case in CASES])
def test_check_mode_predicts_and_writes_nothing(runs, name):
    record = runs[name]
    assert record.check_writes == []
    if record.case.opened_by is None:
        assert record.check.get("failed") and record.case.message in record.check["msg"]
    else:
        assert not record.check.get("failed"), record.check
        assert record.check["opened_by_previous"] == (record.case.check_opened_by or record.case.opened_by)
        assert record.check["stores"] == record.real["stores"]


@pytest.mark.parametrize("name", [case.name for case in CASES])
def test_real_run(runs, name):
    record, case = runs[name], runs[name].case
    host = record.host
    if case.opened_by is None:
        assert record.real.get("failed") and case.message in record.real["msg"], record.real
        assert [r for r in record.real_audit if r["kind"] == "write"] == []
        return
    assert not record.real.get("failed"), record.real
    assert record.real["changed"]
    assert record.real["opened_by_previous"] == case.opened_by
    assert record.real["candidates_untried"] == case.untried
    assert host.login_ok(USER, NEW) and host.filevault_ok(USER, NEW) and host.preboot_ok(USER, NEW)
    assert host.keychain_ok(USER, NEW)
    if "keychain" in case.opened_by:
        assert len(host.keychain_items(USER)) == ITEMS  # re-keyed, every item kept
    assert host.session_keychain_locks() == []


@pytest.mark.parametrize("name", [case.name for case in CASES if case.limit])
def test_never_locks_the_user_out(runs, name):
    record, case = runs[name], runs[name].case
    on_record = case.scenario["users"][0]["failed_logins"]
    assert peak_failed_logins(record.real_audit, on_record) < case.limit
    assert host_failed(record.host) < case.limit


def host_failed(host):
    return int(host.user(USER)["accountPolicyData"].get("failedLoginCount", 0))


@pytest.mark.parametrize("name", [case.name for case in CASES if case.opened_by is not None])
def test_second_run_changes_nothing_and_leaves_no_failed_login(runs, name):
    record = runs[name]
    assert not record.again.get("failed") and not record.again["changed"], record.again
    assert record.again["opened_by_previous"] == {}
    assert host_failed(record.host) == 0
    assert record.real["failed_logins"]["cleared"] is False  # opendirectoryd's own reset at the final check


def test_failed_logins_reported_and_the_policy_read_only_when_a_wrong_password_is_risked(runs):
    # FileVault is checked first (a wrong passphrase costs no failed login): the previous password it opened with is
    # the first the account is shown, so no wrong one reaches it and no lockout policy is read.
    assert runs["single_previous_password_is_position_0"].real["failed_logins"] == {
        "on_record_before": 0, "caused": 0, "limit": None, "cleared": False}
    assert not [r for r in runs["single_previous_password_is_position_0"].real_audit if r["tool"] == "pwpolicy"]
    assert runs["history_each_store_its_own"].real["failed_logins"]["limit"] == 10
    # 2 on record, and the check-mode run's wrong check
    assert runs["budget_stops_login_admin_resets"].check["failed_logins"]["on_record_before"] == 2
    assert runs["budget_stops_login_admin_resets"].real["failed_logins"] == {
        "on_record_before": 3, "caused": 1, "limit": 5, "cleared": False}
    for record in runs.values():
        if record.case.opened_by is not None:  # in step on the second run: no lockout policy is read
            assert not [r for r in record.again_audit if r["tool"] == "pwpolicy"], record.case.name


def test_no_candidate_in_output_argv_or_results(runs):
    for record in runs.values():
        text = record.output + json.dumps([record.check, record.real, record.again])
        assert not [p for p in PASSWORDS if p in text], record.case.name
        assert not [p for p in PASSWORDS for r in record.host.audit() if p in json.dumps(r["argv"])]
