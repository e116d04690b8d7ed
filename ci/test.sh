#!/usr/bin/env bash
# The whole test suite, as the README's test command and CI run it. Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Microsoft's EWS schema is not ours to ship; tests read it from EWS_XSD_DIR when set.
if [ -z "${EWS_XSD_DIR:-}" ] && [ -d ../shared/protocol/xsd/exo-2018-smartlet ]; then
  EWS_XSD_DIR="$(cd ../shared/protocol/xsd/exo-2018-smartlet && pwd)"
  export EWS_XSD_DIR
fi

step() { printf '\n==> %s\n' "$*"; }

# One Python virtual environment (pinned exchangelib, pytest, lxml) serves the interop suite and
# the conformance schema check (libxml2 through lxml).
step "python venv"
ci/interop/exchangelib/run.sh --setup
EWS_PYTHON="$(pwd)/ci/interop/exchangelib/.venv/bin/python"
export EWS_PYTHON

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
CI=1 cargo test --workspace --locked

step "cargo doc -D warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --document-private-items --locked

for extra in ci/interop/*/run.sh ci/goldens-clean.sh; do
  if [ -x "$extra" ]; then
    step "$extra"
    "$extra"
  fi
done
printf '\nci/test.sh: all checks passed\n'
