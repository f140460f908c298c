#!/usr/bin/env bash
# Client API load: a real 3-process cluster (the fat jar, data in a temp dir, the shipped
# configuration) driven by io.raftlock.bench.ApiLoadBench over gRPC:
# the no-commit floor (64 clients, two stale reads per "pair"; --floor-clients 0 skips it),
# acquire+release pairs at 1, 8 and 64 clients on the leader and 64 through a follower, lock
# handoffs between 16 watching waiters, then (unless --no-profile) the 64-client and handoff runs
# again with a JFR recording of the leader, summarized to target/bench-api/.
#   scripts/bench-api.sh [--quick] [--no-profile] [--warmup S] [--measure S] [--clients 1,8,64] ...
# Extra arguments go to ApiLoadBench. NODE_JVM_OPTS overrides the nodes' heap flags.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
JAR=${RAFTLOCK_JAR:-target/raftlock.jar} # RAFTLOCK_JAR: compare another build (A/B runs)
PROFILE_DIR=target/bench-api

args=()
profile=1
for a in "$@"; do
  case "$a" in -h|--help) sed -n '2,9p' "$0"; exit 0 ;; esac
done
for a in "$@"; do
  if [ "$a" = "--no-profile" ]; then profile=0; else args+=("$a"); fi
done
[ "$profile" = 1 ] && args+=(--profile "$PROFILE_DIR")

if [ -z "${RAFTLOCK_JAR:-}" ] && { [ ! -f "$JAR" ] || [ -n "$(find src/main pom.xml -newer "$JAR" -print -quit)" ]; }; then
  echo "building $JAR"
  mvn -B -q -DskipTests package
fi
CP=$(test_classpath)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/raftlock-bench-api.XXXXXX")
PIDS=()
on_exit_stop_bench "$WORK"

start_bench_cluster "$WORK" "$JAR" '{}' # the shipped API settings
node_arg=$BENCH_NODES

java "${CHRONICLE_FLAGS[@]}" -Xmx1g -cp "$CP" io.raftlock.bench.ApiLoadBench --nodes "$node_arg" "${args[@]}"
