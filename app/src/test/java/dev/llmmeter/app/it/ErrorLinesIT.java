package dev.llmmeter.app.it;

import dev.llmmeter.devkit.KafkaBrokerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The one line {@code topology}, {@code tail} and {@code usage} print for a wrong setting, and nothing else on stderr, with the
 * service's own logging (what an operator sees): no log line of the Kafka clients before it, and no part of a
 * password in it.
 */
class ErrorLinesIT {
    static final String USER = "metering";

    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension(b -> b.sasl(Map.of(USER, "the-right-password")));

    @TempDir
    Path work;

    @Test
    void aWrongScramPasswordIsOneLineAndExitOne() throws Exception {
        Path config = config("wrong.properties", "password=\"not-the-password\"");
        String expected = "authentication failed at " + kafka.bootstrapServers() + ": Authentication failed during authentication "
                + "due to invalid credentials with SASL mechanism SCRAM-SHA-512 (check the user and password in sasl.jaas.config)";

        ServiceProcess.Run topology = ServiceProcess.run(work, "topology", "--bootstrap-servers", kafka.bootstrapServers(),
                "--config", config.toString(), "--state-dir", work.resolve("state").toString());
        assertEquals(1, topology.exit(), topology.toString());
        assertEquals(List.of("metering: " + expected), topology.err().lines().toList());

        ServiceProcess.Run tail = ServiceProcess.run(work, "tail", "--bootstrap-servers", kafka.bootstrapServers(),
                "--config", config.toString(), "--json", "--max-records", "1");
        assertEquals(1, tail.exit(), tail.toString());
        assertEquals(List.of("metering tail: " + expected), tail.err().lines().toList());

        ServiceProcess.Run usage = ServiceProcess.run(work, "usage", "--bootstrap-servers", kafka.bootstrapServers(),
                "--config", config.toString(), "--from", "0", "--to", "3600000");
        assertEquals(1, usage.exit(), usage.toString());
        assertEquals(List.of("metering usage: " + expected), usage.err().lines().toList());
        for (ServiceProcess.Run run : List.of(topology, tail, usage)) {
            assertFalse(run.err().contains("not-the-password"), run.toString());
        }
    }

    @Test
    void aJaasValueWithAStrayQuotePrintsNoPartOfThePassword() throws Exception {
        // Kafka's JAAS parser reads `wordpart-after-quote` as the name of an option and says it has no value.
        Path config = config("stray-quote.properties", "password=\"s3cr\"wordpart-after-quote\"");

        ServiceProcess.Run topology = ServiceProcess.run(work, "topology", "--bootstrap-servers", kafka.bootstrapServers(),
                "--config", config.toString(), "--state-dir", work.resolve("state").toString());
        assertEquals(2, topology.exit(), topology.toString()); // a bad setting, found before anything is written
        assertEquals(List.of("metering topology: bad Kafka client settings: Value not specified for key '****' in JAAS config",
                "Run 'metering topology --help' for usage."), topology.err().lines().toList());

        ServiceProcess.Run tail = ServiceProcess.run(work, "tail", "--bootstrap-servers", kafka.bootstrapServers(),
                "--config", config.toString(), "--json", "--max-records", "1");
        assertEquals(2, tail.exit(), tail.toString());
        assertEquals(List.of("metering tail: bad Kafka client settings: Value not specified for key '****' in JAAS config",
                "Run 'metering tail --help' for usage."), tail.err().lines().toList());
        for (String part : List.of("s3cr", "wordpart")) {
            assertFalse(topology.err().contains(part) || tail.err().contains(part), part + ": " + topology + tail);
        }
    }

    /** A SCRAM client config for {@link #USER} with this password option, exactly as written. */
    private Path config(String name, String passwordOption) throws Exception {
        return Files.writeString(work.resolve(name), "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n"
                + "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + USER + "\" "
                + passwordOption + ";\n");
    }
}
