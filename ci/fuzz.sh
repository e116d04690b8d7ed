#!/usr/bin/env bash
# Coverage-guided fuzzing of ews-mock's whole request path for a bounded time (FUZZ_SECONDS,
# default 60). Not part of ci/test.sh (it takes minutes to build and run); see fuzz/README.md.
#
# Uses cargo-fuzz (libFuzzer) on the stable toolchain with `--sanitizer none`: libFuzzer's
# coverage instrumentation (-Cpasses=sancov-module) is a stable codegen option; only the
# sanitizers need nightly. Safe Rust (the workspace forbids `unsafe`) gains little from ASan.
#
# Exits non-zero on a crash (a panic, or a broken invariant: see mock-server/src/fuzzing.rs),
# leaving the input in fuzz/artifacts/request_path/; make it a regression test by copying it to
# mock-server/tests/fuzz-regressions/<what-it-breaks>.bin (tests/fuzz_regressions.rs replays it).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
target=request_path

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "ci/fuzz.sh: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
if ! c++ --version >/dev/null 2>&1; then
  echo "ci/fuzz.sh: libFuzzer is C++; install a C++ compiler (apt-get install g++)" >&2
  exit 1
fi

# Seeds and dictionary from fixtures/ and the exchangelib captures, rebuilt every run; the corpus
# the fuzzer grows is kept in fuzz/corpus/ between runs (not committed).
python3 fuzz/make_seeds.py fuzz/work
mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"

cd fuzz
status=0
cargo fuzz run --sanitizer none "$target" "corpus/$target" work/seeds -- \
  -dict=work/ews.dict \
  -max_total_time="$seconds" \
  -timeout=5 \
  -rss_limit_mb=2048 \
  -print_final_stats=1 || status=$?

if [ "$status" -ne 0 ]; then
  echo >&2
  echo "ci/fuzz.sh: the fuzzer found a crash (exit $status); input(s) in fuzz/artifacts/$target/:" >&2
  ls -1 "artifacts/$target" >&2 || true
  echo "Reproduce: (cd fuzz && cargo fuzz run -s none $target artifacts/$target/<file>)" >&2
  echo "Then copy it to mock-server/tests/fuzz-regressions/<what-it-breaks>.bin and fix it." >&2
  exit "$status"
fi
echo "ci/fuzz.sh: ${seconds}s of fuzzing, no crash"
