package dev.llmmeter.app;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Before a command starts work: does the cluster answer these client settings? If not, why, in one sentence,
 * and fast: unreachable, authentication failed, or a listener that wants security settings the client lacks.
 * The last one a Kafka client cannot tell from a network problem (the broker just closes each connection)
 * and would retry until its timeout; here, a broker that accepts connection after connection and closes them
 * all, answering nothing, is reported as such at once.
 */
public final class ClusterCheck {
    /** Connections accepted and closed by the broker, with the request still unanswered, before we call it a security mismatch. */
    static final int CLOSED_CONNECTIONS = 3;
    private static final String ENV_HINT = "METERING_SECURITY_PROTOCOL, METERING_SASL_MECHANISM, METERING_SASL_JAAS_CONFIG";

    private ClusterCheck() {
    }

    /**
     * A SASL client needs a JAAS login entry, the credentials: without one, Kafka clients fail to construct with
     * a message about JAAS files. Checked before any client is made.
     *
     * @return what is missing, as a sentence; empty when nothing is
     */
    public static Optional<String> missingCredentials(Map<?, ?> settings) {
        String protocol = string(settings, CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT").toUpperCase(Locale.ROOT);
        if (!protocol.startsWith("SASL_") || !string(settings, SaslConfigs.SASL_JAAS_CONFIG, "").isBlank()
                || System.getProperty("java.security.auth.login.config") != null) {
            return Optional.empty();
        }
        return Optional.of("SASL authentication needs credentials: security.protocol is " + protocol
                + " but sasl.jaas.config is not set (set it in the --config file, or METERING_SASL_JAAS_CONFIG)");
    }

    /**
     * With its own admin client made from the admin settings among {@code settings}.
     *
     * @return the cluster id
     * @throws StartupException saying why the cluster does not answer
     */
    public static String await(Properties settings, Duration timeout) {
        Properties admin = Settings.only(settings, AdminClientConfig.configNames());
        // The setup client's id: log4j2.xml quiets its reconnect warnings, and the check's own line says what is wrong.
        admin.put(AdminClientConfig.CLIENT_ID_CONFIG, MeteringApp.SETUP_CLIENT_ID);
        Admin client;
        try {
            client = Admin.create(admin);
        } catch (KafkaException e) {
            throw new StartupException("invalid Kafka client settings: " + MeteringApp.rootMessage(e), e);
        }
        try {
            return await(client, settings, timeout);
        } finally {
            client.close(Duration.ZERO); // a failed check leaves its request pending: drop it
        }
    }

    /**
     * @return the cluster id, once {@code admin} got an answer within {@code timeout}
     * @throws StartupException saying why the cluster does not answer
     */
    public static String await(Admin admin, Properties settings, Duration timeout) {
        return await(admin, settings, timeout, () -> false);
    }

    /**
     * As {@link #await(Admin, Properties, Duration)}, ending the wait as soon as {@code stopRequested} says so
     * (checked every 100 ms): a stop request (SIGTERM) while the cluster does not answer is no failure.
     *
     * @return the cluster id, or null when a stop was requested first
     * @throws StartupException saying why the cluster does not answer
     */
    public static String await(Admin admin, Properties settings, Duration timeout, BooleanSupplier stopRequested) {
        String bootstrap = string(settings, CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "(no bootstrap servers)");
        String protocol = string(settings, CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT").toUpperCase(Locale.ROOT);
        KafkaFuture<String> clusterId = admin.describeCluster(new DescribeClusterOptions()
                .timeoutMs((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))).clusterId();
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                try {
                    return clusterId.get(100, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    if (stopRequested.getAsBoolean()) {
                        return null;
                    }
                    if (System.nanoTime() - deadline > 0) {
                        throw unreachable(bootstrap, timeout, e);
                    }
                    double accepted = metric(admin, "connection-creation-total");
                    if (accepted >= CLOSED_CONNECTIONS && metric(admin, "connection-close-total") >= accepted) {
                        throw new StartupException("Kafka at " + bootstrap + " accepts connections and closes them unanswered: "
                                + (protocol.equals("PLAINTEXT")
                                    ? "its listener requires authentication (SASL) or TLS, and no security settings are given: set "
                                        + "security.protocol, sasl.mechanism and sasl.jaas.config (in --config, or " + ENV_HINT + ")"
                                    : "does its listener expect security.protocol=" + protocol + "? (authentication and TLS settings)"),
                                null);
                    }
                }
            }
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof AuthenticationException) {
                throw new StartupException("authentication failed at " + bootstrap + ": " + MeteringApp.rootMessage(cause)
                        + (cause instanceof SaslAuthenticationException ? " (check the user and password in sasl.jaas.config)" : ""),
                        cause);
            }
            if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw unreachable(bootstrap, timeout, cause);
            }
            throw new StartupException("cannot reach Kafka at " + bootstrap + ": " + MeteringApp.rootMessage(cause), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("interrupted while connecting to Kafka", e);
        }
    }

    private static StartupException unreachable(String bootstrap, Duration timeout, Throwable cause) {
        return new StartupException("cannot reach Kafka at " + bootstrap + " within " + seconds(timeout)
                + ": is the broker up and the address right?", cause);
    }

    private static double metric(Admin admin, String name) {
        double sum = 0;
        for (Map.Entry<MetricName, ? extends Metric> m : admin.metrics().entrySet()) {
            if (m.getKey().name().equals(name) && m.getValue().metricValue() instanceof Number n) {
                sum += n.doubleValue();
            }
        }
        return sum;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    private static String string(Map<?, ?> settings, String key, String otherwise) {
        Object v = settings.get(key);
        return v == null ? otherwise : v.toString().trim();
    }
}
