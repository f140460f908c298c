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
