#!/usr/bin/env bash
# Installs the real MongoDB wire-protocol server the migration tests run against: SecantusDB, a
# WiredTiger-based server that reports itself as a one-member replica set and serves change streams.
# It goes into a virtual environment under .test-servers/ (ignored by git), so nothing is installed
# system-wide. Idempotent: when the pinned version is already there it only prints where the binary is.
# Prints the path of `secantusd-py` as its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

# A pre-release, so the pin must be exact: pip would not pick a beta by itself.
SECANTUS_VERSION='0.7.0b3'
venv=".test-servers/secantus"
bin="$venv/bin/secantusd-py"

installed_version() {
  "$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("SecantusDB"))' 2>/dev/null || true
}

if [ -x "$bin" ] && [ "$(installed_version)" = "$SECANTUS_VERSION" ]; then
  echo "$(pwd)/$bin"
  exit 0
fi

# The wheel carries native code built for CPython 3.11; prefer an interpreter of that version.
python=''
for candidate in python3.11 python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    python="$candidate"
    break
  fi
done
if [ -z "$python" ]; then
  echo "install-test-servers: SecantusDB needs CPython 3.11 (python3.11 or python3 of that version)" >&2
  exit 1
fi

rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "SecantusDB==$SECANTUS_VERSION"
[ -x "$bin" ] || { echo "install-test-servers: $bin missing after the install" >&2; exit 1; }
echo "$(pwd)/$bin"
