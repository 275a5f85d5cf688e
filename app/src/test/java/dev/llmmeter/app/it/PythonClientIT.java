package dev.llmmeter.app.it;

import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.app.ServeCommand;
import dev.llmmeter.app.Settings;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.serve.MeteringService;
import dev.llmmeter.topology.processors.MeteringMetrics;
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
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Python client ({@code clients/python}) against the live topology and {@code serve} on a real broker: its
 * unittest suite, run by Debian's {@code /usr/bin/python3} (which has {@code python3-confluent-kafka}), passes with
 * none of its live tests skipped, and the topology counts none of its records as misrouted.
 */
class PythonClientIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    static final Path CLIENT = Path.of("..", "clients", "python").toAbsolutePath().normalize();
    static final String PYTHON = "/usr/bin/python3";
    private static final Duration LOADED = Duration.ofSeconds(90); // a bound for a loaded 2-core machine, not an expectation

    @Test
    void thePythonSuitePassesOnTheLiveMeterAndNoneOfItsRecordsIsMisrouted(@TempDir Path state) throws Exception {
        assertTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON + " is needed (with Debian's python3-confluent-kafka; .ci/run installs it)");
        Properties settings = LiveApps.settings(kafka.bootstrapServers(), kafka.clientConfig(), "pyclient-it", state, 3);
        try (MeteringApp app = LiveApps.startRunning(settings);
             MeteringService service = ServeCommand.start(Settings.of(settings), "127.0.0.1", 0)) {
            String base = "http://127.0.0.1:" + service.port();
            HttpClient http = HttpClient.newHttpClient();
            await("serve ready").atMost(LOADED).until(() -> http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200);

            Run run = python(List.of("-m", "unittest", "discover", "-s", "tests", "-t", ".", "-v"),
                    kafka.bootstrapServers(), base);
            assertEquals(0, run.exit(), "python's unittest failed:\n" + run.output());
            assertTrue(run.output().contains("test_a_python_fleet_through_the_drop_in_gives_the_seeds_stats_and_ttft"), run.output());
            assertFalse(run.output().contains("skipped"), "no test may skip here:\n" + run.output());
            assertEquals(0, MeteringMetrics.total(app.streams().metrics(), MeteringMetrics.MISROUTED_RECORDS), "misrouted-records");
        }
    }

    record Run(int exit, String output) {
    }

    static Run python(List<String> args, String bootstrap, String meterUrl) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(PYTHON));
        command.addAll(args);
        ServiceProcess.Run run = ServiceProcess.external(CLIENT, Map.of("BOOTSTRAP_SERVERS", bootstrap, "METER_URL", meterUrl,
                "PYTHONDONTWRITEBYTECODE", "1"), Duration.ofMinutes(5), command);
        System.out.println(run.out());
        return new Run(run.exit(), run.out());
    }
}
