package io.raftlock.api;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Admission control at the API edge: a token bucket per client id and a global cap on requests in
 * flight. Over either limit a request is refused with a retry-after hint (the API answers
 * {@code RATE_LIMITED} / gRPC {@code RESOURCE_EXHAUSTED}).
 *
 * <p><b>Renewals and releases are not starved by acquires.</b> Requests come in two classes:
 * {@link Kind#MAINTAIN} (Renew, Release, CancelWait: they keep or give back what a client already
 * has, and a starved renew turns into a spurious lease expiry) and {@link Kind#NEW_WORK}
 * (everything else). Each client has one bucket per class, so an acquire flood empties only the
 * new-work bucket; and new work may occupy at most {@code maxInFlight - reservedInFlight} slots,
 * so {@code reservedInFlight} slots are always left for maintenance.
 *
 * <p><b>Bounded memory.</b> At most {@code maxClients} clients are tracked, in least-recently-used
 * order. A client idle for longer than a full refill ({@code burst / rate}) has a full bucket,
 * exactly as a new client, so dropping it loses nothing; such clients are dropped as they are met
 * at the old end. When the table is full of active clients the least recently used one is dropped
 * anyway (it gets a full bucket back next time: a bounded gift of one burst, still under the
 * global cap).
 *
 * <p><b>Threading.</b> Not thread-safe by design: one instance belongs to one event loop (no
 * locks, no threads, no blocking). Time comes from the {@code nanoTime} supplier, so tests use a
 * fake clock.
 */
public final class RateLimiter {
  /** Request classes; see the class comment. */
  public enum Kind {
    NEW_WORK,
    MAINTAIN
  }

  /**
   * @param ratePerSecond tokens added per second to each bucket (default 20,000)
   * @param burst bucket capacity (default 40,000)
   * @param maxInFlight global cap on admitted, not yet completed requests (default 1000)
   * @param reservedInFlight slots of {@code maxInFlight} that only {@link Kind#MAINTAIN} may use
   * @param maxClients clients tracked at most
   * @param inFlightRetryAfterNanos hint given when the in-flight cap refuses a request
   */
  public record Config(
      int ratePerSecond,
      int burst,
      int maxInFlight,
      int reservedInFlight,
      int maxClients,
      long inFlightRetryAfterNanos) {
    /**
     * The buckets are for abuse, not for load: 20,000 requests a second per class is about twice
     * the lock pairs a node commits on a 2-core machine, so one client shared by a whole service
     * is never refused for its rate, while a runaway loop is cut after 2 s of burst. Overload of
     * the node itself is the in-flight cap's job.
     */
    public static final Config DEFAULTS = new Config(20_000, 40_000, 1000, 100, 100_000, 50_000_000L);

    public Config {
      if (ratePerSecond < 1 || burst < 1 || maxInFlight < 1 || maxClients < 1 || inFlightRetryAfterNanos < 1) {
        throw new IllegalArgumentException("ratePerSecond, burst, maxInFlight, maxClients and "
            + "inFlightRetryAfterNanos must be positive");
      }
      if (reservedInFlight < 0 || reservedInFlight >= maxInFlight) {
        throw new IllegalArgumentException("reservedInFlight must be in [0, maxInFlight)");
      }
    }
  }

  /** Why a request was refused. */
  public enum Reason {
    CLIENT_RATE,
    IN_FLIGHT
  }

  /** The answer of {@link #tryAdmit}: a {@link Permit} or a {@link Rejection}. */
  public sealed interface Decision permits Permit, Rejection {}

  /**
   * An admitted request's in-flight slot. {@link #release()} must be called exactly when the
   * request completes (success, failure or cancellation); calling it again does nothing.
   */
  public final class Permit implements Decision {
    private final Kind kind;
    private boolean released;

    private Permit(Kind kind) {
      this.kind = kind;
    }

    public Kind kind() {
      return kind;
    }

    public void release() {
      if (!released) {
        released = true;
        inFlight--;
        if (kind == Kind.NEW_WORK) {
          inFlightNewWork--;
        }
      }
    }
  }

  /** A refused request: retry no sooner than {@code retryAfterNanos} from now. */
  public record Rejection(Reason reason, long retryAfterNanos) implements Decision {}

  /**
   * Both buckets of one client, in units of 1e-9 token (integers, so that waiting exactly the
   * advertised retry-after always earns the token). Invariant: 0 <= units <= capacityUnits.
   */
  private static final class Client {
    long newWorkUnits;
    long maintainUnits;
    long refilledAtNanos;

    Client(long capacityUnits, long now) {
      newWorkUnits = capacityUnits;
      maintainUnits = capacityUnits;
      refilledAtNanos = now;
    }
  }

  /** Units of one token. */
  private static final long TOKEN = 1_000_000_000L;

  private final Config config;
  private final LongSupplier nanoTime;
  private final long capacityUnits;
  /** Time for an empty bucket to fill up; a client idle this long is as good as new. */
  private final long fullRefillNanos;
  /** Access-ordered: the eldest entry is the least recently used client. */
  private final LinkedHashMap<String, Client> clients = new LinkedHashMap<>(16, 0.75f, true);
  private int inFlight; // 0 <= inFlight <= maxInFlight
  private int inFlightNewWork; // 0 <= inFlightNewWork <= maxInFlight - reservedInFlight

  public RateLimiter(Config config, LongSupplier nanoTime) {
    this.config = Objects.requireNonNull(config, "config");
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    this.capacityUnits = config.burst() * TOKEN;
    // A refill earns ratePerSecond units per nanosecond.
    this.fullRefillNanos = ceilDiv(capacityUnits, config.ratePerSecond());
  }

  /**
   * Admits or refuses one request of {@code clientKey} (the client id; for requests without one,
   * e.g. GetStatus, the caller passes a key such as the peer address). The in-flight cap is
   * checked first, so a request it refuses costs the client no token.
   */
  public Decision tryAdmit(String clientKey, Kind kind) {
    long now = nanoTime.getAsLong();
    int cap = kind == Kind.MAINTAIN ? config.maxInFlight() : newWorkCap();
    int used = kind == Kind.MAINTAIN ? inFlight : inFlightNewWork;
    if (used >= cap || inFlight >= config.maxInFlight()) {
      return new Rejection(Reason.IN_FLIGHT, config.inFlightRetryAfterNanos());
    }
    Client c = client(clientKey, now);
    refill(c, now);
    long units = kind == Kind.MAINTAIN ? c.maintainUnits : c.newWorkUnits;
    if (units < TOKEN) {
      return new Rejection(Reason.CLIENT_RATE, ceilDiv(TOKEN - units, config.ratePerSecond()));
    }
    if (kind == Kind.MAINTAIN) {
      c.maintainUnits = units - TOKEN;
    } else {
      c.newWorkUnits = units - TOKEN;
      inFlightNewWork++;
    }
    inFlight++;
    return new Permit(kind);
  }

  /**
   * Admits or refuses one request that has no client to charge (reads carry no client id): only
   * the in-flight cap applies.
   */
  public Decision tryAdmitInFlight(Kind kind) {
    int cap = kind == Kind.MAINTAIN ? config.maxInFlight() : newWorkCap();
    int used = kind == Kind.MAINTAIN ? inFlight : inFlightNewWork;
    if (used >= cap || inFlight >= config.maxInFlight()) {
      return new Rejection(Reason.IN_FLIGHT, config.inFlightRetryAfterNanos());
    }
    if (kind == Kind.NEW_WORK) {
      inFlightNewWork++;
    }
    inFlight++;
    return new Permit(kind);
  }

  /** Requests admitted and not yet released. */
  public int inFlight() {
    return inFlight;
  }

  /** Clients currently tracked (at most {@code maxClients}). */
  public int trackedClients() {
    return clients.size();
  }

  public Config config() {
    return config;
  }

  private int newWorkCap() {
    return config.maxInFlight() - config.reservedInFlight();
  }

  /** The client's buckets, created full; evicts idle clients and keeps the table bounded. */
  private Client client(String key, long now) {
    Client c = clients.get(key); // moves key to the young end
    if (c != null) {
      return c;
    }
    evictIdle(now);
    if (clients.size() >= config.maxClients()) {
      Iterator<Map.Entry<String, Client>> eldest = clients.entrySet().iterator();
      eldest.next();
      eldest.remove();
    }
    c = new Client(capacityUnits, now);
    clients.put(key, c);
    return c;
  }

  /**
   * Drops clients at the old end that have been idle for a full refill. Amortized O(1): each
   * client is removed at most once per insertion.
   */
  private void evictIdle(long now) {
    Iterator<Client> it = clients.values().iterator();
    while (it.hasNext()) {
      Client c = it.next();
      if (now - c.refilledAtNanos < fullRefillNanos) {
        return; // younger entries were used more recently still
      }
      it.remove();
    }
  }

  private void refill(Client c, long now) {
    long elapsed = now - c.refilledAtNanos;
    if (elapsed > 0) {
      // Clamped first: a full refill is the most any bucket can gain, and the product stays
      // far from overflow however long the client was idle.
      long add = Math.min(elapsed, fullRefillNanos) * config.ratePerSecond();
      c.newWorkUnits = Math.min(capacityUnits, c.newWorkUnits + add);
      c.maintainUnits = Math.min(capacityUnits, c.maintainUnits + add);
      c.refilledAtNanos = now;
    }
  }

  private static long ceilDiv(long x, long y) {
    return -Math.floorDiv(-x, y);
  }
}
