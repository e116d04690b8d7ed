#!/usr/bin/env bash
# Runs the conformance tests, then fails if they left fixtures/ changed or untracked files in it:
# goldens change only by a reviewed `UPDATE_GOLDENS=1` run that is committed.
set -euo pipefail
cd "$(dirname "$0")/.."

CI="${CI:-1}" cargo test -p ews-conformance --locked

if ! git diff --exit-code -- fixtures/; then
  echo "ci/goldens-clean.sh: the tests changed fixtures/ (see the diff above)" >&2
  exit 1
fi
untracked="$(git ls-files --others --exclude-standard -- fixtures/)"
if [ -n "$untracked" ]; then
  printf 'ci/goldens-clean.sh: untracked files in fixtures/:\n%s\n' "$untracked" >&2
  exit 1
fi
echo "ci/goldens-clean.sh: fixtures/ is clean"
