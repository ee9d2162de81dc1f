# shellcheck shell=bash
# Shared by scripts/test.sh and scripts/main.sh: pick interpreters, build the venv, and
# place the collection where ansible-test and ansible expect it. Sourced, not run.

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="${CREDSYNC_VENV:-$REPO_ROOT/.venv}"
# Outside the work tree on purpose: inside it, ansible-test would list files with git,
# which ignores the copy, and skip every target.
BUILD="${CREDSYNC_BUILD:-${XDG_CACHE_HOME:-$HOME/.cache}/macfleet-credsync/$(printf '%s' "$REPO_ROOT" | cksum | cut -d' ' -f1)}"
COLLECTION_DIR="$BUILD/ansible_collections/macfleet/credsync"

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# A Python of version X.Y that really runs (a pyenv shim may exist for a version that
# is not installed), found on PATH or in pyenv's versions; never a hard-coded path.
find_python() {
  local want=$1 candidate
  for candidate in "python$want" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin/"python$want"; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      [ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$want" ]; then
      "$candidate" -c 'import sys; print(sys.executable)'
      return 0
    fi
  done
  return 1
}

# The controller: the newest Python that allows the newest ansible-core (3.12+ -> 2.21).
find_controller_python() {
  local v
  for v in 3.13 3.12 3.11; do
    if find_python "$v"; then return 0; fi
  done
  die "no Python 3.11-3.13 found for the controller"
}

ensure_venv() {
  local req="$REPO_ROOT/requirements/test.txt" stamp want
  want=$(sha256sum "$req" | cut -d' ' -f1)
  stamp="$VENV/.requirements.sha256"
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  local py
  py=$(find_controller_python)
  log "creating virtualenv $VENV with $py"
  rm -rf "$VENV"
  "$py" -m venv "$VENV"
  mkdir -p "$BUILD"
  if ! { "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip &&
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$req"; } >"$BUILD/pip.log" 2>&1; then
    grep -v "^WARNING: Location" "$BUILD/pip.log" >&2
    die "pip install failed (log: $BUILD/pip.log)"
  fi
  echo "$want" >"$stamp"
}

# ansible-test and ansible need the collection under ansible_collections/macfleet/credsync.
# A fresh copy of what git would ship (tracked and untracked-but-not-ignored files).
place_collection() {
  rm -rf "$COLLECTION_DIR"
  mkdir -p "$COLLECTION_DIR"
  (
    cd "$REPO_ROOT"
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
      git ls-files -co --exclude-standard -z | tar --null --ignore-failed-read -T - -cf - 2>/dev/null
    else
      tar --exclude=./.venv --exclude=__pycache__ -cf - .
    fi
  ) | tar -xf - -C "$COLLECTION_DIR"
  export ANSIBLE_COLLECTIONS_PATH="$BUILD"
}

# The Active Directory tests run a real Samba AD DC: take it from the distribution when we may
# (nothing starts on install; the tests provision their own domain in a temporary directory).
SAMBA_AD_PACKAGES=(samba samba-dsdb-modules samba-vfs-modules samba-ad-provision ldb-tools)
ensure_samba_ad_dc() {
  local missing=() pkg
  for pkg in "${SAMBA_AD_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${missing[*]} (apt-get) for the Active Directory tests"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -o DPkg::Lock::Timeout=300 "${missing[@]}"; } >/dev/null 2>&1 ||
      echo "WARNING: could not install ${missing[*]}; the Active Directory tests will be skipped" >&2
  fi
}

activate() {
  # shellcheck disable=SC1091
  source "$VENV/bin/activate"
  PY39=$(find_python 3.9) || die "Python 3.9 (the Mac's /usr/bin/python3 version) not found; pyenv install 3.9"
  export MACSIM_PYTHON39="$PY39"
  # Only python3.9 itself goes on PATH (for ansible-test --python 3.9), not its whole
  # bin directory, whose python/pip would shadow the venv's.
  mkdir -p "$BUILD/bin"
  ln -sf "$PY39" "$BUILD/bin/python3.9"
  export PATH="$BUILD/bin:$PATH"
}
