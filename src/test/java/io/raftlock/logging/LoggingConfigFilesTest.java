package io.raftlock.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.logging.Formatter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The logging configurations in {@code conf/} name formatters that exist and load. */
class LoggingConfigFilesTest {
  @ParameterizedTest
  @CsvSource({
      "conf/logging.properties, io.raftlock.logging.TextLogFormatter",
      "conf/logging-json.properties, io.raftlock.logging.JsonLogFormatter"})
  void theConsoleHandlerUsesOurFormatter(String file, String formatterClass) throws Exception {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(Path.of(file))) {
      p.load(r);
    }
    assertEquals("java.util.logging.ConsoleHandler", p.getProperty("handlers"));
    assertEquals(formatterClass, p.getProperty("java.util.logging.ConsoleHandler.formatter"));
    Object f = Class.forName(formatterClass).getDeclaredConstructor().newInstance();
    assertTrue(f instanceof Formatter);
  }
}
