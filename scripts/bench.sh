#!/usr/bin/env bash
# Benchmarks: scripts that print figures (not timed tests).
#   scripts/bench.sh jumpcloud_reset [args...]
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
name=${1:?usage: scripts/bench.sh NAME [args...] (NAME: a file in benchmarks/ without .py)}
shift
ensure_venv
activate
place_collection
cd "$COLLECTION_DIR/benchmarks" || exit 1
exec python "$name.py" "$@"
