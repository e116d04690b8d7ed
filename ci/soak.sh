#!/usr/bin/env bash
# The soak run (issue 7 item 7): a bounded mixed load (creates, views, injected faults, bad input,
# admin calls) against the standalone release binary, then checks memory is flat, no file
# descriptor leaked and every acknowledged item is present. Exit code 1 if a check fails.
# Not part of ci/test.sh.   ci/soak.sh [--secs N]   (default 90 s; ≤ 2 min in all)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --locked -p ews-mock -p ews-bench
exec "$target/release/ews-bench" soak --mock-bin "$target/release/ews-mock" --out "$target/bench" "$@"
