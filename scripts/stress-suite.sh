#!/usr/bin/env bash
# Runs the whole suite (`mvn -B verify`) N times in a row while `stress-ng --cpu WORKERS` keeps
# the CPUs busy beside it, and stops stress-ng afterwards (also on failure or Ctrl-C). Shows that
# the suite's deadlines, ports and blocked-thread checks hold on a starved machine.
#
#   scripts/stress-suite.sh            # 3 runs beside stress-ng --cpu 2
#   scripts/stress-suite.sh 5 4        # 5 runs beside stress-ng --cpu 4
#
# Stops at the first failing run; prints each run's result and wall time. Each run's Maven log is
# kept in target/stress-suite/run-N.log (`mvn verify` without `clean` leaves it there).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
CPU_WORKERS=${2:-2}
scripts/install-stress.sh >/dev/null
LOG_DIR=target/stress-suite
mkdir -p "$LOG_DIR"

stress-ng --cpu "$CPU_WORKERS" --timeout 0 --quiet &
STRESS_PID=$!
stop_stress() { kill "$STRESS_PID" 2>/dev/null || true; wait "$STRESS_PID" 2>/dev/null || true; }
trap stop_stress EXIT
trap 'exit 130' INT TERM
echo "stress-ng --cpu $CPU_WORKERS running (pid $STRESS_PID); $RUNS suite runs; logs in $LOG_DIR/"

for run in $(seq 1 "$RUNS"); do
  start=$(date +%s)
  if mvn -B verify >"$LOG_DIR/run-$run.log" 2>&1; then result=PASS; else result=FAIL; fi
  elapsed=$(( $(date +%s) - start ))
  printf 'run %d/%d: %s in %dm%02ds (load %s)\n' "$run" "$RUNS" "$result" $((elapsed / 60)) \
    $((elapsed % 60)) "$(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "$result" = FAIL ]; then
    grep -E 'Tests run:.*(Fail|Err)|<<< (FAIL|ERR)|\[ERROR\]' "$LOG_DIR/run-$run.log" | head -40
    exit 1
  fi
done
echo "all $RUNS runs passed under stress-ng --cpu $CPU_WORKERS"
