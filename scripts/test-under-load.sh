#!/usr/bin/env bash
# Runs the whole test suite RUNS times in a row (default 3) while stress-ng keeps every core
# busy, as on a shared CI runner, and prints each run's duration and counts. Exits non-zero
# if any run had a failing or cancelled test. Each run's full output is kept in a log file.
#
#   bash scripts/test-under-load.sh [RUNS]
#
# BOREALIS_TEST_TIME_SCALE (test/support/time-scale.ts) passes through to the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-3}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bash scripts/test-under-load.sh [RUNS]  (RUNS a positive integer, not \"$runs\")" >&2
  exit 2
fi

# shellcheck source=lib/apt.sh
source scripts/lib/apt.sh
command -v stress-ng >/dev/null || apt_install stress-ng
[ -f /usr/share/java/zookeeper.jar ] || apt_install zookeeper
npm run build --silent

cores="$(nproc)"
logs="$(mktemp -d -t borealis-load-XXXXXX)"
# Its own process group, so stopping it stops every worker it forked, and nothing else.
setsid stress-ng --cpu "$cores" --quiet &
stress=$!
trap 'kill -TERM -- "-$stress" 2>/dev/null || true; wait "$stress" 2>/dev/null || true' EXIT
echo "stress-ng keeps all $cores cores busy; logs in $logs"

count() { # count WORD LOG: the runner's closing "# WORD N" line
  sed -n "s/^# $1 \([0-9][0-9]*\)$/\1/p" "$2" | tail -n 1
}

failed_runs=0
for run in $(seq 1 "$runs"); do
  log="$logs/run-$run.txt"
  started=$SECONDS
  status=0
  node --test --test-concurrency=2 --test-timeout=600000 dist/test/ >"$log" 2>&1 || status=$?
  took=$((SECONDS - started))
  tests="$(count tests "$log")" pass="$(count pass "$log")"
  fail="$(count fail "$log")" cancelled="$(count cancelled "$log")"
  printf 'run %d/%d: %d s, %s tests: %s passed, %s failed, %s cancelled\n' \
    "$run" "$runs" "$took" "${tests:-?}" "${pass:-?}" "${fail:-?}" "${cancelled:-?}"
  if [ "$status" -ne 0 ] || [ "${fail:-1}" != 0 ] || [ "${cancelled:-1}" != 0 ]; then
    failed_runs=$((failed_runs + 1))
    grep -E '^ *not ok ' "$log" | sed 's/^/  /' || true
  fi
done

if [ "$failed_runs" -ne 0 ]; then
  echo "$failed_runs of $runs runs failed; see $logs"
  exit 1
fi
echo "all $runs runs passed"
