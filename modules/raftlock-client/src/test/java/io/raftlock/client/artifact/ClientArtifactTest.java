package io.raftlock.client.artifact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * What the raftlock-client jar's classes reference, read from the bytecode by {@code jdeps}: only
 * the client's own packages, the JDK, Vert.x core and its gRPC client, protobuf, and the two
 * Netty packages the client touches on Vert.x core's own Netty (the channel pipeline, to coalesce
 * flushes with Netty's handler: wire/FlushCoalescing). A server
 * package (io.raftlock.api, .node, ...) or a server-only library (Chronicle, vertx-web, the
 * gRPC server, Micrometer, Jackson) found here fails the build.
 */
class ClientArtifactTest {
  private static final List<String> ALLOWED = List.of(
      "java.", "javax.", "io.raftlock.client", "io.raftlock.wire", "io.raftlock.proto.api",
      "io.vertx.core", "io.vertx.grpc.client", "io.vertx.grpc.common", "com.google.protobuf",
      "io.netty.channel", "io.netty.handler.flush");

  @Test
  void compiledClassesReferenceOnlyTheClientStack() {
    Set<String> referenced = referencedPackages(Path.of("target", "classes"));
    assertTrue(referenced.contains("io.vertx.grpc.client"), "jdeps read the classes: " + referenced);
    Set<String> foreign = new TreeSet<>();
    for (String p : referenced) {
      if (ALLOWED.stream().noneMatch(p::startsWith)) {
        foreign.add(p);
      }
    }
    assertEquals(Set.of(), foreign, "packages outside the client stack referenced by raftlock-client");
  }

  @Test
  void theJarHoldsOnlyClientPackages() throws Exception {
    Path classes = Path.of("target", "classes");
    Set<String> foreign = new TreeSet<>();
    try (var files = Files.walk(classes)) {
      files.filter(f -> f.toString().endsWith(".class"))
          .map(f -> classes.relativize(f.getParent()).toString().replace('/', '.'))
          .filter(p -> !(p.equals("io.raftlock.client") || p.startsWith("io.raftlock.client.")
              || p.equals("io.raftlock.wire") || p.equals("io.raftlock.proto.api")))
          .forEach(foreign::add);
    }
    assertEquals(Set.of(), foreign, "packages in raftlock-client that are not the client's");
  }

  /**
   * The packages that classes under {@code dir} depend on, from jdeps' indented per-package lines
   * ("   a.b   -> c.d   not found"); the unindented lines are per-archive summaries.
   */
  static Set<String> referencedPackages(Path dir) {
    ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
    StringWriter out = new StringWriter();
    int rc = jdeps.run(new PrintWriter(out), new PrintWriter(out), "-verbose:package", dir.toString());
    assertEquals(0, rc, out.toString());
    Set<String> packages = new TreeSet<>();
    for (String line : out.toString().split("\n")) {
      String[] parts = line.trim().split("\\s+");
      if (line.startsWith(" ") && parts.length >= 3 && parts[1].equals("->")) {
        packages.add(parts[2]);
      }
    }
    return packages;
  }
}
