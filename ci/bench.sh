#!/usr/bin/env bash
# The benchmark (issue 8): prints the table and writes target/bench/results.json and
# target/bench/performance.md. Asserts nothing; not part of ci/test.sh.
#   ci/bench.sh            full run (≈ 2 min: 3 rounds × 4 s per server, 1,000,000 items)
#   ci/bench.sh --quick    a smoke run (1 round × 1 s, 100,000 items)
#   ci/bench.sh --only ab  some of (a) throughput, (b) memory, (c) start-up, (d) client
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --locked -p ews-mock -p ews-bench
exec "$target/release/ews-bench" bench --mock-bin "$target/release/ews-mock" --out "$target/bench" "$@"
