"""Benchmark: reset N JumpCloud users with directory_password's list form (per user and bulk) vs. a uri loop.

    scripts/bench.sh jumpcloud_reset [--users 10000] [--baseline-users 200] [--storm 0.2]

Against the JumpCloud stand-in (tests/jcsim) on loopback. Prints users/s for each way, their
ratio, API calls per user, and a 429 storm run's count of users lost or written twice. The list
form runs twice: a PUT per user, then with bulk: true (V2 bulk jobs of 100 users).
The uri loop (a search then a PUT per user, as admins script it today) is timed on a sample of
--baseline-users users: at ~2 tasks per user it would take most of an hour for 10,000.
"""

import argparse
import platform
import tempfile

from _common import NAME_FAILED, controller_inventory, failed_users, reset_entries, run_playbook

import jcsim  # noqa: E402  (tests/ on sys.path via _common)

LIST_FORM = """---
- name: Reset with the list form
  hosts: controller
  gather_facts: false
  tasks:
    - name: Reset every user in one module run
      macfleet.credsync.directory_password:
        base_url: "{{ jc_url }}"
        api_key: "{{ jc_key }}"
        passwords: "{{ resets }}"
        max_concurrency: 16
        retries: 6
        bulk: "{{ use_bulk }}"
      no_log: true
"""

URI_LOOP = """---
- name: Reset the way an admin scripts it today
  hosts: controller
  gather_facts: false
  tasks:
    - name: Find each user
      ansible.builtin.uri:
        url: "{{ jc_url }}/api/systemusers?filter=username:$eq:{{ item.user }}&fields=_id%20username"
        headers: {x-api-key: "{{ jc_key }}", Accept: application/json}
        return_content: true
      loop: "{{ resets }}"
      register: found
      no_log: true
    - name: Set each password
      ansible.builtin.uri:
        url: "{{ jc_url }}/api/systemusers/{{ item.json.results[0]._id }}"
        method: PUT
        headers: {x-api-key: "{{ jc_key }}"}
        body_format: json
        body: {password: "{{ item.item.password }}"}
      loop: "{{ found.results }}"
      no_log: true
"""


def _verify(sim, ids, resets, expected_writes):
    lost = sum(1 for user_id, entry in zip(ids, resets) if not sim.check_password(user_id, entry["password"]))
    twice = sum(1 for user_id in ids if sim.write_count(user_id) > expected_writes)
    return lost, twice


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10000)
    parser.add_argument("--baseline-users", type=int, default=200)
    parser.add_argument("--storm", type=float, default=0.2, help="share of calls answered 429 in the storm run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir, jcsim.JumpCloudSim() as sim:
        inventory = controller_inventory(workdir)
        ids = sim.seed_users(args.users, password="Initial-Pass-0!")
        names = [sim.user(user_id)["username"] for user_id in ids]
        base = {"jc_url": sim.url, "jc_key": sim.api_key, "use_bulk": False}

        resets = reset_entries(names, 1)
        sim.clear_calls()
        list_seconds, list_proc = run_playbook(workdir, inventory, LIST_FORM, dict(base, resets=resets))
        list_calls = sim.call_count()
        # The action plugin's progress lines (every 10 s): counts only, no call of their own.
        progress = [line for line in list_proc.stdout.decode().splitlines() if "users done" in line]
        lost, twice = _verify(sim, ids, resets, 1)

        bulk = reset_entries(names, 4)
        sim.clear_calls()
        bulk_seconds, _proc = run_playbook(workdir, inventory, LIST_FORM, dict(base, resets=bulk, use_bulk=True))
        bulk_calls = sim.call_count()
        bulk_lost, bulk_twice = _verify(sim, ids, bulk, 2)

        sample = reset_entries(names[:args.baseline_users], 2)
        uri_seconds, _proc = run_playbook(workdir, inventory, URI_LOOP, dict(base, resets=sample))

        storm = reset_entries(names, 3)
        sim.clear_calls()
        sim.set_rate_limit(fraction=args.storm, seed=20261123)
        storm_seconds, storm_proc = run_playbook(workdir, inventory, LIST_FORM + NAME_FAILED, dict(base, resets=storm))
        storm_failed = failed_users(storm_proc)
        storm_429 = sum(1 for call in sim.calls() if call.get("status") == 429)
        sim.clear_rate_limit()
        storm_sample = list(range(args.baseline_users, args.users))
        storm_sample = [i for i in storm_sample if names[i] not in storm_failed]  # reported failed: not lost
        storm_lost, storm_twice = _verify(sim, [ids[i] for i in storm_sample], [storm[i] for i in storm_sample], 3)
        failed_unset = sum(1 for i, name in enumerate(names) if name in storm_failed
                           and not sim.check_password(ids[i], storm[i]["password"]))

    list_rate = args.users / list_seconds
    uri_rate = args.baseline_users / uri_seconds
    print("machine: %s, %s, Python %s" % (platform.machine(), platform.platform(), platform.python_version()))
    print("list form:   %6d users in %7.1f s = %8.1f users/s, %.4f API calls per user, lost %d, written twice %d"
          % (args.users, list_seconds, list_rate, list_calls / float(args.users), lost, twice))
    last = ", the last: " + progress[-1].split(": ", 1)[-1] if progress else ""
    print("progress:    %d lines while it ran%s" % (len(progress), last))
    print("bulk form:   %6d users in %7.1f s = %8.1f users/s, %.4f API calls per user, lost %d, written twice %d"
          % (args.users, bulk_seconds, args.users / bulk_seconds, bulk_calls / float(args.users), bulk_lost, bulk_twice))
    print("uri loop:    %6d users in %7.1f s = %8.1f users/s (search + PUT per user)"
          % (args.baseline_users, uri_seconds, uri_rate))
    print("ratio:       %.1f x" % (list_rate / uri_rate))
    print("429 storm:   %6d users in %7.1f s, %d answers were 429 (%.0f%% of calls), lost %d, written twice %d, "
          "reported failed %d (every try refused; %d of them indeed not set)"
          % (args.users, storm_seconds, storm_429, args.storm * 100, storm_lost, storm_twice, len(storm_failed),
             failed_unset))


if __name__ == "__main__":
    main()
