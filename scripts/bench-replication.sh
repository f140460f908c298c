#!/usr/bin/env bash
# Replication throughput of a 3-node cluster in one JVM (gRPC on loopback, Chronicle log with
# fsync), 128-byte proposals from an in-process driver on the leader.
#   scripts/bench-replication.sh [seconds] [window...]     default: 10 s, windows 1 64 1024
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
exec java "${CHRONICLE_FLAGS[@]}" -Xmx2g -cp "$(test_classpath)" io.raftlock.node.bench.ReplicationBench "$@"
