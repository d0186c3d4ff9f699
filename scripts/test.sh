#!/usr/bin/env bash
# The one test command (README, .ci/run): install what the tests need, then run each layer and say
# how long it took: deps (every needed binary comes from a listed Debian package), typecheck, lint, format (Prettier), host-program (the deploy program's Python tests), unit (mock engine, renderers, policy), integration (real
# binaries on loopback). With arguments, the vitest layers become one run of `vitest run ARGS...`
# (e.g. a test file), after typecheck and lint.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export PATH="$PATH:/usr/sbin:/sbin"

times=()
# layer NAME COMMAND...: runs one layer; prints its wall time, also when it fails.
layer() {
  local name=$1
  shift
  echo "test: $name"
  local start status=0
  start=$(date +%s%N)
  "$@" || status=$?
  local secs
  secs=$(awk -v ns="$(($(date +%s%N) - start))" 'BEGIN { printf "%.1f", ns / 1e9 }')
  times+=("$name ${secs} s")
  if [ "$status" -ne 0 ]; then
    echo "test: $name FAILED after ${secs} s (exit $status)"
    exit "$status"
  fi
  echo "test: $name passed in ${secs} s"
}

layer deps bash scripts/check-deps.sh
layer typecheck npx tsc --noEmit -p .
layer lint npx eslint .
layer format npx prettier --check --log-level warn .
# The deploy program's own unit tests (stdlib unittest, a fake runner: no root, no Docker), under the
# interpreter the program runs with on the host (#!/usr/bin/python3).
layer host-program bash -c 'cd host/tests && /usr/bin/python3 -m unittest discover -q' 
if [ $# -gt 0 ]; then
  layer vitest npx vitest run "$@"
else
  layer unit npx vitest run --project unit
  layer integration npx vitest run --project integration
fi
echo "test: all passed; layer times: $(IFS=,; echo "${times[*]}" | sed 's/,/, /g')"
