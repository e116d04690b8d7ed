#!/usr/bin/env bash
# The exchangelib interop suite: a real EWS client (exchangelib, pinned) against the standalone
# `ews-mock` binary on the demo tenant. Creates its Python virtual environment on first use
# (PyPI is the only network it needs), builds the binary, runs pytest. Extra arguments go to
# pytest, e.g. `ci/interop/exchangelib/run.sh -k impersonation -x`. `--setup` only makes the venv
# (ci/test.sh uses its python, which has lxml, for the conformance schema check).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
venv="$here/.venv"
# The exact versions the suite is written against. Bump them together with the tests.
requirements=(exchangelib==5.6.0 pytest==8.4.2 lxml==6.2.0)

python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; then
  echo "ci/interop/exchangelib: needs Python >= 3.9 as '$python' (set PYTHON=...)" >&2
  exit 1
fi

# A stamp records what the venv holds, so a changed pin rebuilds it and a half-made venv
# (an interrupted install) is not mistaken for a finished one.
stamp="$venv/.ews-kit-requirements"
wanted="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])') ${requirements[*]}"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "ci/interop/exchangelib: creating $venv (${requirements[*]})"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "${requirements[@]}"
  printf '%s' "$wanted" >"$stamp"
fi

if [ "${1:-}" = "--setup" ]; then
  exit 0
fi

# The binary under test: EWS_MOCK_BIN if set (a prebuilt binary), else built where cargo puts
# it (cargo metadata honours CARGO_TARGET_DIR).
if [ -z "${EWS_MOCK_BIN:-}" ]; then
  cd "$repo"
  cargo build --quiet -p ews-mock --bin ews-mock
  target_dir="$(cargo metadata --format-version 1 --no-deps |
    "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
  EWS_MOCK_BIN="$target_dir/debug/ews-mock"
fi
if [ ! -x "$EWS_MOCK_BIN" ]; then
  echo "ci/interop/exchangelib: no ews-mock binary at $EWS_MOCK_BIN" >&2
  exit 1
fi
export EWS_MOCK_BIN

cd "$here"
status=0
"$venv/bin/python" -m pytest -p no:cacheprovider "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "ci/interop/exchangelib: pytest collected no tests; that is a failure" >&2
  exit 1
fi
exit "$status"
