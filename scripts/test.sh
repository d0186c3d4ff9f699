#!/usr/bin/env bash
# The one test command (README, .ci/run): install what the tests need, typecheck, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export PATH="$PATH:/usr/sbin:/sbin"
echo "test: typecheck"
npx tsc --noEmit -p .
echo "test: vitest"
npx vitest run "$@"
