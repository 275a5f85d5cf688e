package dev.llmmeter.app.it;

import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.app.ServeCommand;
import dev.llmmeter.app.Settings;
import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.DeltaEventCodec;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.contract.Usage;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.serve.MeteringService;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The usage ledger read as its users read it, on a real broker: the live topology bills three streams into a renamed
 * usage topic; `metering usage --csv` and serve's `/api/usage` show the same sums under that name, amendments
 * included; a cluster that does not answer is exit 1 in one line.
 */
class UsageReadIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    static final String USAGE_TOPIC = "billing.usage";

    @Test
    void theLiveLedgerReadsTheSameInTheCommandAndInServeUnderItsConfiguredName(@TempDir Path dir) throws Exception {
        // A minute two minutes back: already closed on the meter's clock, so its first bill is the window's record and
        // the next ones its amendments, published at once (grace 0).
        long m = Usage.Window.MINUTE.startOf(System.currentTimeMillis()) - 120_000;
        Properties p = LiveApps.settings(kafka.bootstrapServers(), kafka.clientConfig(), "usage-read", dir.resolve("state"), 2);
        p.put("metering.topic.usage", USAGE_TOPIC);
        p.put("metering.usage.grace.ms", "0");
        MeteringApp app = LiveApps.startRunning(p);
        Path config = dir.resolve("reader.properties");
        Files.writeString(config, "metering.topic.usage=" + USAGE_TOPIC + "\n");
        try (KafkaProducer<String, byte[]> producer = producer()) {
            for (DeltaEvent e : List.of(
                    DeltaEvent.begin("s1", m + 1_000, "m1", "acme"), DeltaEvent.end("s1", m + 3_000, 50, 1_000, 5, 100),
                    DeltaEvent.begin("s2", m + 4_000, "m1", "acme"), DeltaEvent.end("s2", m + 5_000, 10, 200),
                    DeltaEvent.begin("s3", m + 6_000, null, "globex"), DeltaEvent.end("s3", m + 7_000, 1, 1))) {
                producer.send(new ProducerRecord<>(Topics.DELTAS.name(), e.streamId(), DeltaEventCodec.encode(e))).get();
            }
        }
        String from = Instant.ofEpochMilli(m).toString();
        String to = Instant.ofEpochMilli(m + 60_000).toString();
        String expectedCsv = "window_start,tenant,model,requests,input_tokens,output_tokens,reasoning_tokens,cached_input_tokens,tokens\r\n"
                + from + ",acme,m1,2,1200,60,5,100,1265\r\n"
                + from + ",globex,,1,1,1,0,0,2\r\n";
        try {
            await("metering usage prints the three bills (see target/failsafe-reports)").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                        ServiceProcess.Run run = ServiceProcess.inProcess("usage", "--bootstrap-servers", kafka.bootstrapServers(), "--config", config.toString(),
                                "--from", from, "--to", to, "--window", "minute", "--csv");
                        assertEquals(new ServiceProcess.Run(0, expectedCsv, ""), run);
                    });

            Properties reader = new Properties();
            reader.putAll(p);
            try (MeteringService serve = ServeCommand.start(Settings.of(reader), "127.0.0.1", 0)) {
                HttpClient http = HttpClient.newHttpClient();
                URI uri = URI.create("http://127.0.0.1:" + serve.port() + "/api/usage?tenant=acme&window=minute&from=" + from + "&to=" + to);
                String window = "{\"tenant\":\"acme\",\"model\":\"m1\",\"window_start\":\"" + from + "\",\"window_end\":\"" + to + "\","
                        + "\"requests\":2,\"input_tokens\":1200,\"output_tokens\":60,\"reasoning_tokens\":5,\"cached_input_tokens\":100,"
                        + "\"tokens\":1265,\"metered_requests\":0,\"records\":2}";
                String expected = "{\"window\":\"minute\",\"from\":\"" + from + "\",\"to\":\"" + to + "\",\"tenant\":\"acme\",\"model\":null,"
                        + "\"windows\":[" + window + "],\"total\":{\"requests\":2,\"input_tokens\":1200,\"output_tokens\":60,"
                        + "\"reasoning_tokens\":5,\"cached_input_tokens\":100,\"tokens\":1265,\"metered_requests\":0,\"records\":2}}";
                await("serve answers /api/usage once it has read " + USAGE_TOPIC).atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
                            assertEquals(200, r.statusCode(), r.body());
                            assertEquals(expected, r.body());
                        });
            }
        } finally {
            app.close();
        }
    }

    @Test
    void aClusterThatDoesNotAnswerIsExitOneInOneLine() {
        ServiceProcess.Run run = ServiceProcess.inProcess("usage", "--bootstrap-servers", "127.0.0.1:1", "--from", "0", "--to", "1");
        assertEquals(1, run.exit(), run.err());
        assertEquals("", run.out());
        List<String> lines = run.err().lines().toList();
        assertEquals(1, lines.size(), run.err());
        assertEquals(true, lines.get(0).startsWith("metering usage: "), lines.get(0));
        assertEquals(true, lines.get(0).contains("127.0.0.1:1"), lines.get(0));
    }

    private static KafkaProducer<String, byte[]> producer() {
        Properties p = new Properties();
        p.putAll(kafka.clientConfig());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }
}
