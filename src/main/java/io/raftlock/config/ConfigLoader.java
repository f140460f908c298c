package io.raftlock.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a node's JSON configuration; every failure is a {@link ConfigException} naming a field. */
public final class ConfigLoader {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private ConfigLoader() {}

  public static NodeConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException("--config", "cannot read " + file + ": " + e.getMessage());
    }
    return parse(text, file.toString());
  }

  static NodeConfig parse(String json, String source) {
    try {
      return JSON.readValue(json, NodeConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException(e.getPropertyName(), "unknown field in " + source);
    } catch (JsonMappingException e) {
      if (e.getCause() instanceof ConfigException ce) {
        throw ce;
      }
      String field = e.getPath().isEmpty() ? source : e.getPathReference().replaceAll(".*\\[\"?([^\"\\]]*)\"?\\]$", "$1");
      throw new ConfigException(field, e.getOriginalMessage());
    } catch (IOException e) {
      throw new ConfigException(source, "is not valid JSON: " + e.getMessage());
    }
  }
}
