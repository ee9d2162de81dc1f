#!/usr/bin/env bash
# The main job on embedded defaults: the README's first command.
# In a temporary directory: the JumpCloud stand-in (jcsim) and a few dozen simulated Macs (macsim) in mixed
# states, each also a system in the stand-in bound to its user, and a vars file (mode 0600) with passwords
# generated for this run. The inventory is built from the directory by the plugin macfleet.credsync.jumpcloud
# (fleet.jumpcloud.yml: who uses which Mac, FileVault, service account), plus a static file saying only how to
# reach each simulated Mac (connection.yml). Runs reset_and_sync, then verify_fleet, prints the summary and
# where the HTML report is, then stops and removes what it started. Nothing real is touched.
#   scripts/main.sh [ansible-playbook options, e.g. -v]
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

ensure_venv
activate
place_collection

WORK=$(mktemp -d "${TMPDIR:-/tmp}/credsync-main.XXXXXX")
REPORT="$BUILD/main-report"   # outlives the run: the report is for reading afterwards
stop_fleet() {
  (cd "$COLLECTION_DIR/tests" && python -m fleetsim down --dir "$WORK/fleet") || true
  rm -rf "$WORK"
  log "stopped the JumpCloud stand-in, removed the simulated Macs and $WORK"
}
trap stop_fleet EXIT

started=$SECONDS
log "starting the JumpCloud stand-in and simulated Macs in $WORK"
(cd "$COLLECTION_DIR/tests" && python -m fleetsim up --dir "$WORK/fleet" --layout demo)

rm -rf "$REPORT"
export ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_PIPELINING=True ANSIBLE_DISPLAY_SKIPPED_HOSTS=False
# Two inventory sources: the JumpCloud inventory plugin (the Macs, their users and groups), then how to reach
# each simulated Mac (a later source wins, so its ansible_host beats the plugin's).
INVENTORY=(-i "$WORK/fleet/fleet.jumpcloud.yml" -i "$WORK/fleet/connection.yml")
playbook() {
  ansible-playbook "${INVENTORY[@]}" -e "@$WORK/fleet/credsync-vars.yml" \
    -e "credsync_report_dir=$REPORT" --forks 10 "$@"
}

log "the inventory, from the JumpCloud stand-in (ansible-inventory --list)"
ansible-inventory "${INVENTORY[@]}" --list | python -c '
import json, sys
data = json.load(sys.stdin)
groups = ("macs", "online", "offline", "filevault_on", "filevault_off", "no_service_account", "user_ambiguous", "no_user")
print("; ".join("%s: %d" % (name, len(data.get(name, {}).get("hosts", []))) for name in groups))'

log "ansible-playbook macfleet.credsync.reset_and_sync"
# Some demo Macs fail on purpose (service account missing, switched off): report them, carry on.
playbook -e credsync_fail_on_error=false macfleet.credsync.reset_and_sync "$@"

log "ansible-playbook macfleet.credsync.verify_fleet"
playbook macfleet.credsync.verify_fleet "$@"

log "summary"
cat "$REPORT/summary.txt"
python - "$REPORT/fleet-report.json" <<'PY'
import collections, json, sys
counts = collections.Counter(row["status"] for row in json.load(open(sys.argv[1]))["hosts"])
print("\ndrift audit after the run: " + ", ".join("%d %s" % (n, status) for status, n in sorted(counts.items())))
PY
printf '\nDrift report (open it in a browser): %s\n' "$REPORT/fleet-report.html"
printf 'Also: %s, %s, %s\n' "$REPORT/fleet-report.csv" "$REPORT/fleet-report.json" "$REPORT/summary.json"
printf 'Main job done in %d s.\n' $((SECONDS - started))
