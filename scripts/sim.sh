#!/usr/bin/env bash
# Runs the seeded Raft cluster simulator outside the test suite.
#   scripts/sim.sh                 1,000 seeds starting at 1
#   scripts/sim.sh 100000          100,000 seeds (an overnight run), starting at 1
#   scripts/sim.sh 5000 20001      5,000 seeds starting at 20001
#   scripts/sim.sh --seed 4102     replay one seed with its fault plan and full report
# Exits non-zero when any seed fails; each failure prints its plan and a replay command.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
cp=$(test_classpath)
if [ "${1:-}" = "--seed" ]; then
  exec java -cp "$cp" io.raftlock.sim.SimulationMain --seed "$2"
fi
exec java -cp "$cp" io.raftlock.sim.SimulationMain "${2:-1}" "${1:-1000}"
