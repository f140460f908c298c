#!/usr/bin/env bash
# The nemesis run of issue #11: a 3-node cluster of fat-jar JVMs on 127.0.0.1-3, 10 client JVMs
# on locks L0-L2 (TTL 2 s) writing to a fenced resource, and a seeded schedule of faults: kill -9,
# SIGSTOP of nodes and clients, nft partitions between nodes and of clients from nodes, packet
# loss, libfaketime clock jumps and rate changes, power loss on loop-mounted ext4 images (also
# tearing the unacknowledged log writes), disk full, client floods of the leader (a process sending
# 5,000 acquires/s for 2-5 s). Then the final heal, convergence,
# the node dumps and the history checker. Artifacts and summary.json go to the run directory.
#   scripts/nemesis.sh [--seed N] [--profile short|standard] [--out DIR] [--auth on|off]
# Default: the standard profile (~10 minutes; >= 30 kill -9, >= 30 partitions, >= 20 pauses,
# >= 10 power losses of which 4 torn, >= 6 client partitions, >= 5 clock episodes). Exit status 0
# only when the checker ran and found no violation, the replicas converged and no node exited on
# its own. Faults need root; without it they are skipped with a message. Everything started is
# removed at the end, also on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

seed=$(( $(date +%s) % 100000 ))
profile=standard
out=
auth=off
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed=$2; shift ;;
    --profile) profile=$2; shift ;;
    --out) out=$2; shift ;;
    --auth) auth=$2; shift ;;
    *) echo "unknown argument $1 (usage: scripts/nemesis.sh [--seed N] [--profile short|standard] [--out DIR] [--auth on|off])" >&2; exit 2 ;;
  esac
  shift
done
case "$profile" in short|standard) ;; *) echo "--profile must be short or standard" >&2; exit 2 ;; esac
case "$auth" in on|off) ;; *) echo "--auth must be on or off" >&2; exit 2 ;; esac
[ -n "$out" ] || out="target/nemesis/$profile-$seed"

scripts/install-nemesis-tools.sh
build_jar_if_stale
CP=$(test_classpath)
mkdir -p "$out"
echo "nemesis: profile $profile, seed $seed, auth $auth, run directory $out"
# The runner removes its nft table, mounts and processes itself, also on SIGINT/SIGTERM (shutdown hook).
exec java "${CHRONICLE_FLAGS[@]}" -cp "$CP" io.raftlock.nemesis.NemesisRunner \
  --seed "$seed" --profile "$profile" --out "$out" --jar target/raftlock.jar --classpath "$CP" --auth "$auth"
