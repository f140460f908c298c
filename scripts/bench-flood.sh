#!/usr/bin/env bash
# One client must not cost the cluster its leader (issue 18): a real 3-process cluster (the fat
# jar, data in a temp dir, the shipped configuration) flooded with acquire requests at 10x its
# measured commit capacity, aimed at the leader, by io.raftlock.bench.FloodBench: from one
# WebSocket, one gRPC channel and 64 gRPC channels, while a polite client on a follower runs one
# acquire/renew/release at a time. Prints per variant the terms of every node before and after,
# leader changes, the polite client's p50/p99/max and errors, spurious expiries, the flood's
# admitted/refused counts and node CPU.
#   scripts/bench-flood.sh [--seconds 60] [--factor 10] [--calibrate-s 10] [--variants ws:1,grpc:1,grpc:64]
#                          [--rate R] [--profile DIR] [--flood-nice N]
# --variants burn:N (with --flood-nice): the control, a process that only spins N threads, sends nothing.
# --rate R: flood at R acquires/s instead of factor x the calibrated capacity.
# --flood-nice N: the flood from a process of its own, its niceness raised by N (19: clients on other machines).
# --profile DIR: a JFR recording of the leader per variant and its CPU-sample summary in DIR.
# The nodes' logs are copied to target/bench-flood/ (elections and their reasons are logged there).
# NODE_JVM_OPTS overrides the nodes' heap flags; RAFTLOCK_JAR runs another build (A/B runs);
# NODE_API_JSON replaces the nodes' "api" settings (default {}: the shipped ones); NODE_EXTRA_JSON
# adds top-level settings to every node's configuration (e.g. '"tickMs": 50').
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
for a in "$@"; do
  case "$a" in -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
done
JAR=${RAFTLOCK_JAR:-target/raftlock.jar}
[ -n "${RAFTLOCK_JAR:-}" ] || build_jar_if_stale
CP=$(test_classpath)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/raftlock-bench-flood.XXXXXX")
PIDS=()
on_exit_stop_bench "$WORK"

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
start_bench_cluster "$WORK" "$JAR" "${NODE_API_JSON:-{\}}"
rc=0
java "${CHRONICLE_FLAGS[@]}" -Xmx1g -cp "$CP" io.raftlock.bench.FloodBench --nodes "$BENCH_NODES" "$@" || rc=$?
mkdir -p target/bench-flood
for n in "$WORK"/node-*; do cp "$n/node.log" "target/bench-flood/$(basename "$n").log"; done
exit "$rc"
