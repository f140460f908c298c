#!/usr/bin/env bash
# How long a state-machine snapshot stalls the Raft event loop: on the loop (as before) against
# built on a worker (as now), one node, in one run.
#   scripts/bench-snapshot.sh [locks] [snapshots]     default: 1000000 locks, 3 snapshots
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
exec java "${CHRONICLE_FLAGS[@]}" -Xmx6g -cp "$(test_classpath)" io.raftlock.node.bench.SnapshotStallBench "$@"
