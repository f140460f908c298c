package io.raftlock.nemesis.check;

import java.util.ArrayList;
import java.util.List;

/**
 * One client operation of a history (spec §2): an invoke paired with its completion. A process
 * has at most one operation outstanding per lane (the workload, and a session client's
 * keep-alive lane, {@code "lane":"keepalive"}), so pairing is by order within the process's file
 * and lane. An
 * invoke without completion (the process was killed) is {@link Outcome#INFO} with
 * {@code returnT = Long.MAX_VALUE}: it may take effect at any time after its invoke.
 *
 * @param token the completion's token if it has one, else the invoke's, else 0 (for a read,
 *     0 with {@code holder == null} means "free")
 * @param holder for an ok read, the holder it returned ({@code null}: free)
 * @param completionLine the raw completion line, {@code null} for a dangling invoke
 * @param session the session the operation ran in (for an {@code open}: the session it opened,
 *     if it says), 0 for a client-owned operation
 */
record Op(
    String process,
    String f,
    String lock,
    Outcome outcome,
    long invokeT,
    long returnT,
    long token,
    String holder,
    String error,
    String invokeLine,
    String completionLine,
    long session) {

  enum Outcome { OK, FAIL, INFO }

  boolean ok() {
    return outcome == Outcome.OK;
  }

  boolean is(String function, Outcome o) {
    return f.equals(function) && outcome == o;
  }

  boolean dangling() {
    return completionLine == null;
  }

  /** The raw lines, for printing offending operations. */
  List<String> lines() {
    List<String> lines = new ArrayList<>(2);
    lines.add(invokeLine);
    lines.add(completionLine == null ? "(no completion: process killed)" : completionLine);
    return lines;
  }

  Op(String process, String f, String lock, Outcome outcome, long invokeT, long returnT,
      long token, String holder, String error, String invokeLine, String completionLine) {
    this(process, f, lock, outcome, invokeT, returnT, token, holder, error, invokeLine,
        completionLine, 0);
  }

  @Override
  public String toString() {
    return process + " " + f + " " + lock + " " + outcome
        + (session != 0 ? " session=" + session : "") + (token != 0 ? " token=" + token : "") + (holder != null ? " holder=" + holder : "");
  }
}
