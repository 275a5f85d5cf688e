package dev.llmmeter.cli.it;

import dev.llmmeter.cli.Main;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** simulate sends to the topic the topology reads, as the same settings name it, and checks them as the other commands do. */
class SimulateTopicIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    @TempDir
    Path dir;

    @Test
    void withoutTopicItSendsToTheDeltasTopicOfTheConfigFile() throws Exception {
        kafka.createTopic("configured.deltas", 2);
        Path config = dir.resolve("cluster.properties");
        Files.writeString(config, "metering.topic.deltas=configured.deltas\n");
        Run run = simulate("--bootstrap-servers", kafka.bootstrapServers(), "--config", config.toString(),
                "--streams", "3", "--duration", "2", "--no-pacing");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.err().startsWith("simulate: sending to configured.deltas (2 partitions) at "), run.err());
        assertTrue(records("configured.deltas", 2) > 0, "records on configured.deltas");
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            assertFalse(admin.listTopics().names().get(30, TimeUnit.SECONDS).contains("metering.deltas"),
                    "nothing sent to (or created as) metering.deltas");
        }
    }

    @Test
    void aBadKafkaSettingIsAUsageErrorAsForTheOtherCommands() throws Exception {
        Path config = dir.resolve("bad.properties");
        Files.writeString(config, "security.protocol=TLS\n");
        Run run = simulate("--bootstrap-servers", kafka.bootstrapServers(), "--config", config.toString(), "--duration", "1");
        assertEquals(2, run.exit(), run.err());
        assertEquals("metering simulate: bad Kafka setting: Invalid value TLS for configuration security.protocol: "
                + "String must be one of (case insensitive): SASL_SSL, PLAINTEXT, SSL, SASL_PLAINTEXT", run.err().lines().findFirst().orElse(""));
    }

    private static long records(String topic, int partitions) throws Exception {
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
            for (int p = 0; p < partitions; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            return admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values().stream().mapToLong(o -> o.offset()).sum();
        }
    }

    record Run(int exit, String out, String err) {
    }

    /** {@code metering simulate ARGS} in this JVM: simulate writes only to the command's own out and err. */
    private static Run simulate(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 1];
        all[0] = "simulate";
        System.arraycopy(args, 0, all, 1, args.length);
        return new Run(cmd.execute(all), out.toString(), err.toString());
    }
}
