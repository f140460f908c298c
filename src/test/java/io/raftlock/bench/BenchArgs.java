package io.raftlock.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The command lines the bench scripts hand to the drivers: {@code --name value} pairs and node lists. */
final class BenchArgs {
  private BenchArgs() {}

  /** {@code --name value} pairs in order; a trailing name without a value is ignored. */
  static Map<String, String> options(String[] args) {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i], args[i + 1]);
    }
    return opts;
  }

  /** {@code id=host:port[:pid],...} as the scripts write it (pid -1 when absent). */
  static List<ApiLoadBench.NodeRef> nodes(String spec) {
    List<ApiLoadBench.NodeRef> nodes = new ArrayList<>();
    for (String n : spec.split(",")) {
      String[] kv = n.split("=", 2);
      String[] hp = kv[1].split(":");
      nodes.add(new ApiLoadBench.NodeRef(kv[0], hp[0], Integer.parseInt(hp[1]),
          hp.length > 2 ? Long.parseLong(hp[2]) : -1));
    }
    return nodes;
  }
}
