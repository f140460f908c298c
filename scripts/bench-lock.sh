#!/usr/bin/env bash
# Lock state machine benchmarks: JMH throughput and snapshot/restore, then heap per lock/waiter.
# Usage: scripts/bench-lock.sh [extra JMH args]      (default: short settings, ~5 minutes)
#   JMH_ARGS='-wi 5 -i 10 -w 5s -r 5s' scripts/bench-lock.sh   for steadier figures
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib.sh
cp=$(test_classpath)

echo "== JMH: io.raftlock.lock.bench.LockStateMachineBench"
# shellcheck disable=SC2086
java -cp "$cp" org.openjdk.jmh.Main 'io\.raftlock\.lock\.bench\.LockStateMachineBench\..*' \
  ${JMH_ARGS:--wi 3 -i 5 -w 1s -r 2s} "$@"

echo "== Heap per held lock and per waiter (used heap after GC)"
java -Xms4g -Xmx4g -XX:+UseParallelGC -cp "$cp" io.raftlock.lock.bench.HeapPerLock \
  "${HEAP_LOCKS:-1000000}"
