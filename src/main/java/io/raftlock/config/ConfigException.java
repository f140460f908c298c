package io.raftlock.config;

/** Invalid configuration; the message names the offending field. Raised at start, never later. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String field, String problem) {
    super(field + ": " + problem);
  }
}
