package dev.llmmeter.app;

import dev.llmmeter.contract.Usage;
import dev.llmmeter.contract.UsageCodec;
import dev.llmmeter.serve.usage.UsageLedgerView;
import dev.llmmeter.serve.usage.UsageLedgerView.Row;
import dev.llmmeter.serve.usage.UsageLedgerView.Totals;
import dev.llmmeter.serve.usage.UsageQuery;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

@Command(name = "usage",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Print the usage ledger for a time range: tokens per tenant, model and window.",
        description = {
            "Reads the usage ledger topic metering.usage from its beginning to its end (read_committed, no consumer group), sums each window's first record and its amendments, and prints the windows whose start is in [--from, --to), by start, tenant and model, then their total: a table, or CSV with --csv (a header line, one line per window, no total).",
            "",
            "--from and --to take an ISO-8601 instant (2026-12-05T10:00:00Z) or epoch milliseconds. tokens = input + output + reasoning (cached input tokens are part of the input tokens).",
            "",
            "Settings (security included) come from --config and METERING_* environment variables, as for 'topology'."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:printed the windows (none is a valid answer: the table then says so)",
            "1:failed (cluster unreachable, the topic missing or unreadable)", "2:bad usage or settings"})
public final class UsageCommand implements Callable<Integer> {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    private ClusterOptions cluster;

    @Option(names = "--tenant", paramLabel = "TENANT", description = "Only this tenant's windows (default: every tenant).")
    private String tenant;

    @Option(names = "--model", paramLabel = "MODEL", description = "Only this model's windows (default: every model).")
    private String model;

    @Option(names = "--from", required = true, paramLabel = "TIME", description = "First window start included: ISO-8601 instant or epoch ms.")
    private String from;

    @Option(names = "--to", required = true, paramLabel = "TIME", description = "Window starts before this: ISO-8601 instant or epoch ms.")
    private String to;

    @Option(names = "--window", defaultValue = "hour", paramLabel = "minute|hour", description = "Window size (default: ${DEFAULT-VALUE}).")
    private String window;

    @Option(names = "--csv", description = "Print CSV instead of a table.")
    private boolean csv;

    @Override
    public Integer call() {
        UsageQuery query = query(spec.commandLine(), tenant, model, from, to, window);
        Settings layered = cluster.requireCluster(spec.commandLine(), new Properties());
        Properties settings = layered.all();
        ClusterCheck.missingCredentials(settings).ifPresent(problem -> {
            throw new CommandLine.ParameterException(spec.commandLine(), problem);
        });
        ServiceMain.requireValidKafka(spec.commandLine(), layered);
        try {
            ClusterCheck.await(settings, TIMEOUT);
        } catch (StartupException e) {
            System.err.println("metering usage: " + e.getMessage());
            return 1;
        }
        UsageLedgerView ledger = new UsageLedgerView(Integer.MAX_VALUE, UsageLedgerView.DEFAULT_MAX_LABEL_PAIRS);
        String topic = layered.metering().usageTopic();
        String problem = readToEnd(layered.client(ConsumerConfig.configNames()), topic, query, ledger);
        if (problem != null) {
            System.err.println("metering usage: " + problem);
            return 1;
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        List<Row> rows = ledger.rows(query.window(), query.from(), query.to(), query.tenant(), query.model());
        out.print(csv ? csv(rows) : table(rows));
        return 0;
    }

    /** The options as a query; a bad one is a usage error (exit 2) saying which. */
    static UsageQuery query(CommandLine cmd, String tenant, String model, String from, String to, String window) {
        Map<String, List<String>> params = new LinkedHashMap<>();
        params.put("from", List.of(from));
        params.put("to", List.of(to));
        params.put("window", List.of(window));
        if (tenant != null) {
            params.put("tenant", List.of(tenant));
        }
        if (model != null) {
            params.put("model", List.of(model));
        }
        try {
            return UsageQuery.parse(params);
        } catch (UsageQuery.BadQuery e) {
            throw new CommandLine.ParameterException(cmd, "--" + e.getMessage());
        }
    }

    /**
     * Reads every partition of {@code topic} from its beginning to the end it has now, keeping the records the query
     * selects (others are not held). @return why it could not, or null
     */
    static String readToEnd(Properties client, String topic, UsageQuery q, UsageLedgerView ledger) {
        Properties c = new Properties();
        c.putAll(client);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        c.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "metering-usage");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, TIMEOUT);
            if (infos == null || infos.isEmpty()) {
                return "topic " + topic + " does not exist (is the ledger running?)";
            }
            List<TopicPartition> tps = new ArrayList<>();
            infos.forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> ends = consumer.endOffsets(tps, TIMEOUT);
            long invalid = 0;
            while (tps.stream().anyMatch(tp -> consumer.position(tp, TIMEOUT) < ends.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.offset() >= ends.get(new TopicPartition(r.topic(), r.partition()))) {
                        continue;
                    }
                    try {
                        Usage u = r.value() == null ? null : UsageCodec.decode(r.value());
                        if (u == null) {
                            invalid++;
                        } else if (selects(q, u)) {
                            ledger.offer(u);
                        }
                    } catch (IllegalArgumentException e) {
                        invalid++;
                    }
                }
            }
            if (invalid > 0) {
                System.err.println("metering usage: skipped " + invalid + " record(s) of " + topic + " that are not usage records");
            }
            return null;
        } catch (org.apache.kafka.common.KafkaException e) {
            return "cannot read " + topic + ": " + MeteringApp.rootMessage(e);
        }
    }

    static boolean selects(UsageQuery q, Usage u) {
        return u.window() == q.window() && u.windowStart() >= q.from() && u.windowStart() < q.to()
                && (q.tenant() == null || q.tenant().equals(u.tenant())) && (q.model() == null || q.model().equals(u.model()));
    }

    private static final String[] HEADER = {"window_start", "tenant", "model", "requests", "input_tokens", "output_tokens",
            "reasoning_tokens", "cached_input_tokens", "tokens"};

    private static String[] cells(String start, String tenant, String model, Totals t) {
        return new String[] {start, tenant, model, Long.toString(t.requests()), t.inputTokens().toString(),
                t.outputTokens().toString(), t.reasoningTokens().toString(), t.cachedInputTokens().toString(), t.tokens().toString()};
    }

    private static String name(String n) {
        return n == null ? "(none)" : n;
    }

    /** Aligned columns, numbers right-aligned, then a total line; "no usage in this range" when none. */
    static String table(List<Row> rows) {
        if (rows.isEmpty()) {
            return "no usage in this range\n";
        }
        List<String[]> lines = new ArrayList<>();
        lines.add(HEADER);
        Totals total = Totals.ZERO;
        for (Row r : rows) {
            lines.add(cells(Instant.ofEpochMilli(r.key().start()).toString(), name(r.key().tenant()), name(r.key().model()), r.totals()));
            total = total.plus(r.totals());
        }
        lines.add(cells("total", "", "", total));
        int[] width = new int[HEADER.length];
        for (String[] l : lines) {
            for (int i = 0; i < l.length; i++) {
                width[i] = Math.max(width[i], l[i].length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] l : lines) {
            for (int i = 0; i < l.length; i++) {
                String pad = " ".repeat(width[i] - l[i].length());
                b.append(i < 3 ? l[i] + pad : pad + l[i]);
                b.append(i == l.length - 1 ? "\n" : "  ");
            }
        }
        return b.toString().replaceAll(" +\n", "\n");
    }

    /** RFC 4180: a header line, one line per window; a tenant or model the streams did not name is empty. */
    static String csv(List<Row> rows) {
        StringBuilder b = new StringBuilder(String.join(",", HEADER)).append("\r\n");
        for (Row r : rows) {
            String[] c = cells(Instant.ofEpochMilli(r.key().start()).toString(),
                    r.key().tenant() == null ? "" : r.key().tenant(), r.key().model() == null ? "" : r.key().model(), r.totals());
            for (int i = 0; i < c.length; i++) {
                b.append(i == 0 ? "" : ",").append(csvField(c[i]));
            }
            b.append("\r\n");
        }
        return b.toString();
    }

    static String csvField(String v) {
        return v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r")
                ? '"' + v.replace("\"", "\"\"") + '"' : v;
    }
}
