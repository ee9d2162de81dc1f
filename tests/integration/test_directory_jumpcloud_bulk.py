"""directory_password's list form with bulk: true (JumpCloud V2 bulk user jobs) through ansible-playbook.

Same harness as test_directory_jumpcloud.py (its `sim` and `jc` fixtures): every outcome is read back from
jcsim (passwords, write counts and the fields written, lock and expiry state, the call log), every run is at
-vvv and its output and result are scanned for every secret in play.
"""

import secrets

from test_directory_jumpcloud import (  # noqa: F401  pylint: disable=unused-import  # fixtures jc, sim
    EXPIRE, GET_ORG, GET_USER, PUT, UNLOCK, assert_failed, eventually, jc, sim)

BULK = "PATCH /api/v2/bulk/users"
RESULTS = "GET /api/v2/bulk/users/{job_id}/results"


def bulk_writes(jc, ids):  # pylint: disable=redefined-outer-name
    """{user_id: [fields written by bulk jobs]} for the given users."""
    written = {}
    for entry in jc.sim.writes():
        if entry["operation"] == "bulk" and entry["user_id"] in ids:
            written.setdefault(entry["user_id"], []).append(sorted(entry["fields"]))
    return written


def accepted(jc, route):  # pylint: disable=redefined-outer-name
    return [call for call in jc.calls(route) if call["status"] == 200]


def test_bulk_reset_of_many_users_in_jobs_of_a_hundred(jc):
    ids = jc.sim.seed_users(250, prefix="bulk")
    names = [jc.sim.user(user_id)["username"] for user_id in ids]
    password = jc.password()
    result = jc.run("directory_password", {"users": names, "password": password, "bulk": True}, rc=0)
    assert result["changed"] and result["summary"] == {"total": 250, "changed": 250, "failed": 0, "unknown": 0}
    assert [(entry["user"], entry["id"], entry["expired"], entry["unlocked"]) for entry in result["results"]] == [
        (name, user_id, False, False) for name, user_id in zip(names, ids)]
    assert [user_id for user_id in ids if not jc.sim.check_password(user_id, password)] == []
    assert [user_id for user_id in ids if jc.sim.write_count(user_id) != 1] == []
    assert bulk_writes(jc, set(ids)) == dict((user_id, [["password"]]) for user_id in ids)
    # 100 + 100 + 50: three jobs, each polled until done (jcsim answers "pending" to a job's first poll).
    assert jc.count(BULK) == 3 and jc.count(RESULTS) == 6 and jc.count(PUT) == 0 and jc.count(GET_ORG) == 1
    assert all("limit=100" in call["query"] for call in jc.calls(RESULTS))


def test_refused_users_are_never_sent_and_the_rest_are_done(jc):
    """The policy is checked before any job; an unknown user is reported; the server's own refusal is mapped back."""
    good = [jc.user() for _index in range(3)]
    weak, reused = jc.user(), jc.user()
    ghost = "ghost-%s" % secrets.token_hex(3)
    wanted = [{"user": user.username, "password": jc.password()} for user in good] + [
        {"user": weak.username, "password": "alllowercase"}, {"user": ghost, "password": jc.password()},
        {"user": reused.email, "password": reused.password}]  # history: only JumpCloud can refuse it
    result = jc.run("directory_password", {"passwords": wanted, "bulk": True}, rc=2)
    assert result["summary"] == {"total": 6, "changed": 3, "failed": 3, "unknown": 0}
    assert_failed(result, "3 of 6 users failed", weak.username, ghost, reused.email)
    by_user = dict((entry["user"], entry) for entry in result["results"])
    assert "an uppercase letter" in by_user[weak.username]["msg"] and not by_user[weak.username]["changed"]
    assert by_user[ghost]["not_found"] and "no JumpCloud user" in by_user[ghost]["msg"]
    assert "bulk job" in by_user[reused.email]["msg"] and "maxHistory" in by_user[reused.email]["msg"]
    for user, entry in zip(good, wanted):
        assert by_user[user.username]["changed"] and jc.sim.check_password(user.id, entry["password"])
    assert jc.count(BULK) == 1 and jc.sim.write_count(weak.id) == 0 and jc.sim.write_count(reused.id) == 0
    assert sorted(bulk_writes(jc, {user.id for user in good + [weak, reused]})) == sorted(user.id for user in good)


def test_unlock_in_the_same_job(jc):
    locked, plain = jc.user(locked=True), jc.user()
    password = jc.password()
    result = jc.run("directory_password", {"users": [locked.username, plain.id], "password": password,
                                           "unlock": True, "bulk": True}, rc=0)
    assert [(entry["changed"], entry["unlocked"]) for entry in result["results"]] == [(True, True), (True, False)]
    assert bulk_writes(jc, {locked.id, plain.id}) == {locked.id: [["account_locked", "password"]],
                                                      plain.id: [["password"]]}
    assert jc.count(UNLOCK) == 0 and jc.count(BULK) == 1
    assert jc.sim.login(locked.username, password)["result"] == "ok"


def test_temporary_expires_each_user_written(jc):
    users = [jc.user() for _index in range(3)]
    password = jc.password()
    result = jc.run("directory_password", {"users": [user.username for user in users], "password": password,
                                           "temporary": True, "bulk": True}, rc=0)
    assert all(entry["expired"] for entry in result["results"])
    assert jc.count(BULK) == 1 and jc.count(EXPIRE) == 3
    for user in users:
        assert jc.sim.user_state(user.id)["password_expired"] is True
        assert jc.sim.login(user.username, password)["result"] == "password_expired"


def test_check_mode_sends_nothing(jc):
    locked, plain = jc.user(locked=True), jc.user()
    writes_before = len(jc.sim.writes())
    result = jc.run("directory_password", {"users": [locked.username, plain.username], "password": jc.password(),
                                           "unlock": True, "temporary": True, "bulk": True}, check=True, rc=0)
    assert [(entry["changed"], entry["unlocked"]) for entry in result["results"]] == [(True, True), (True, False)]
    assert jc.count(BULK) == 0 and jc.count(RESULTS) == 0 and jc.count(EXPIRE) == 0
    assert len(jc.sim.writes()) == writes_before and jc.sim.check_password(plain.id, plain.password)


def test_429_storm_loses_no_user_and_writes_none_twice(jc):
    ids = jc.sim.seed_users(300, prefix="bstorm")
    names = [jc.sim.user(user_id)["username"] for user_id in ids]
    password = jc.password()
    jc.sim.set_rate_limit(fraction=0.2, seed=7)
    result = jc.run("directory_password", {"users": names, "password": password, "bulk": True, "retries": 8}, rc=0)
    assert result["summary"] == {"total": 300, "changed": 300, "failed": 0, "unknown": 0}
    assert jc.sim.stats()["rate_limited"] >= 3
    assert [user_id for user_id in ids if not jc.sim.check_password(user_id, password)] == []
    assert [user_id for user_id in ids if jc.sim.write_count(user_id) != 1] == []
    assert len(accepted(jc, BULK)) == 3


def test_a_pending_job_is_polled_until_done(jc):
    users = [jc.user() for _index in range(2)]
    password = jc.password()
    jc.sim.bulk_pending_polls = 3
    try:
        result = jc.run("directory_password", {"users": [user.username for user in users], "password": password,
                                               "bulk": True}, rc=0)
    finally:
        jc.sim.bulk_pending_polls = 1
    assert result["summary"] == {"total": 2, "changed": 2, "failed": 0, "unknown": 0}
    assert jc.count(BULK) == 1 and jc.count(RESULTS) == 4
    assert all(jc.sim.check_password(user.id, password) for user in users)


def test_a_job_whose_answer_is_lost_is_read_back_before_it_is_sent_again(jc):
    """A 5xx before the change: the users read back show nothing, so the job is sent again (after each read back).
    A job left unanswered is never sent again: its users are read back until the change shows."""
    first, second = jc.user(), jc.user()
    password = jc.password()
    jc.sim.inject_fault("error", status=503, count=2, match="^PATCH ")
    result = jc.run("directory_password", {"users": [first.username], "password": password, "bulk": True}, rc=0)
    assert result["summary"]["changed"] == 1 and jc.count(BULK) == 3 and jc.sim.write_count(first.id) == 1
    assert result["results"][0]["outcome"] == "set" and "read back: not set" in result["results"][0]["note"]
    assert jc.count(GET_USER) == 2
    jc.sim.reset_controls()
    jc.sim.inject_fault("slow", seconds=3.5, count=1, match="^PATCH ")
    result = jc.run("directory_password", {"users": [second.username], "password": password, "bulk": True,
                                           "timeout": 2, "retries": 3}, rc=0)
    entry = result["results"][0]
    assert entry["outcome"] == "set" and "no answer within 2s" in entry["note"] and "password was set" in entry["note"]
    assert jc.count(BULK) == 1 and jc.count(RESULTS) == 0 and jc.sim.check_password(second.id, password)
    assert jc.sim.write_count(second.id) == 1


def test_bulk_is_for_the_jumpcloud_list_form_only(jc):
    alice = jc.user()
    results = jc.run_cases("directory_password", {
        "single": {"user": alice.username, "password": jc.password(), "bulk": True},
        "ad": {"provider": "ad", "server": "dc1.example.test", "bind_user": "svc@example.test",
               "bind_password": jc.password(), "users": [alice.username], "password": jc.password(), "bulk": True}},
        connection={"api_key": jc.sim.api_key})
    assert_failed(results["single"], "bulk: only for the list form (users or passwords)")
    assert_failed(results["ad"], "bulk: not options of provider ad")
    assert jc.sim.write_count(alice.id) == 0 and jc.count() == 0


def test_fail_fast_skips_the_jobs_after_a_failed_user(jc):
    initial = jc.password()
    ids = jc.sim.seed_users(150, password=initial, prefix="bfast")
    names = [jc.sim.user(user_id)["username"] for user_id in ids]
    wanted = [{"user": names[0], "password": initial}] + [{"user": name, "password": jc.password()} for name in names[1:]]
    result = jc.run("directory_password", {"passwords": wanted, "bulk": True, "fail_fast": True, "max_concurrency": 1},
                    rc=2)
    assert result["summary"] == {"total": 150, "changed": 99, "failed": 51, "unknown": 0}
    assert "maxHistory" in result["results"][0]["msg"]
    assert all("fail_fast" in entry["msg"] for entry in result["results"][100:])
    assert jc.count(BULK) == 1 and sorted(bulk_writes(jc, set(ids))) == sorted(ids[1:100])
