package dev.llmmeter.devkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.Instant;
import java.util.List;

/**
 * `metering topology` (the service's {@code dev.llmmeter.app.ServiceMain}) as a child JVM on this JVM's class path
 * (an integration test's, or bin/metering's for a bench), its stdout and stderr in a log file. Logs
 * at WARN, plus the app's state changes and Kafka Streams' restore summaries (INFO), timestamped to the ms,
 * so a test can tell when a task was restored.
 */
public final class TopologyProcess {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

    private TopologyProcess() {
    }

    public static Process start(String bootstrap, String applicationId, Path stateDir, Path config, Path log) throws IOException {
        return start(List.of(), bootstrap, applicationId, stateDir, config, log);
    }

    /**
     * The same, its command line after {@code launcher}: {@code ip netns exec NS} runs it in a network namespace
     * ({@code ip} execs the JVM, so the process is the JVM itself).
     */
    public static Process start(List<String> launcher, String bootstrap, String applicationId, Path stateDir, Path config, Path log)
            throws IOException {
        Path logConfig = log.resolveSibling("log4j2-child.xml");
        if (!Files.exists(logConfig)) {
            Files.writeString(logConfig, """
                    <?xml version="1.0" encoding="UTF-8"?>
                    <Configuration status="WARN" shutdownHook="disable">
                      <Appenders>
                        <Console name="stderr" target="SYSTEM_ERR">
                          <PatternLayout pattern="%d{HH:mm:ss.SSS} %-5level [%t] %c{1} - %msg%n"/>
                        </Console>
                      </Appenders>
                      <Loggers>
                        <Logger name="dev.llmmeter.app.MeteringApp" level="INFO"/>
                        <Logger name="org.apache.kafka.streams.processor.internals.StoreChangelogReader" level="INFO"/>
                        <Logger name="org.apache.kafka.streams.processor.internals.RecordDeserializer" level="ERROR"/>
                        <Logger name="org.apache.kafka.streams.processor.internals.ProcessorNode" level="ERROR"/>
                        <Root level="WARN"><AppenderRef ref="stderr"/></Root>
                      </Loggers>
                    </Configuration>
                    """);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(launcher);
        command.addAll(List.of(java, "-Xmx512m", "-Dlog4j2.configurationFile=" + logConfig.toUri(),
                "-cp", System.getProperty("java.class.path"), "dev.llmmeter.app.ServiceMain",
                "topology", "--bootstrap-servers", bootstrap, "--application-id", applicationId,
                "--state-dir", stateDir.toString(), "--config", config.toString()));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    public static String time(long epochMs) {
        return TIME.format(Instant.ofEpochMilli(epochMs));
    }

    /** The log's lines at or after {@code from} (by their HH:mm:ss.SSS prefix, same day) that contain one of {@code words}. */
    public static List<String> linesSince(Path log, long from, String... words) throws IOException {
        if (!Files.exists(log)) {
            return List.of();
        }
        LocalTime start = LocalTime.ofInstant(Instant.ofEpochMilli(from), ZoneId.systemDefault());
        return Files.readAllLines(log).stream()
                .filter(l -> l.length() > 12 && l.charAt(2) == ':' && l.charAt(8) == '.')
                .filter(l -> !LocalTime.parse(l.substring(0, 12)).isBefore(start))
                .filter(l -> List.of(words).stream().anyMatch(l::contains))
                .toList();
    }

    /** Copies the logs of a test to target/it-logs/DIR for a post-mortem. */
    public static void keepLogs(Path work, String dir) throws IOException {
        Path kept = Path.of("target", "it-logs", dir);
        Files.createDirectories(kept);
        try (var files = Files.list(work)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".log")).toList()) {
                Files.copy(f, kept.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
