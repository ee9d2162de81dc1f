"""Benchmark: reset N Okta users with directory_password's list form (provider okta) vs. a uri loop, and a 429 storm.

    scripts/bench.sh okta_reset [--users 10000] [--baseline-users 100] [--storm 0.2] [--storm-users N]

Against the Okta stand-in (tests/oktasim) on loopback. Prints users/s for the list form (one module run: one
paged listing by Link cursors, one read of the password policies, every password checked against the policy
first, then one POST ?strict=true per user, 16 at a time) and for a uri loop (one POST per user, the way an
admin scripts it today, with no policy check), their ratio, API calls per user, and a 429 storm run (a share of
all calls answered 429 E0000047 with X-Rate-Limit-Reset) with its count of users lost or written twice.
The uri loop is timed on a sample of --baseline-users users.
"""

import argparse
import platform
import tempfile

from _common import NAME_FAILED, controller_inventory, failed_users, reset_entries, run_playbook

import oktasim  # noqa: E402  (tests/ on sys.path via _common)

LIST_FORM = """---
- name: Reset with the list form
  hosts: controller
  gather_facts: false
  tasks:
    - name: Reset every user in one module run
      macfleet.credsync.directory_password:
        provider: okta
        org_url: "{{ okta_url }}"
        api_token: "{{ okta_token }}"
        passwords: "{{ resets }}"
        max_concurrency: 16
        retries: 8
      no_log: true
"""

URI_LOOP = """---
- name: Reset the way an admin scripts it today
  hosts: controller
  gather_facts: false
  tasks:
    - name: Set each password
      ansible.builtin.uri:
        url: "{{ okta_url }}/api/v1/users/{{ item.user | urlencode }}"
        method: POST
        headers: {Authorization: "SSWS {{ okta_token }}", Accept: application/json}
        body_format: json
        body: {credentials: {password: {value: "{{ item.password }}"}}}
      loop: "{{ resets }}"
      no_log: true
"""


def _verify(sim, names, resets, writes_before):
    """Users whose new password is not set, and users written more than once by the run."""
    lost = sum(1 for name, entry in zip(names, resets) if not sim.check_password(name, entry["password"]))
    twice = sum(1 for name in names if sim.write_count(name) - writes_before.get(name, 0) > 1)
    return lost, twice


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10000)
    parser.add_argument("--baseline-users", type=int, default=100)
    parser.add_argument("--storm", type=float, default=0.2, help="share of calls answered 429 in the storm run")
    parser.add_argument("--storm-users", type=int, default=0, help="users in the storm run (default: --users)")
    args = parser.parse_args()
    storm_users = args.storm_users or args.users

    with tempfile.TemporaryDirectory() as workdir, oktasim.OktaSim() as sim:
        inventory = controller_inventory(workdir)
        sim.seed_users(args.users, password="Initial-Pass-0!")
        names = ["user%05d@example.com" % index for index in range(1, args.users + 1)]
        base = {"okta_url": sim.url, "okta_token": sim.api_token}

        resets = reset_entries(names, 1)
        sim.clear_calls()
        list_seconds, _proc = run_playbook(workdir, inventory, LIST_FORM, dict(base, resets=resets))
        list_calls = sim.call_count()
        routes = sim.route_counts()
        lost, twice = _verify(sim, names, resets, {})

        sample = reset_entries(names[:args.baseline_users], 2)
        sim.clear_calls()
        uri_seconds, _proc = run_playbook(workdir, inventory, URI_LOOP, dict(base, resets=sample))
        uri_calls = sim.call_count()

        storm_names = names[:storm_users]
        storm = reset_entries(storm_names, 3)
        before = dict((name, sim.write_count(name)) for name in storm_names)
        sim.clear_calls()
        sim.set_rate_limit(fraction=args.storm, seed=20261203, reset_seconds=0)
        storm_seconds, storm_proc = run_playbook(workdir, inventory, LIST_FORM + NAME_FAILED, dict(base, resets=storm))
        storm_failed = failed_users(storm_proc)
        storm_429 = sum(1 for call in sim.calls() if call.get("status") == 429)
        storm_calls = sim.call_count()
        sim.clear_rate_limit()
        kept = [(name, entry) for name, entry in zip(storm_names, storm) if name not in storm_failed]
        storm_lost, storm_twice = _verify(sim, [name for name, _entry in kept], [entry for _name, entry in kept], before)
        failed_unset = sum(1 for name, entry in zip(storm_names, storm) if name in storm_failed
                           and not sim.check_password(name, entry["password"]))

    list_rate = args.users / list_seconds
    uri_rate = args.baseline_users / uri_seconds
    print("machine: %s, %s, Python %s" % (platform.machine(), platform.platform(), platform.python_version()))
    print("list form:   %6d users in %7.1f s = %8.1f users/s, %.4f API calls per user (%s), lost %d, written twice %d"
          % (args.users, list_seconds, list_rate, list_calls / float(args.users),
             ", ".join("%s %d" % item for item in sorted(routes.items())), lost, twice))
    print("uri loop:    %6d users in %7.1f s = %8.1f users/s, %.4f API calls per user (POST per user, no policy check)"
          % (args.baseline_users, uri_seconds, uri_rate, uri_calls / float(args.baseline_users)))
    print("ratio:       %.1f x" % (list_rate / uri_rate))
    print("429 storm:   %6d users in %7.1f s, %d of %d answers were 429 (%.0f%% of calls asked), lost %d, "
          "written twice %d, reported failed %d (every try refused; %d of them indeed not set)"
          % (storm_users, storm_seconds, storm_429, storm_calls, args.storm * 100, storm_lost, storm_twice,
             len(storm_failed), failed_unset))


if __name__ == "__main__":
    main()
