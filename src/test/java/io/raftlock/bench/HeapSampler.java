package io.raftlock.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Samples the heap of RaftLock nodes from their Prometheus {@code /metrics} every 500 ms on its
 * own thread: the largest heap in use (all heap pools, garbage included) and the largest old
 * generation in use (what survived young collections), in MiB per node.
 */
final class HeapSampler {
  private final List<ApiLoadBench.NodeRef> nodes;
  private final BenchAccess access;
  private final Map<String, double[]> maxMiB = new LinkedHashMap<>(); // used, live
  private final CountDownLatch stop = new CountDownLatch(1);
  private final Thread thread;

  private HeapSampler(List<ApiLoadBench.NodeRef> nodes, BenchAccess access) {
    this.nodes = nodes;
    this.access = access;
    nodes.forEach(n -> maxMiB.put(n.id(), new double[2]));
    thread = new Thread(this::loop, "heap-sampler");
    thread.setDaemon(true);
  }

  /** Samples {@code nodes}, read through {@code access} ({@code /metrics} needs a reader's key with auth on). */
  static HeapSampler start(List<ApiLoadBench.NodeRef> nodes, BenchAccess access) {
    HeapSampler s = new HeapSampler(nodes, access);
    s.thread.start();
    return s;
  }

  private void loop() {
    try {
      do {
        for (ApiLoadBench.NodeRef n : nodes) {
          sample(n);
        }
      } while (!stop.await(500, TimeUnit.MILLISECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void sample(ApiLoadBench.NodeRef n) {
    try {
      String body = access.get(n, "/metrics", Duration.ofSeconds(1)).orElse("");
      double used = 0;
      double live = 0;
      for (String line : body.split("\n")) {
        if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
          used += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
          if (line.contains("Old Gen")) {
            live = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
          }
        }
      }
      synchronized (maxMiB) {
        double[] m = maxMiB.get(n.id());
        m[0] = Math.max(m[0], used / (1 << 20));
        m[1] = Math.max(m[1], live / (1 << 20));
      }
    } catch (RuntimeException e) {
      // a missed sample: the node is busy or down
    }
  }

  /** {node: {maxHeapUsedMiB, maxOldGenMiB}}. */
  Map<String, Map<String, Long>> stop() throws InterruptedException {
    stop.countDown();
    thread.join();
    Map<String, Map<String, Long>> out = new LinkedHashMap<>();
    synchronized (maxMiB) {
      maxMiB.forEach((id, m) -> out.put(id, Map.of("maxHeapUsedMiB", Math.round(m[0]), "maxOldGenMiB", Math.round(m[1]))));
    }
    return out;
  }
}
