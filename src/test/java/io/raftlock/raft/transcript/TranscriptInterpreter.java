package io.raftlock.raft.transcript;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.RaftConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs one transcript command against an {@link InteractionEnv} and returns what it printed.
 * Commands (after etcd-io/raft's {@code interaction_env_handler.go}):
 *
 * <pre>
 * add-nodes N [voters=1,2,3] [learners=4]   N new empty nodes; default: they are the voters
 * campaign ID                               tick ID until its election timer fires
 * tick ID [N]                               N ticks (default 1), e.g. to end a follower's lease
 * tick-heartbeat ID                         one heartbeat interval of ticks
 * process-ready ID...                       handle each node's Ready (print, persist, send)
 * deliver-msgs ID...                        step each node with the messages addressed to it
 * stabilize [ID...]                         both of the above until quiet (default: all nodes)
 * propose ID DATA                           a command on node ID
 * propose-conf-change ID OP SERVER [min-match=N]   OP: add-learner add-voter promote remove
 * compact ID INDEX                          snapshot node ID at INDEX and drop its log up to it
 * isolate ID / recover                      drop / stop dropping messages to and from ID
 * status ID / raft-log ID                   the node's status and progress / its log
 * </pre>
 */
final class TranscriptInterpreter {
  private final InteractionEnv env = new InteractionEnv();

  List<String> run(String command) {
    List<String> words = new ArrayList<>(Arrays.asList(command.trim().split("\\s+")));
    String name = words.remove(0);
    Map<String, String> options = new LinkedHashMap<>();
    words.removeIf(w -> {
      int eq = w.indexOf('=');
      if (eq > 0) {
        options.put(w.substring(0, eq), w.substring(eq + 1));
      }
      return eq > 0;
    });
    List<String> out = new ArrayList<>();
    dispatch(name, words, options, out);
    return out;
  }

  private void dispatch(String name, List<String> args, Map<String, String> options, List<String> out) {
    switch (name) {
      case "add-nodes" -> addNodes(args, options, out);
      case "campaign" -> env.campaign(arg(args, 0), out);
      case "tick" -> env.tick(arg(args, 0), args.size() > 1 ? Integer.parseInt(args.get(1)) : 1);
      case "tick-heartbeat" -> env.tick(arg(args, 0), RaftConfig.defaults(arg(args, 0)).heartbeatTicks());
      case "process-ready" -> args.forEach(id -> env.processReady(id, out));
      case "deliver-msgs" -> args.forEach(id -> env.deliverMessages(id, out));
      case "stabilize" -> env.stabilize(args.isEmpty() ? List.copyOf(env.ids()) : args, out);
      case "propose" -> env.propose(arg(args, 0), arg(args, 1), out);
      case "propose-conf-change" -> env.proposeConfChange(arg(args, 0), arg(args, 1), arg(args, 2),
          Long.parseLong(options.getOrDefault("min-match", "0")), out);
      case "compact" -> env.compact(arg(args, 0), Long.parseLong(arg(args, 1)), out);
      case "isolate" -> env.isolate(arg(args, 0));
      case "recover" -> env.recover();
      case "status" -> env.status(arg(args, 0), out);
      case "raft-log" -> env.raftLog(arg(args, 0), out);
      default -> throw new IllegalArgumentException("unknown command " + name);
    }
  }

  private void addNodes(List<String> args, Map<String, String> options, List<String> out) {
    int count = Integer.parseInt(arg(args, 0));
    Set<String> learners = idSet(options.get("learners"));
    Set<String> voters = idSet(options.get("voters"));
    if (voters.isEmpty()) {
      int first = env.ids().size() + 1;
      voters = new java.util.TreeSet<>();
      for (int i = first; i < first + count; i++) {
        voters.add(String.valueOf(i));
      }
    }
    ClusterConfig cluster = InteractionEnv.cluster(voters, learners);
    List<String> added = env.addNodes(count, cluster);
    out.add("added " + String.join(" ", added) + " starting with " + TranscriptFormat.config(cluster));
  }

  private static Set<String> idSet(String csv) {
    return csv == null ? Set.of() : Set.of(csv.split(","));
  }

  private static String arg(List<String> args, int i) {
    if (i >= args.size()) {
      throw new IllegalArgumentException("missing argument " + (i + 1));
    }
    return args.get(i);
  }
}
