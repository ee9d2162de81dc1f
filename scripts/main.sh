#!/usr/bin/env bash
# The main job on embedded defaults: the README's first command.
# Creates simulated Macs (macsim) in a temporary directory, runs the collection's
# playbook against them with Python 3.9 as their interpreter, and removes them.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

ensure_venv
activate
place_collection

WORK=$(mktemp -d "${TMPDIR:-/tmp}/credsync-main.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

log "creating simulated Macs in $WORK"
(cd "$COLLECTION_DIR/tests" && python -m macsim create --out "$WORK/macs" \
  --scenario in_sync --scenario filevault_off --scenario offline_change --count 3 \
  --inventory "$WORK/inventory.yml")

log "ansible-playbook macfleet.credsync.fleet_status"
ANSIBLE_HOST_KEY_CHECKING=False ansible-playbook -i "$WORK/inventory.yml" macfleet.credsync.fleet_status "$@"
