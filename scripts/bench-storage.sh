#!/usr/bin/env bash
# Storage benchmark: raw fdatasync floor, append->durable latency, group-commit throughput with
# 1/16/256 producers, recovery time of a 1,000,000-entry log. Not a test: it prints figures.
# Usage: scripts/bench-storage.sh [scratch-dir] [seconds-per-throughput-run]
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib.sh
exec java "${CHRONICLE_FLAGS[@]}" -Xmx2g -cp "$(test_classpath)" io.raftlock.storage.bench.StorageBench \
  "${1:-target/bench-storage}" "${2:-5}"
