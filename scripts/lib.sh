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
