/**
 * The history checker of the nemesis runs: {@code Checker.check(runDir)} reads the client
 * histories, the fenced resource's log, the nemesis log and the node dumps of a run directory,
 * and returns a {@link io.raftlock.nemesis.check.CheckReport}.
 *
 * <p>Classes, one concern each: {@code History}/{@code Op} pair history lines into operations;
 * {@code NodeDump} and {@code RunData} read the other files; {@code ReferenceModel} is an
 * independent model of the lock semantics that the committed log is replayed through;
 * {@code LogClock} bounds the real time at which each log entry took effect from the
 * acknowledged operations; {@code Checker} (history-only checks) and {@code LogChecks} (checks
 * against the replayed log) report into {@code CheckReport}.
 *
 * <p>Soundness: a violation is reported only when no correct cluster with truthful clients can
 * produce the run. {@code ok} means acknowledged, {@code fail} certainly not applied, and
 * {@code info} (or an invoke with no completion) may take effect at any time after its invoke,
 * or never. Where a property cannot be decided from the data (liveness when the histories end
 * too soon after the final heal, a failed renew while keep-alives are not recorded) the report
 * carries a note or skips it, rather than guessing.
 *
 * <p>Fencing tokens are unique per lock, not across locks: one {@code Expire} entry that ends
 * several leases promotes a waiter on each of those locks with that entry's index as token.
 */
package io.raftlock.nemesis.check;
