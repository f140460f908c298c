package io.raftlock.nemesis.check;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockCommandCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes hand-made run directories in the real formats (spec §1–§4): histories, a committed
 * log of real {@link LockCommand}s encoded with {@link LockCommandCodec} into dump lines, the
 * resource log and the nemesis log. Times are whatever the test says (nanoseconds).
 */
final class RunDirBuilder {
  static final long T0_MS = 1_700_000_000_000L;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final Map<String, List<String>> histories = new LinkedHashMap<>();
  private final List<String> log = new ArrayList<>();
  private final List<String> resource = new ArrayList<>();
  private final List<String> nemesis = new ArrayList<>();
  private int requests;

  RunDirBuilder(Path dir) {
    this.dir = dir;
  }

  // ---- histories (spec §2) ----

  RunDirBuilder ok(String process, String f, String lock, long invokeT, long returnT,
      long token) {
    return op(process, f, lock, invokeT, token, "ok", returnT, token, null);
  }

  RunDirBuilder fail(String process, String f, String lock, long invokeT, long returnT,
      long token, String error) {
    return op(process, f, lock, invokeT, token, "fail", returnT, token, error);
  }

  RunDirBuilder info(String process, String f, String lock, long invokeT, long returnT,
      long token) {
    return op(process, f, lock, invokeT, token, "info", returnT, token, "DEADLINE");
  }

  /** An invoke the process never completed (it was killed). */
  RunDirBuilder dangling(String process, String f, String lock, long invokeT, long token) {
    history(process).add(line(process, "invoke", f, lock, invokeT, token, null));
    return this;
  }

  /** An ok read: {@code holder == null} means the lock was free. */
  RunDirBuilder read(String process, String lock, long invokeT, long returnT, String holder,
      long token) {
    history(process).add(line(process, "invoke", "read", lock, invokeT, 0, null));
    ObjectNode ok = node(process, "ok", "read", lock, returnT);
    ok.put("holder", holder);
    ok.put("token", token);
    history(process).add(ok.toString());
    return this;
  }

  /** A raw history line, e.g. a malformed one. */
  RunDirBuilder raw(String process, String line) {
    history(process).add(line);
    return this;
  }

  private RunDirBuilder op(String process, String f, String lock, long invokeT,
      long invokeToken, String type, long returnT, long token, String error) {
    boolean tokenOnInvoke = f.equals("release") || f.equals("renew") || f.equals("write");
    history(process).add(line(process, "invoke", f, lock, invokeT,
        tokenOnInvoke ? invokeToken : 0, null));
    boolean tokenOnCompletion = tokenOnInvoke || type.equals("ok");
    history(process).add(line(process, type, f, lock, returnT,
        tokenOnCompletion ? token : 0, error));
    return this;
  }

  /**
   * An operation in {@code session} (0: none; an {@code open}'s invoke never names one, its ok
   * does), on the keep-alive lane for {@code keepalive}/{@code resume}. Token on the invoke of
   * release/renew/write, on the completion of those and of an ok acquire.
   */
  RunDirBuilder inSession(String process, long session, String type, String f, String lock,
      long invokeT, long returnT, long token, String error) {
    boolean tokenOnInvoke = f.equals("release") || f.equals("renew") || f.equals("write");
    String lane = f.equals("keepalive") || f.equals("resume") ? "keepalive" : null;
    ObjectNode invoke = node(process, "invoke", f, lock, invokeT);
    ObjectNode done = node(process, type, f, lock, returnT);
    for (ObjectNode n : List.of(invoke, done)) {
      if (lane != null) {
        n.put("lane", lane);
      }
      if (session != 0 && (n == done || !f.equals("open"))) {
        n.put("session", session);
      }
    }
    if (tokenOnInvoke) {
      invoke.put("token", token);
    }
    if (tokenOnInvoke || type.equals("ok") && f.equals("acquire")) {
      done.put("token", token);
    }
    if (error != null) {
      done.put("error", error);
    }
    history(process).add(invoke.toString());
    history(process).add(done.toString());
    return this;
  }

  private List<String> history(String process) {
    return histories.computeIfAbsent(process, k -> new ArrayList<>());
  }

  private static String line(String process, String type, String f, String lock, long t,
      long token, String error) {
    ObjectNode n = node(process, type, f, lock, t);
    if (token != 0) {
      n.put("token", token);
    }
    if (error != null) {
      n.put("error", error);
    }
    return n.toString();
  }

  private static ObjectNode node(String process, String type, String f, String lock, long t) {
    ObjectNode n = JSON.createObjectNode();
    n.put("process", process);
    n.put("type", type);
    n.put("f", f);
    n.put("lock", lock);
    n.put("t", t);
    return n;
  }

  // ---- committed log (spec §1): index = position, term 1 ----

  /** Appends a NORMAL entry carrying {@code cmd}; returns its index. */
  long entry(LockCommand cmd) {
    ObjectNode n = JSON.createObjectNode();
    n.put("index", log.size() + 1);
    n.put("term", 1);
    n.put("type", "NORMAL");
    n.put("data", Base64.getEncoder().encodeToString(LockCommandCodec.encode(cmd)));
    log.add(n.toString());
    return log.size();
  }

  long noop() {
    log.add("{\"index\":" + (log.size() + 1) + ",\"term\":1,\"type\":\"NOOP\",\"data\":\"\"}");
    return log.size();
  }

  long acquire(String lock, String client, long timeMs) {
    return entry(new LockCommand.Acquire(lock, client, 2_000, false, 0, 0, null, nextRequest(),
        T0_MS + timeMs));
  }

  long acquireWait(String lock, String client, long timeMs) {
    return entry(new LockCommand.Acquire(lock, client, 2_000, true, 10_000, 0, null,
        nextRequest(), T0_MS + timeMs));
  }

  long release(String lock, String client, long token, long timeMs) {
    return entry(new LockCommand.Release(lock, client, token, nextRequest(), T0_MS + timeMs));
  }

  long renew(String lock, String client, long token, long timeMs) {
    return entry(new LockCommand.Renew(lock, client, token, 2_000, nextRequest(),
        T0_MS + timeMs));
  }

  long openSession(String name, long timeMs) {
    return entry(new LockCommand.OpenSession(name, 2_000, null, T0_MS + timeMs));
  }

  long keepAlive(long session, long timeMs) {
    return entry(new LockCommand.KeepAlive(session, T0_MS + timeMs));
  }

  long closeSession(long session, long timeMs) {
    return entry(new LockCommand.CloseSession(session, T0_MS + timeMs));
  }

  /** An acquire of {@code session}, labelled {@code client}; the TTL is the session's. */
  long acquireIn(long session, String lock, String client, long timeMs) {
    return entry(new LockCommand.Acquire(lock, client, 0, false, 0, 0, null, nextRequest(),
        T0_MS + timeMs, session));
  }

  long releaseIn(long session, String lock, String client, long token, long timeMs) {
    return entry(new LockCommand.Release(lock, client, token, nextRequest(), T0_MS + timeMs,
        session));
  }

  long expire(long timeMs) {
    return entry(new LockCommand.Expire(T0_MS + timeMs));
  }

  private String nextRequest() {
    return "req-" + (++requests);
  }

  /** The log so far, as dump entry lines (for building a diverging copy). */
  List<String> logLines() {
    return new ArrayList<>(log);
  }

  // ---- resource (spec §3) and nemesis (spec §4) ----

  RunDirBuilder write(String lock, long token, String process, boolean accepted, long highest,
      long t) {
    ObjectNode n = JSON.createObjectNode();
    n.put("lock", lock);
    n.put("token", token);
    n.put("process", process);
    n.put("accepted", accepted);
    n.put("highest", highest);
    n.put("t", t);
    resource.add(n.toString());
    return this;
  }

  RunDirBuilder fault(String fault, String phase, String target, long t) {
    ObjectNode n = JSON.createObjectNode();
    n.put("t", t);
    n.put("fault", fault);
    n.put("phase", phase);
    if (target != null) {
      n.put("target", target);
    }
    nemesis.add(n.toString());
    return this;
  }

  // ---- writing ----

  /** Writes everything, with the same log and hash dumped by {@code nodes} nodes. */
  Path build(int nodes) {
    for (int i = 1; i <= nodes; i++) {
      dump("node-" + i, log, "00000000000000aa");
    }
    return build();
  }

  /** Writes histories, resource and nemesis logs (dumps are written with {@link #dump}). */
  Path build() {
    histories.forEach((p, lines) -> writeLines("history-" + p + ".jsonl", lines));
    if (!resource.isEmpty()) {
      writeLines("resource.jsonl", resource);
    }
    if (!nemesis.isEmpty()) {
      writeLines("nemesis.jsonl", nemesis);
    }
    return dir;
  }

  /** Writes one node's dump of {@code entries} (dump entry lines) with the given hash. */
  RunDirBuilder dump(String node, List<String> entries, String stateHash) {
    List<String> lines = new ArrayList<>();
    ObjectNode header = JSON.createObjectNode();
    header.put("node", node);
    header.put("firstIndex", 1);
    header.put("commitIndex", entries.size());
    header.put("appliedIndex", entries.size());
    header.put("stateHash", stateHash);
    lines.add(header.toString());
    lines.addAll(entries);
    writeLines("dump-" + node + ".jsonl", lines);
    return this;
  }

  private void writeLines(String name, List<String> lines) {
    try {
      Files.write(dir.resolve(name), lines);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
