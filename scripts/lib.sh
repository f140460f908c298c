# Shared by the scripts in this folder (source it after `cd` to the project root).

# The flags Chronicle Queue needs on Java 17: the same list as the pom's `chronicle.jvm.flags`
# (surefire) and the fat jar's Add-Exports/Add-Opens manifest attributes.
CHRONICLE_FLAGS=(
  --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED
  --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-exports=java.base/jdk.internal.util=ALL-UNNAMED
  --add-exports=java.base/sun.nio.ch=ALL-UNNAMED
  --add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  -Dchronicle.analytics.disable=true
)

# Compiles main and test classes and prints a classpath with them and every dependency.
test_classpath() {
  mvn -B -q test-compile dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/test-classpath.txt >/dev/null
  echo "target/test-classes:target/classes:$(cat target/test-classpath.txt)"
}

# Builds target/raftlock.jar when it is missing or older than the main sources or the pom.
build_jar_if_stale() {
  local jar=target/raftlock.jar
  if [ ! -f "$jar" ] || [ -n "$(find src/main pom.xml -newer "$jar" -print -quit)" ]; then
    echo "building $jar"
    mvn -B -q -DskipTests package
  fi
}

# `free_port VAR`: sets VAR to a free loopback port (nothing answers a connect on it) not handed
# out before in this shell (not called in a subshell, so that $USED_PORTS keeps the record). The
# ports are below Linux's ephemeral range (32768+), so outgoing connections do not take them
# between this check and the bind.
USED_PORTS=" "
free_port() {
  local p
  while :; do
    p=$((15000 + RANDOM % 17000))
    case "$USED_PORTS" in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      USED_PORTS="$USED_PORTS$p "
      printf -v "$1" '%s' "$p"
      return
    fi
  done
}

# Stops the given pids: SIGTERM, up to 15 s to exit, then SIGKILL.
stop_pids() {
  local p alive
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 75); do
    alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.2
  done
  for p in "$@"; do kill -9 "$p" 2>/dev/null || true; done
}

# `start_bench_cluster WORK JAR API_JSON`: starts a 3-process cluster of JAR with each node's data
# and log under WORK/node-N and `"api": API_JSON` in its config, appends the node pids to the
# caller's PIDS array, sets BENCH_NODES to "id=127.0.0.1:clientPort:pid,..." (what the Java
# drivers take as --nodes) and waits up to 60 s for a ready leader. NODE_JVM_OPTS overrides the
# nodes' heap flags; NODE_EXTRA_JSON adds top-level members to every node's configuration (e.g.
# '"tickMs": 50').
start_bench_cluster() {
  local work=$1 jar=$2 api=$3 n members="" leader="" port
  local -a nodes=(node-1 node-2 node-3)
  local -A peer client
  for n in "${nodes[@]}"; do
    free_port port; peer[$n]=$port
    free_port port; client[$n]=$port
    [ -n "$members" ] && members="$members,"
    members="$members
    \"$n\": { \"peerAddress\": \"127.0.0.1:${peer[$n]}\", \"clientAddress\": \"127.0.0.1:${client[$n]}\" }"
  done
  BENCH_NODES=""
  for n in "${nodes[@]}"; do
    mkdir -p "$work/$n"
    cat >"$work/$n/node.json" <<JSON
{
  "nodeId": "$n",
  "dataDir": "$work/$n/data",
  "members": {$members
  },
  "api": $api${NODE_EXTRA_JSON:+,
  $NODE_EXTRA_JSON}
}
JSON
    # The jar's manifest carries Chronicle's Add-Exports/Add-Opens; -D disables its analytics.
    # shellcheck disable=SC2086
    java ${NODE_JVM_OPTS:--Xmx512m} -Dchronicle.analytics.disable=true -jar "$jar" --config "$work/$n/node.json" \
      >"$work/$n/node.log" 2>&1 &
    PIDS+=($!)
    BENCH_NODES="$BENCH_NODES${BENCH_NODES:+,}$n=127.0.0.1:${client[$n]}:$!"
  done
  printf 'waiting for a leader'
  for _ in $(seq 1 120); do
    for n in "${nodes[@]}"; do
      if curl -s --max-time 1 "http://127.0.0.1:${client[$n]}/status" | grep -q '"leaderReady" : true'; then leader=$n; fi
    done
    [ -n "$leader" ] && break
    printf '.'; sleep 0.5
  done
  [ -n "$leader" ] || { printf '\nno leader after 60 s\n'; return 1; }
  printf '\nleader: %s\n' "$leader"
}

# Prints the last lines of every node log under WORK (after a failed run).
tail_node_logs() {
  local log
  for log in "$1"/node-*/node.log; do
    [ -f "$log" ] && { echo "--- tail of $(basename "$(dirname "$log")") log"; tail -n 20 "$log"; }
  done
  return 0
}

# `on_exit_stop_bench WORK`: when the script exits (also on failure or Ctrl-C) stops the caller's
# PIDS, prints the node logs under WORK if the script failed, and removes WORK.
on_exit_stop_bench() {
  BENCH_WORK=$1
  trap stop_bench EXIT
  trap 'exit 130' INT TERM
}
stop_bench() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pids "${PIDS[@]}"
  [ "$rc" != 0 ] && tail_node_logs "$BENCH_WORK"
  rm -rf "$BENCH_WORK"
  exit "$rc"
}
