"""Benchmark: configuration profiles generated and validated per second (target >= 1,000/s).

    scripts/bench.sh profiles_generate [--profiles 20000] [--signed 200]

Each profile is built from options (a different identifier each time, so no two are alike), checked
against the schema (every key, type, allowed value, bundle id, team id and code requirement) and
serialised to its XML plist: the work a module run does before it compares and writes. Half are
notification profiles, half Endpoint Security profiles (three payloads, eight privacy grants, each
with a code requirement to parse). Signing (CMS, verified right after) is timed on its own.
Both wall-clock and CPU time are reported: on a busy machine (other jobs on the same cores) the
wall-clock rate says more about the neighbours than about this code; the target is checked on CPU time.
"""

import argparse
import os
import platform
import sys
import tempfile
import time

from _common import collections_path

sys.path.insert(0, collections_path())

# pylint: disable=wrong-import-position
from ansible_collections.macfleet.credsync.plugins.module_utils._profiles import payloads, schema, writer  # noqa: E402
from ansible_collections.macfleet.credsync.plugins.module_utils._profiles.signing import Signer  # noqa: E402
from profiles_testlib import make_pki  # noqa: E402  (tests/ on sys.path via _common)

COMMON = dict(display_name="Bench", description=None, organization="Bench Corp", scope="System", removal_disallowed=True)
APP = dict(notifications_enabled=True, alert_type="alert", show_in_lock_screen=True, show_in_notification_center=True,
           badges_enabled=True, sounds_enabled=True, critical_alert_enabled=False)
ENDPOINT = dict(COMMON, team_id=payloads.TEAM_ID, extension_bundle_id=payloads.EXTENSION_BUNDLE_ID, system_extension=True,
                extension_types=["EndpointSecurityExtension"], allow_user_overrides=None, privacy=True,
                extension_full_disk_access=True, extension_code_requirement=None, agent_path=payloads.AGENT_PATH,
                agent_code_requirement=None, agent_services=list(payloads.AGENT_SERVICES),
                apple_events_receivers=list(payloads.APPLE_EVENTS_RECEIVERS), login_items=True, login_item_rules=None)


def _options(index):
    if index % 2:
        return payloads.endpoint_security_profile, dict(ENDPOINT, identifier="com.example.bench.es.%d" % index)
    apps = [dict(APP, bundle_id="com.example.bench.app%d" % index), dict(APP, bundle_id=payloads.TRAY_BUNDLE_ID)]
    return payloads.notification_profile, dict(COMMON, identifier="com.example.bench.notify.%d" % index, apps=apps)


def generate(count):
    """(wall seconds, CPU seconds, bytes written) for `count` profiles built, validated and serialised."""
    jobs = [_options(index) for index in range(count)]
    size = 0
    started, cpu = time.perf_counter(), time.process_time()
    for build, options in jobs:
        profile = build(options)
        schema.validate_profile(profile)
        size += len(writer.serialize(profile))
    return time.perf_counter() - started, time.process_time() - cpu, size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", type=int, default=20000)
    parser.add_argument("--signed", type=int, default=200)
    args = parser.parse_args()

    generate(200)  # warm-up: imports, regex compilation
    seconds, cpu, size = generate(args.profiles)
    with tempfile.TemporaryDirectory() as workdir:
        pki = make_pki(workdir)
        signer = Signer(pki.cert, pki.key, chain_path=pki.chain)
        content = writer.serialize(payloads.endpoint_security_profile(dict(ENDPOINT, identifier="com.example.bench.signed")))
        started = time.perf_counter()
        for _index in range(args.signed):
            signer.sign(content)
        signing = time.perf_counter() - started

    print("machine: %s, %s, Python %s, %d CPUs, load average %.1f" % (
        platform.machine(), platform.platform(), platform.python_version(), os.cpu_count(), os.getloadavg()[0]))
    print("generated and validated: %6d profiles, %.0f bytes each on average" % (args.profiles, size / float(args.profiles)))
    print("  CPU time:   %6.2f s = %8.0f profiles/s" % (cpu, args.profiles / cpu))
    print("  wall clock: %6.2f s = %8.0f profiles/s" % (seconds, args.profiles / seconds))
    print("signed and verified:     %6d profiles in %6.2f s = %8.0f profiles/s (RSA 2048, SHA-256, wall clock)"
          % (args.signed, signing, args.signed / signing))
    if args.profiles / cpu < 1000:
        raise SystemExit("below the 1,000 profiles/s target")


if __name__ == "__main__":
    main()
