package dev.llmmeter.app;

import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ServiceMainTest {
    @CommandLine.Command(name = "metering")
    static final class Failing implements Callable<Integer> {
        final Exception thrown;

        Failing(Exception thrown) {
            this.thrown = thrown;
        }

        @Override
        public Integer call() throws Exception {
            throw thrown;
        }
    }

    private static List<String> run(Exception thrown, int expectedExit) {
        CommandLine cmd = ServiceMain.configure(new CommandLine(new Failing(thrown)));
        StringWriter err = new StringWriter();
        cmd.setErr(new PrintWriter(err));
        assertEquals(expectedExit, cmd.execute());
        return err.toString().lines().toList();
    }

    @Test
    @DisplayName("a Kafka error no command caught (a permission revoked under a running consumer) is one line, exit 1, no stack trace")
    void anUncaughtKafkaErrorIsOneLineAndExitOne() {
        assertEquals(List.of("metering: failed: Not authorized to access topics: [metering.stats]"),
                run(new TopicAuthorizationException(Set.of("metering.stats")), 1));
    }

    @Test
    @DisplayName("any other uncaught failure is one line naming its kind, exit 1, with a secret setting's value masked")
    void anyOtherUncaughtFailureIsOneLineWithSecretsMasked() {
        Properties secret = new Properties();
        secret.setProperty("ssl.key.password", "hunter2-secret");
        Secrets.register(secret);
        assertEquals(List.of("metering: failed: IllegalStateException: cannot open hunter2-secret"
                        .replace("hunter2-secret", "****")),
                run(new IllegalStateException("cannot open hunter2-secret"), 1));
    }
}
