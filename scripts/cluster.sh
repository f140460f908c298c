#!/usr/bin/env bash
# A local 3-node RaftLock cluster from conf/node-{1,2,3}.json. Logs, pids and data live under
# run/ (wipe it with `scripts/cluster.sh wipe`).
#   scripts/cluster.sh start            build the jar if missing, start the nodes, wait for a leader
#   scripts/cluster.sh status           role, term and indexes of each node
#   scripts/cluster.sh stop             SIGTERM every node (graceful)
#   scripts/cluster.sh kill NODE        kill -9 one node (e.g. node-2)
#   scripts/cluster.sh restart NODE     start one stopped node again
#   scripts/cluster.sh leader           print the leader's id
#   scripts/cluster.sh wipe             stop everything and delete run/
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=run
NODES=(node-1 node-2 node-3)
JAR=target/raftlock.jar

# conf/node-N.json gives node-N the client port 800N.
client_port() { echo $((8000 + ${1#node-})); }
pid_of() { cat "$RUN/pids/$1.pid" 2>/dev/null || true; }
alive() { local p; p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

start_node() {
  local n=$1
  if alive "$n"; then echo "$n already running (pid $(pid_of "$n"))"; return; fi
  mkdir -p "$RUN/logs" "$RUN/pids"
  nohup java -Xmx256m -jar "$JAR" --config "conf/$n.json" >>"$RUN/logs/$n.log" 2>&1 &
  echo $! >"$RUN/pids/$n.pid"
  echo "started $n (pid $!, log $RUN/logs/$n.log)"
}

# GET /status over bash's /dev/tcp: works on a machine with only Java and Maven (no curl).
status_json() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET /status HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3 && cat <&3' _ "$(client_port "$1")" 2>/dev/null | sed '1,/^\r\{0,1\}$/d' || true
}

leader() {
  for n in "${NODES[@]}"; do
    if status_json "$n" | grep -q '"isLeader" : true'; then echo "$n"; return 0; fi
  done
  return 1
}

case "${1:-}" in
  start)
    [ -f "$JAR" ] || mvn -B -q package -DskipTests
    for n in "${NODES[@]}"; do start_node "$n"; done
    printf 'waiting for a leader'
    for _ in $(seq 1 60); do
      if l=$(leader); then printf '\nleader: %s\n' "$l"; exit 0; fi
      printf '.'; sleep 0.5
    done
    printf '\nno leader after 30 s; see %s/logs\n' "$RUN"; exit 1 ;;
  status)
    for n in "${NODES[@]}"; do
      if alive "$n"; then
        s=$(status_json "$n" | tr -d '\n ' )
        echo "$n pid $(pid_of "$n"): $(echo "$s" | grep -o '"role":"[A-Z_]*"\|"term":[0-9]*\|"leaderId":"[^"]*"\|"commitIndex":[0-9]*\|"appliedIndex":[0-9]*' | tr '\n' ' ')"
      else
        echo "$n: down"
      fi
    done ;;
  stop)
    for n in "${NODES[@]}"; do alive "$n" && kill -TERM "$(pid_of "$n")" && echo "stopping $n"; done
    for n in "${NODES[@]}"; do while alive "$n"; do sleep 0.2; done; done ;;
  kill)
    if alive "$2"; then
      kill -9 "$(pid_of "$2")"
      while alive "$2"; do sleep 0.05; done
      echo "killed $2"
    fi ;;
  restart)
    start_node "$2" ;;
  leader)
    leader ;;
  wipe)
    "$0" stop || true; rm -rf "$RUN"; echo "removed $RUN/" ;;
  *)
    sed -n '2,11p' "$0"; exit 2 ;;
esac
