#!/usr/bin/env bash
# Client API load: a real 3-process cluster (the fat jar, data in a temp dir, the shipped
# configuration) driven by io.raftlock.bench.ApiLoadBench over gRPC:
# the no-commit floor (64 clients, two stale reads per "pair"; --floor-clients 0 skips it),
# acquire+release pairs at 1, 8 and 64 clients on the leader and 64 through a follower, lock
# handoffs between 16 watching waiters, then (unless --no-profile) the 64-client and handoff runs
# again with a JFR recording of the leader, summarized to target/bench-api/.
#   scripts/bench-api.sh [--quick] [--no-profile] [--warmup S] [--measure S] [--clients 1,8,64] ...
# Extra arguments go to ApiLoadBench. NODE_JVM_OPTS overrides the nodes' heap flags.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
JAR=${RAFTLOCK_JAR:-target/raftlock.jar} # RAFTLOCK_JAR: compare another build (A/B runs)
PROFILE_DIR=target/bench-api

args=()
profile=1
for a in "$@"; do
  case "$a" in -h|--help) sed -n '2,9p' "$0"; exit 0 ;; esac
done
for a in "$@"; do
  if [ "$a" = "--no-profile" ]; then profile=0; else args+=("$a"); fi
done
[ "$profile" = 1 ] && args+=(--profile "$PROFILE_DIR")

if [ -z "${RAFTLOCK_JAR:-}" ] && { [ ! -f "$JAR" ] || [ -n "$(find src/main pom.xml -newer "$JAR" -print -quit)" ]; }; then
  echo "building $JAR"
  mvn -B -q -DskipTests package
fi
CP=$(test_classpath)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/raftlock-bench-api.XXXXXX")
PIDS=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 75); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ "$rc" != 0 ]; then
    for log in "$WORK"/node-*/node.log; do
      [ -f "$log" ] && { echo "--- tail of $(basename "$(dirname "$log")") log"; tail -n 20 "$log"; }
    done
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free loopback ports: nothing answers a connect on them (and no two are equal).
used=" "
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    case "$used" in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then used="$used$p "; echo "$p"; return; fi
  done
}

NODES=(node-1 node-2 node-3)
declare -A PEER CLIENT
for n in "${NODES[@]}"; do PEER[$n]=$(free_port); used="$used${PEER[$n]} "; CLIENT[$n]=$(free_port); used="$used${CLIENT[$n]} "; done
members=""
for n in "${NODES[@]}"; do
  [ -n "$members" ] && members="$members,"
  members="$members
    \"$n\": { \"peerAddress\": \"127.0.0.1:${PEER[$n]}\", \"clientAddress\": \"127.0.0.1:${CLIENT[$n]}\" }"
done
node_arg=""
for n in "${NODES[@]}"; do
  mkdir -p "$WORK/$n"
  cat >"$WORK/$n/node.json" <<JSON
{
  "nodeId": "$n",
  "dataDir": "$WORK/$n/data",
  "members": {$members
  }
}
JSON
  # The jar's manifest carries Chronicle's Add-Exports/Add-Opens; -D disables its analytics.
  # shellcheck disable=SC2086
  java ${NODE_JVM_OPTS:--Xmx512m} -Dchronicle.analytics.disable=true -jar "$JAR" --config "$WORK/$n/node.json" \
    >"$WORK/$n/node.log" 2>&1 &
  PIDS+=($!)
  node_arg="$node_arg${node_arg:+,}$n=127.0.0.1:${CLIENT[$n]}:$!"
done

printf 'waiting for a leader'
leader=""
for _ in $(seq 1 120); do
  for n in "${NODES[@]}"; do
    if curl -s --max-time 1 "http://127.0.0.1:${CLIENT[$n]}/status" | grep -q '"leaderReady" : true'; then leader=$n; fi
  done
  [ -n "$leader" ] && break
  printf '.'; sleep 0.5
done
[ -n "$leader" ] || { printf '\nno leader after 60 s\n'; exit 1; }
printf '\nleader: %s\n' "$leader"

java "${CHRONICLE_FLAGS[@]}" -Xmx1g -cp "$CP" io.raftlock.bench.ApiLoadBench --nodes "$node_arg" "${args[@]}"
