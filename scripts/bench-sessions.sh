#!/usr/bin/env bash
# Keep-alive cost of holding many locks, on a real 3-process cluster (the fat jar): one session
# holding N locks with one KeepAlive per third of its TTL, against N client-owned locks each
# renewed on its own (the way before sessions), driven by io.raftlock.bench.SessionKeepAliveBench.
# Prints requests/s, committed entries/s, leader CPU and locks lost (must be 0) for both ways.
#   scripts/bench-sessions.sh [--locks 10000] [--ttl-s 10] [--hold-s 30]
# The shipped API settings: the per-lock way sends N renewals per TTL/3 under one client id.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
for a in "$@"; do
  case "$a" in -h|--help) sed -n '2,7p' "$0"; exit 0 ;; esac
done
JAR=target/raftlock.jar
build_jar_if_stale
CP=$(test_classpath)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/raftlock-bench-sessions.XXXXXX")
PIDS=()
on_exit_stop_bench "$WORK"

start_bench_cluster "$WORK" "$JAR" '{}' # the shipped API settings
java "${CHRONICLE_FLAGS[@]}" -Xmx1g -cp "$CP" io.raftlock.bench.SessionKeepAliveBench --nodes "$BENCH_NODES" "$@"
