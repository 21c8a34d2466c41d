#!/usr/bin/env bash
# Open Bangkok: set up, validate, build, serve and test.
#   ./build.sh            create .venv when missing, install, validate and build build/openbangkok.db
#   ./build.sh serve      the same, then serve the site on http://127.0.0.1:8001
#   ./build.sh test       install the test extra (and Chromium with Thai fonts), run pytest
#   ./build.sh validate   check the datasets only
#   ./build.sh lock       refresh requirements.lock and requirements-test.lock from pyproject.toml (needs PyPI)
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv

# Install exactly what the lock file names (every package pinned, with its hashes), then the project
# itself without dependencies; again only when the lock file has changed since the last install.
install() {
  local extra=$1 lock=requirements${1:+-$1}.lock stamp="$VENV/.installed${1:+-$1}"
  make_venv
  local want
  want=$(cat "$lock" pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r "$lock"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
    "$VENV/bin/python" -m pip check >/dev/null || { "$VENV/bin/python" -m pip check >&2; exit 1; }
    echo "$want" > "$stamp"
  fi
}

make_venv() {
  [ -x "$VENV/bin/python" ] && return 0
  if ! "$PYTHON" -m venv "$VENV"; then
    # Debian's python3 ships venv separately (python3-venv); install it where we may.
    rm -rf "$VENV"
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      "$PYTHON" -m venv "$VENV"
    else
      echo "error: '$PYTHON -m venv' failed; install the python3-venv package and run again" >&2
      exit 1
    fi
  fi
}

# Resolve pyproject.toml again on purpose (newest versions the ranges allow) into the two lock files.
# Commit them with the change that needed them; `./build.sh` and CI install only from them.
UV_VERSION=0.13.10
lock() {
  make_venv
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  local compile=("$VENV/bin/uv" pip compile pyproject.toml --quiet --universal --python-version 3.11
                 --generate-hashes --no-header)
  # The test lock first; the runtime lock is then held to its versions, so `./build.sh build` after
  # `./build.sh test` never swaps a package the test tools need (pip check would fail).
  "${compile[@]}" --extra test -o requirements-test.lock
  local same; same=$(mktemp)
  sed -nE 's/^([A-Za-z0-9][A-Za-z0-9._-]*==[^ ;\\]+).*/\1/p' requirements-test.lock >"$same"
  "${compile[@]}" --constraint "$same" -o requirements.lock
  rm -f "$same"
  echo "wrote requirements.lock and requirements-test.lock"
}

# Chromium and Thai fonts for the browser tests, from Debian's packages, when we are allowed to.
system_packages() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  # read fc-list whole: with pipefail, grep -q closing the pipe early made fc-list "fail" (SIGPIPE),
  # so the fonts were installed again (apt-get update included) at every run
  local fonts
  fonts=$(fc-list 2>/dev/null || true)
  grep -qi "loma\|garuda\|tlwg" <<<"$fonts" || missing+=(fonts-thai-tlwg)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" fontconfig >/dev/null
  else
    echo "warning: ${missing[*]} missing and cannot be installed here; browser tests will be skipped" >&2
  fi
}

build() {
  "$VENV/bin/openbkk" build
}

case "${1:-build}" in
  build)    install ""; build ;;
  validate) install ""; "$VENV/bin/openbkk" validate ;;
  serve)    install ""; build; exec "$VENV/bin/openbkk" serve --host "${HOST:-127.0.0.1}" --port "${PORT:-8001}" ;;
  # the suite on every core (pytest-xdist); a module's tests that share a module-scoped fixture, and
  # the browser tests, run together on one worker (tests/conftest.py); TEST_WORKERS=0: in this process
  test)     install test; system_packages; shift
            exec "$VENV/bin/python" -m pytest -n "${TEST_WORKERS:-auto}" --dist loadgroup "$@" ;;
  lock)     lock ;;
  *)        echo "usage: ./build.sh [build|validate|serve|test [pytest args]|lock]" >&2; exit 2 ;;
esac
