package io.raftlock.tls;

import io.raftlock.config.ConfigException;
import io.raftlock.config.TlsSettings;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.logging.Logger;

/**
 * Re-reads an endpoint's PEM files every {@code checkMs} and installs them when their bytes
 * changed (a path handed to Vert.x again would be ignored, so the bytes are what counts). Files
 * that do not check out — a rotation caught half-written, a key that does not match its
 * certificate — are refused with a warning and the old material stays in force; the next check
 * tries again.
 *
 * <p>The files are read on a worker thread ({@code executeBlocking}); the swap happens back on
 * the context that called {@link #watch}.
 */
public final class TlsReloader {
  private static final Logger LOG = Logger.getLogger(TlsReloader.class.getName());

  private final Vertx vertx;
  private final long checkMs;
  private final List<Long> timers = new ArrayList<>();

  public TlsReloader(Vertx vertx, long checkMs) {
    this.vertx = vertx;
    this.checkMs = checkMs;
  }

  /** Keeps {@code target} in step with {@code files}; call on the context that owns it. */
  public void watch(String field, TlsSettings.Files files, ReloadableTls target) {
    Context context = vertx.getOrCreateContext();
    String[] lastRefusal = new String[1]; // confined to context
    boolean[] checking = new boolean[1];
    timers.add(vertx.setPeriodic(checkMs, id -> {
      if (checking[0]) {
        return;
      }
      checking[0] = true;
      vertx.executeBlocking(() -> PemMaterial.read(field, files), false).onComplete(ar -> context.runOnContext(v -> {
        checking[0] = false;
        if (ar.failed()) {
          String why = ar.cause() instanceof ConfigException ? ar.cause().getMessage() : String.valueOf(ar.cause());
          if (!Objects.equals(why, lastRefusal[0])) {
            LOG.warning(() -> field + ": new files refused, the previous ones stay in force: " + why);
          }
          lastRefusal[0] = why;
          return;
        }
        lastRefusal[0] = null;
        PemMaterial next = ar.result();
        if (!next.sameContent(target.current())) {
          target.update(next);
          LOG.info(() -> field + ": reloaded " + next.leaf().getSubjectX500Principal()
              + " valid until " + next.leaf().getNotAfter());
        }
      }));
    }));
  }

  public void stop() {
    timers.forEach(vertx::cancelTimer);
    timers.clear();
  }
}
