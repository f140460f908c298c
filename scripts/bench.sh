#!/usr/bin/env bash
# RaftLock and etcd side by side on this machine: a 3-process RaftLock cluster and a 3-member etcd
# cluster on loopback (data in a temp dir, default durability, the shipped RaftLock configuration:
# no limit raised), the workloads of TESTING.md run against both, alternating systems (R, E, R, E,
# ...), then the JSON results in target/bench/ and the summary tables in docs/benchmarks.md.
#   W1      acquire+release pairs at 1, 8 and 64 clients; RaftLock through RaftLockClient, one
#           client per simulated user (a thread calling tryLock/unlock)
#   shared  W1 with 64 users sharing one RaftLockClient (a service with many threads)
#   floor   ApiLoadBench, the raw asynchronous gRPC driver, in the same run: W1 at 1 and 64 clients and
#           W2, so the client's own cost is visible next to what the server gives
#   W2      16 contenders handing off one lock: handoffs/s, next grant after the release call
#   W3      kill -9 of the leader during W1 with 8 clients (raw stubs with a retry policy)
# CPU per pair of the leader, the followers and the client JVM, and the safety checks (occupancy,
# tokens, same-client re-grants in W2), in every run. Everything started here is stopped on exit,
# also on failure or Ctrl-C.
#   scripts/bench.sh [--quick] [--runs N] [--warmup S] [--measure S] [--session-warmup S]
#                    [--clients 1,8,64] [--shared-users 64] [--workloads w1,shared,floor,w2,w3] [--md FILE]
#                    [--profile DIR] [--secure] [--no-etcd]
# --quick: a smoke run: one short run per system (1 s warm-up, 3 s measured), a few minutes; its
# tables go to target/bench/benchmarks-smoke.md instead of docs/benchmarks.md (--md FILE: elsewhere).
# --profile DIR: after the first RaftLock run's workloads, W1 at the largest client count again
# through RaftLockClient and through ApiLoadBench, with JFR of the leader and the driver (DIR/*.txt).
# --secure: a second 3-process RaftLock cluster with TLS on the client and peer ports (mutual TLS
# between members) and auth on, driven as a principal whose role allows the benchmark's locks; W1,
# shared and W2 through RaftLockClient (over TLS, with the API key) run on it right after each
# plaintext RaftLock run, and the summary compares the two. --no-etcd: no etcd cluster.
# --session-warmup S: at the start of every run, each workload once for S s, not recorded, in the
# driver JVM that then measures (W3 excepted), so that the JITs of the driver (client library,
# jetcd) and of the RaftLock nodes have compiled the hot paths before anything is measured.
# Defaults: 3 runs per system, 5 s warm-up and 15 s measured per workload, 15 s session warm-up.
set -euo pipefail
cd "$(dirname "$0")/.."

for a in "$@"; do
  case "$a" in -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
done
. scripts/lib.sh

runs=3
warmup=5
measure=15
session_warmup=15
clients=1,8,64
shared_users=64
workloads=w1,shared,floor,w2,w3
md=docs/benchmarks.md
profile=()
secure=0
etcd=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) runs=1; warmup=1; measure=3; session_warmup=5; md=target/bench/benchmarks-smoke.md ;;
    --runs) runs=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --measure) measure=$2; shift ;;
    --session-warmup) session_warmup=$2; shift ;;
    --clients) clients=$2; shift ;;
    --shared-users) shared_users=$2; shift ;;
    --workloads) workloads=$2; shift ;;
    --md) md=$2; shift ;;
    --profile) profile=(--profile "$2"); shift ;;
    --secure) secure=1 ;;
    --no-etcd) etcd=0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

OUT=target/bench
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
build_jar_if_stale
CP=$(test_classpath)
if [ "$etcd" = 1 ]; then
  command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1 || scripts/install-etcd.sh
fi
SYSTEMS=(raftlock)
[ "$secure" = 1 ] && SYSTEMS+=(raftlock-secure)
[ "$etcd" = 1 ] && SYSTEMS+=(etcd)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/raftlock-bench.XXXXXX")
declare -A PID
DRIVER=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$DRIVER" ] && kill -TERM "$DRIVER" 2>/dev/null
  stop_pids "${PID[@]}"
  if [ "$rc" != 0 ]; then
    for log in "$WORK"/*/member.log; do
      [ -f "$log" ] && { echo "--- tail of $(basename "$(dirname "$log")") log"; tail -n 15 "$log"; }
    done
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- RaftLock: 3 node processes
# (--secure: 3 more, TLS and auth on, whose directories and keys here are secure-node-N; their
# node ids are node-N, which their certificates name)
RNODES=(node-1 node-2 node-3)
SNODES=(secure-node-1 secure-node-2 secure-node-3)
CERTS=$WORK/secure-certs
declare -A RPEER RCLIENT
# write_raftlock_configs KEY...: WORK/KEY/node.json for a cluster of these members (free ports;
# secure-* members get the tls section of tls_json).
write_raftlock_configs() {
  local n members=""
  for n in "$@"; do free_port "RPEER[$n]"; free_port "RCLIENT[$n]"; done
  for n in "$@"; do
    members="$members${members:+,}
    \"${n#secure-}\": { \"peerAddress\": \"127.0.0.1:${RPEER[$n]}\", \"clientAddress\": \"127.0.0.1:${RCLIENT[$n]}\" }"
  done
  for n in "$@"; do
    mkdir -p "$WORK/$n"
    cat >"$WORK/$n/node.json" <<JSON
{
  "nodeId": "${n#secure-}",
  "dataDir": "$WORK/$n/data",
  "members": {$members
  }$(tls_json "$n")
}
JSON
  done
}
# The tls section of a secure member: its certificate on the client port (server authentication;
# clients prove who they are with the API key) and mutual TLS with the others on the peer port.
tls_json() {
  case "$1" in
    secure-*) local id=${1#secure-}
      printf ',\n  "tls": {\n    "client": { "certFile": "%s", "keyFile": "%s" },\n' "$CERTS/$id.pem" "$CERTS/$id-key.pem"
      printf '    "peer": { "certFile": "%s", "keyFile": "%s", "caFile": "%s" }\n  }' "$CERTS/$id.pem" \
        "$CERTS/$id-key.pem" "$CERTS/ca.pem" ;;
  esac
}
write_raftlock_configs "${RNODES[@]}"
if [ "$secure" = 1 ]; then
  java "${CHRONICLE_FLAGS[@]}" -cp "$CP" io.raftlock.bench.SecureBenchSetup certs "$CERTS" node-1,node-2,node-3
  write_raftlock_configs "${SNODES[@]}"
fi
# node_status KEY: the member's /status (over TLS for a secure member), empty if it does not answer.
node_status() {
  case "$1" in
    secure-*) curl -s --max-time 1 --cacert "$CERTS/ca.pem" "https://127.0.0.1:${RCLIENT[$1]}/status" || true ;;
    *) curl -s --max-time 1 "http://127.0.0.1:${RCLIENT[$1]}/status" || true ;;
  esac
}
start_raftlock() {
  # The jar's manifest carries Chronicle's Add-Exports/Add-Opens; the heap limit is the issue's.
  java -Xmx256m -Dchronicle.analytics.disable=true -jar target/raftlock.jar --config "$WORK/$1/node.json" \
    >>"$WORK/$1/member.log" 2>&1 &
  PID[$1]=$!
  disown  # W3 kills members: no job-control notice for that
}

# ---------------------------------------------------------------- etcd: 3 members
ENODES=(e1 e2 e3)
declare -A EPEER ECLIENT
for n in "${ENODES[@]}"; do free_port "EPEER[$n]"; free_port "ECLIENT[$n]"; done
initial=""
for n in "${ENODES[@]}"; do initial="$initial${initial:+,}$n=http://127.0.0.1:${EPEER[$n]}"; done
start_etcd() {
  mkdir -p "$WORK/$1"
  # On a restart the data dir exists and the --initial-* flags are ignored.
  etcd --name "$1" --data-dir "$WORK/$1/data" \
    --listen-client-urls "http://127.0.0.1:${ECLIENT[$1]}" --advertise-client-urls "http://127.0.0.1:${ECLIENT[$1]}" \
    --listen-peer-urls "http://127.0.0.1:${EPEER[$1]}" --initial-advertise-peer-urls "http://127.0.0.1:${EPEER[$1]}" \
    --initial-cluster "$initial" --initial-cluster-token raftlock-bench --initial-cluster-state new \
    >>"$WORK/$1/member.log" 2>&1 &
  PID[$1]=$!
  disown
}
etcd_endpoints() {
  local e=""
  for n in "${ENODES[@]}"; do e="$e${e:+,}127.0.0.1:${ECLIENT[$n]}"; done
  echo "$e"
}

# Restarts members that are not running (the one W3 killed), then waits until the cluster serves:
# RaftLock: every node answers /status and one is a ready leader; etcd: every member is healthy.
ensure_up() {
  local system=$1 n ok i
  if [ "$system" != etcd ]; then
    local -a members=("${RNODES[@]}")
    [ "$system" = raftlock-secure ] && members=("${SNODES[@]}")
    for i in $(seq 1 240); do
      # (Re)start members that are not running, also one that exited while starting.
      if [ $((i % 20)) = 1 ]; then
        for n in "${members[@]}"; do [ -n "${PID[$n]:-}" ] && kill -0 "${PID[$n]}" 2>/dev/null || start_raftlock "$n"; done
      fi
      ok=0; local leader=0
      for n in "${members[@]}"; do
        s=$(node_status "$n")
        [ -n "$s" ] && ok=$((ok + 1))
        echo "$s" | grep -q '"leaderReady" : true' && leader=1
      done
      [ "$ok" = 3 ] && [ "$leader" = 1 ] && return 0
      sleep 0.25
    done
  else
    for i in $(seq 1 240); do
      if [ $((i % 20)) = 1 ]; then
        for n in "${ENODES[@]}"; do [ -n "${PID[$n]:-}" ] && kill -0 "${PID[$n]}" 2>/dev/null || start_etcd "$n"; done
      fi
      ETCDCTL_API=3 etcdctl --endpoints "$(etcd_endpoints)" --command-timeout=1s endpoint health >/dev/null 2>&1 && return 0
      sleep 0.25
    done
  fi
  echo "$system cluster not serving after 60 s" >&2
  return 1
}

# The driver JVM runs in the background and is awaited, so that Ctrl-C/TERM reach the trap at once.
# It logs as a node does (conf/logging.properties: libraries at WARNING), so Netty's INFO line for
# each frame that reaches a stream the driver has reset (every wait and watch a workload cancels)
# does not bury the results.
driver() {
  java "${CHRONICLE_FLAGS[@]}" -Djava.util.logging.config.file=conf/logging.properties -Xmx1g \
    -cp "$CP" io.raftlock.bench.CompareBench "$@" &
  DRIVER=$!
  wait "$DRIVER"
  DRIVER=""
}

nodes_arg() {
  local a="" n
  if [ "$1" = raftlock ]; then
    for n in "${RNODES[@]}"; do a="$a${a:+,}$n=127.0.0.1:${RCLIENT[$n]}:${PID[$n]}"; done
  elif [ "$1" = raftlock-secure ]; then
    for n in "${SNODES[@]}"; do a="$a${a:+,}${n#secure-}=127.0.0.1:${RCLIENT[$n]}:${PID[$n]}"; done
  else
    for n in "${ENODES[@]}"; do a="$a${a:+,}$n=127.0.0.1:${ECLIENT[$n]}:${PID[$n]}"; done
  fi
  echo "$a"
}

# system_args SYSTEM: SYSTEM_ARGS becomes the driver's system and access options for SYSTEM.
system_args() {
  case "$1" in
    raftlock-secure) SYSTEM_ARGS=(--system raftlock --ca "$CERTS/ca.pem" --api-key-file "$CERTS/bench.key") ;;
    *) SYSTEM_ARGS=(--system "$1") ;;
  esac
}

echo "starting clusters (${SYSTEMS[*]}) in $WORK (load average $load_at_start)"
for n in "${RNODES[@]}"; do start_raftlock "$n"; done
ensure_up raftlock
if [ "$secure" = 1 ]; then
  for n in "${SNODES[@]}"; do start_raftlock "$n"; done
  ensure_up raftlock-secure
  java "${CHRONICLE_FLAGS[@]}" -cp "$CP" io.raftlock.bench.SecureBenchSetup auth "$CERTS" \
    "127.0.0.1:${RCLIENT[secure-node-1]}"
fi
if [ "$etcd" = 1 ]; then
  for n in "${ENODES[@]}"; do start_etcd "$n"; done
  ensure_up etcd
fi

mkdir -p "$OUT"
rm -f "$OUT"/raftlock-run*.json "$OUT"/raftlock-secure-run*.json "$OUT"/etcd-run*.json
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
{
  echo "date (UTC)=$(date -u '+%Y-%m-%d %H:%M')"
  echo "cores (nproc)=$(nproc)"
  echo "memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "kernel=$(uname -sr)"
  echo "Java=$(java -version 2>&1 | head -n 1)"
  [ "$etcd" = 1 ] && echo "etcd=$(etcd --version | head -n 1 | sed 's/etcd Version: //')"
  [ "$secure" = 1 ] && echo "secure cluster (--secure)=TLS 1.3 on the client port, mutual TLS on the peer port (EC P-256), auth on, clients as principal bench"
  echo "RaftLock commit=$commit"
  echo "load average (1/5/15 min) at the start of the session=$load_at_start"
  echo "runs per system=$runs"
} >"$OUT/machine.txt"

# Every run warms up in its own driver JVM first (--jit-warmup): a driver is a fresh JVM at each
# run, and a warm-up in a separate JVM warmed the nodes but left the client library interpreted
# or half-compiled while the first workloads were measured.
for i in $(seq 1 "$runs"); do
  for system in "${SYSTEMS[@]}"; do
    ensure_up "$system"
    extra=()
    [ "$system" = raftlock ] && [ "$i" = 1 ] && extra=("${profile[@]}")
    system_args "$system"
    driver "${SYSTEM_ARGS[@]}" "${extra[@]}" \
      --nodes "$(nodes_arg "$system")" --run "$i" --out "$OUT/$system-run$i.json" \
      --warmup "$warmup" --measure "$measure" --clients "$clients" --shared-users "$shared_users" \
      --workloads "$workloads" --jit-warmup "$session_warmup"
  done
done

java -cp "$CP" io.raftlock.bench.CompareBench --summarize "$OUT" --machine "$OUT/machine.txt" --md "$md"
