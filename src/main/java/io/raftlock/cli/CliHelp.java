package io.raftlock.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The layout every command's {@code --help} shares: {@code usage:}, the command's own options,
 * then the common options in a section of their own, the exit codes and the duration syntax.
 * Set here once for the whole command tree rather than repeated in each annotation.
 */
final class CliHelp {
  static final Map<String, String> EXIT_CODES = exitCodes();

  private static final String COMMON_HEADING = "commonOptionsHeading";
  private static final String COMMON_LIST = "commonOptions";
  private static final String FOOTER = "durations: 500ms, 30s, 5m, 1h (a bare number is seconds)";

  private CliHelp() {}

  private static Map<String, String> exitCodes() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("0", "success");
    m.put("1", "refused: lock held by another client, not the holder, lock not found, not granted in time, "
        + "no or unknown API key, permission denied, a snapshot file or data directory refused");
    m.put("2", "usage error: bad option or argument, invalid request (INVALID_ARGUMENT, INVALID_TTL)");
    m.put("3", "unavailable: no node answered, no leader, timed out (retried until --timeout)");
    m.put("4", "lock lost while held (lock command)");
    m.put("5", "internal error reported by the server, or a file that could not be written");
    m.put("127", "lock command: COMMAND could not be started");
    m.put("other", "lock command: COMMAND's own exit status; 128+N when raftlock is stopped by signal N");
    return m;
  }

  static void apply(CommandLine cl) {
    CommandSpec spec = cl.getCommandSpec();
    spec.usageMessage()
        .synopsisHeading("usage: ")
        .commandListHeading("%ncommands:%n")
        .parameterListHeading("%narguments:%n")
        .exitCodeListHeading("%nexit codes:%n")
        .exitCodeList(EXIT_CODES)
        .footerHeading("%n")
        .footer(FOOTER)
        .width(100);
    Map<String, CommandLine.IHelpSectionRenderer> sections = cl.getHelpSectionMap();
    sections.put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST_HEADING,
        help -> own(help).isEmpty() ? "" : "\noptions:\n");
    sections.put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST,
        help -> help.optionListExcludingGroups(own(help)));
    sections.put(COMMON_HEADING, help -> common(help).isEmpty() ? "" : "\ncommon options:\n");
    sections.put(COMMON_LIST, help -> help.optionListExcludingGroups(common(help)));
    // A command's header is its one line in the parent's command list, not repeated above its usage.
    List<String> keys = new ArrayList<>(cl.getHelpSectionKeys());
    keys.removeAll(List.of(CommandLine.Model.UsageMessageSpec.SECTION_KEY_HEADER_HEADING,
        CommandLine.Model.UsageMessageSpec.SECTION_KEY_HEADER, COMMON_HEADING, COMMON_LIST));
    int after = keys.indexOf(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST) + 1;
    keys.addAll(after, List.of(COMMON_HEADING, COMMON_LIST));
    cl.setHelpSectionKeys(keys);
    cl.getSubcommands().values().forEach(CliHelp::apply);
  }

  /** The long names of {@link CommonOptions}. */
  private static final class Common {
    static final Set<String> NAMES = CommandSpec.forAnnotatedObject(new CommonOptions()).options().stream()
        .map(OptionSpec::longestName).collect(Collectors.toUnmodifiableSet());
  }

  private static boolean isCommon(OptionSpec o) {
    return Common.NAMES.contains(o.longestName()) && o.command().parent() != null;
  }

  private static List<OptionSpec> own(Help help) {
    return help.commandSpec().options().stream().filter(o -> !isCommon(o) && !o.hidden()).toList();
  }

  private static List<OptionSpec> common(Help help) {
    return help.commandSpec().options().stream().filter(o -> isCommon(o) && !o.hidden()).toList();
  }
}
