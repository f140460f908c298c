package io.raftlock.api;

/** Counters read by metrics and tests (API context). */
public final class ApiStats {
  long admitted;
  long rateLimited;
  long invalid;
  long redirects;
  long forwarded;
  long retryableFailures;
  long timeouts;

  public long admitted() {
    return admitted;
  }

  public long rateLimited() {
    return rateLimited;
  }

  public long invalid() {
    return invalid;
  }

  public long redirects() {
    return redirects;
  }

  public long forwarded() {
    return forwarded;
  }

  public long retryableFailures() {
    return retryableFailures;
  }

  public long timeouts() {
    return timeouts;
  }
}
