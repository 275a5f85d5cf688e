package dev.llmmeter.app;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Secret setting values (each test its own, as the registry is the process's) never reach a printed line. */
class SecretsTest {
    @Test
    void kafkasPasswordTypeSettingsAreSecretAlsoUnderAClientPrefix() {
        assertTrue(Secrets.isSecret("sasl.jaas.config"));
        assertTrue(Secrets.isSecret("ssl.truststore.password"));
        assertTrue(Secrets.isSecret("producer.ssl.key.password"));
        assertTrue(Secrets.isSecret("main.consumer.sasl.jaas.config"));
        assertFalse(Secrets.isSecret("ssl.truststore.location"));
        assertFalse(Secrets.isSecret("bootstrap.servers"));
    }

    @Test
    void aKeystorePasswordIsMaskedWhereverAMessageQuotesIt() {
        Secrets.register(Map.of("producer.ssl.keystore.password", "Kq7-zv8-pw0x", "ssl.keystore.location", "/etc/ks.p12"));
        assertEquals("Failed to load keystore /etc/ks.p12 with password ****",
                Secrets.redact("Failed to load keystore /etc/ks.p12 with password Kq7-zv8-pw0x"));
    }

    @Test
    void ofAJaasValueOnlyThePasswordIsSecretAndAnyWordOfItIsMaskedInKafkasMessages() {
        Secrets.register(Map.of("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"zed-user\" password=\"Xy9\"tail-of-pw7\";"));
        assertEquals("Value not specified for key '****' in JAAS config",
                Secrets.redact("Value not specified for key 'tail-of-pw7' in JAAS config"));
        assertEquals("unexpected **** after ****", Secrets.redact("unexpected Xy9\"tail-of-pw7 after Xy9"));
        assertEquals("login of zed-user with ScramLoginModule failed", Secrets.redact("login of zed-user with ScramLoginModule failed"));
    }

    @Test
    void theAppsOwnWordsStayWhenAPasswordContainsThemAndKafkasAreMasked() {
        Secrets.register(Map.of("ssl.key.password", "check-the-Qv3-user"));
        assertEquals("authentication failed: check the user and password", Secrets.redactValues("authentication failed: check the user and password"));
        assertEquals("bad key ****", Secrets.redactValues("bad key check-the-Qv3-user"));
        assertEquals("bad key ****", Secrets.redact("bad key check-the-Qv3-user"));
        assertEquals("no such **** ****", Secrets.redact("no such check user"));
    }
}
