#!/usr/bin/env bash
# Catch-up of a new member from empty: a 3-node cluster in one JVM applies ENTRIES lock commands
# (default snapshot cadence), then a 4th node joins and the time to learner, snapshot installed and
# caught up is measured; a 5th joins the same way under a light write load.
#   scripts/bench-catchup.sh [ENTRIES]     default: 1000000
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
exec java "${CHRONICLE_FLAGS[@]}" -Xmx2g -cp "$(test_classpath)" io.raftlock.membership.bench.CatchUpBench "$@"
