#!/usr/bin/env bash
# Peer transport round trips between two in-process transports on loopback.
# Usage: scripts/bench-transport.sh [seconds=10] [warmupSeconds=3] [windows=1,16,128]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
exec java -Xms512m -Xmx1g -cp "$(test_classpath)" io.raftlock.transport.bench.TransportBench "$@"
