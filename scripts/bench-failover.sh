#!/usr/bin/env bash
# Leader failover of a real 3-process cluster: kill -9 the leader N times (default 20) and time
# until another node leads with an entry of its term committed. Prints each kill and a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
mvn -B -q package -DskipTests
exec java -cp "$(test_classpath)" io.raftlock.it.FailoverBench "${1:-20}" target/raftlock.jar
