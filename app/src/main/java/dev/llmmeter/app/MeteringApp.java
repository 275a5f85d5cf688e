package dev.llmmeter.app;

import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringTopology;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The live metering app: checks the cluster, creates missing topics, runs the topology in
 * {@link KafkaStreams} until closed or failed. Bootstrap only; the topology itself comes from
 * {@link MeteringTopology#build}.
 */
public final class MeteringApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MeteringApp.class);
    public static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
    /** Client id of the admin client that checks the cluster and creates topics (log4j2.xml quiets its reconnect warnings). */
    static final String SETUP_CLIENT_ID = "metering-setup";

    private final MeteringConfig config;
    private final Settings settings;
    private final Properties streamsProperties;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AccessCheck access;
    private volatile Throwable failure;
    /** Why the app stopped, in one line for the operator, when it stopped on a missing permission. */
    private volatile String failureLine;
    static final int MAX_REPLACEMENTS = 10;
    static final Duration REPLACEMENT_WINDOW = Duration.ofMinutes(5);
    private long replacementWindowStart = System.nanoTime();
    private int replacements;
    private volatile KafkaStreams streams;
    private volatile boolean closed;
    private boolean closedCleanly;

    /**
     * @param settings all settings: Kafka client and Streams ones, and {@code metering.*}
     * @throws StartupException for a bad setting, naming it
     */
    public MeteringApp(Properties settings) {
        this(settingsOf(settings));
    }

    /** @throws StartupException for missing bootstrap servers or credentials, or any bad Kafka setting ({@link Settings#requireValidKafka}) */
    public MeteringApp(Settings settings) {
        Secrets.register(settings.all());
        this.settings = settings;
        this.config = settings.metering();
        this.streamsProperties = settings.streams();
        if (streamsProperties.getProperty(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "").isBlank()) {
            throw new StartupException("no bootstrap servers: pass --bootstrap-servers, or set bootstrap.servers "
                    + "in the config file or METERING_BOOTSTRAP_SERVERS", null);
        }
        this.access = new AccessCheck(streamsProperties.getProperty(StreamsConfig.APPLICATION_ID_CONFIG), config,
                MeteringTopology.exactlyOnce(streamsProperties));
        ClusterCheck.missingCredentials(streamsProperties).ifPresent(problem -> {
            throw new StartupException(problem, null);
        });
        try {
            settings.requireValidKafka(); // before anything is written: topics, the instance id file
        } catch (Settings.SettingsException e) {
            throw new StartupException(e.getMessage(), null);
        }
    }

    private static Settings settingsOf(Properties merged) {
        try {
            return Settings.of(merged);
        } catch (Settings.SettingsException e) {
            throw new StartupException(e.getMessage(), null);
        }
    }

    public MeteringConfig config() {
        return config;
    }

    public Properties streamsProperties() {
        return streamsProperties;
    }

    /**
     * Checks the cluster answers, creates missing topics, starts the streams. Returns once started, or at once
     * when {@link #stop()} came first (a signal while the cluster did not answer yet).
     *
     * @return true when the streams started, false when stopped before
     */
    public boolean start() {
        try {
            String instanceId = Settings.withInstanceId(streamsProperties);
            LOG.info("group.instance.id {}", instanceId == null ? "none (dynamic membership)" : instanceId);
        } catch (IOException e) {
            throw new StartupException("cannot keep this instance's group.instance.id in the state directory "
                    + streamsProperties.getProperty(StreamsConfig.STATE_DIR_CONFIG) + ": " + e, e);
        }
        StreamsConfig streamsConfig;
        try {
            streamsConfig = new StreamsConfig(streamsProperties);
        } catch (ConfigException e) {
            throw new StartupException("bad Kafka Streams setting: " + e.getMessage(), e);
        }
        Admin admin;
        int sessionTasks;
        try {
            admin = Admin.create(streamsConfig.getAdminConfigs(SETUP_CLIENT_ID));
        } catch (KafkaException e) {
            throw new StartupException("cannot set up the Kafka admin client: " + rootMessage(e), e);
        }
        try {
            String clusterId = ClusterCheck.await(admin, streamsProperties, STARTUP_TIMEOUT, () -> closed);
            if (clusterId == null) {
                return false; // stopped while waiting for the cluster
            }
            LOG.info("connected to Kafka cluster {} at {}", clusterId, streamsProperties.getProperty(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG));
            // Permissions first: a topic the principal may not see would otherwise look missing, and be "created".
            List<String> missing = access.missing(admin, STARTUP_TIMEOUT.toMillis());
            if (!missing.isEmpty()) {
                throw new StartupException(access.line(missing), null);
            }
            // What Kafka Streams or the results would trip over later, said now in one line, before anything is created.
            List<String> warnings = TopicSetup.check(admin, settings,
                    streamsProperties.getProperty(StreamsConfig.APPLICATION_ID_CONFIG), STARTUP_TIMEOUT.toMillis());
            List<String> created = TopicSetup.ensure(admin, settings, STARTUP_TIMEOUT.toMillis());
            if (!created.isEmpty()) {
                LOG.info("created topics {}", created);
            }
            // One session task per input partition: the combiner waits for all of them on a cold start.
            sessionTasks = TopicSetup.partitionCount(admin, config.deltasTopic(), STARTUP_TIMEOUT.toMillis());
            warnings.forEach(LOG::warn); // after the permissions: a refusal stays the one line it promises
            // group.protocol=streams: the standby count is the streams group's config, which Kafka Streams does not set.
            StreamsGroupConfig.apply(admin, streamsProperties, STARTUP_TIMEOUT.toMillis()).ifPresent(LOG::warn);
        } catch (KafkaException e) {
            throw new StartupException("cannot set up the Kafka admin client: " + rootMessage(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("interrupted while checking the cluster", e);
        } finally {
            admin.close(Duration.ZERO); // nothing is pending unless setup failed, and then it is abandoned
        }
        KafkaStreams created;
        try {
            created = new KafkaStreams(MeteringTopology.build(config, sessionTasks), streamsConfig);
        } catch (KafkaException e) {
            throw new StartupException("cannot create the Kafka Streams client: " + rootMessage(e), e);
        }
        created.setUncaughtExceptionHandler(this::onStreamThreadFailure);
        AtomicBoolean rechecked = new AtomicBoolean();
        created.setStateListener((now, before) -> {
            LOG.info("state {} -> {}", before, now);
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                stopped.countDown();
            }
            if (now == KafkaStreams.State.RUNNING && !rechecked.getAndSet(true)) {
                Thread recheck = new Thread(() -> recheckRepartitionTopics(streamsConfig), "metering-access-recheck");
                recheck.setDaemon(true);
                recheck.start();
            }
        });
        synchronized (this) {
            if (closed) { // stopped (a signal) while the cluster check ran: start nothing
                created.close(Duration.ZERO);
                return false;
            }
            streams = created;
            streams.start();
        }
        return true;
    }

    /**
     * Once running, the app's repartition topics exist (Kafka Streams creates them on its first start): without DELETE
     * on them Kafka Streams cannot delete what it has read and says nothing, so the app stops, naming it, as for any
     * missing permission. An answer that does not come is no finding.
     */
    private void recheckRepartitionTopics(StreamsConfig streamsConfig) {
        try (Admin admin = Admin.create(streamsConfig.getAdminConfigs(SETUP_CLIENT_ID))) {
            List<String> missing = access.missingOnRepartitionTopics(admin, STARTUP_TIMEOUT.toMillis());
            if (!missing.isEmpty() && !closed) {
                failureLine = access.line(missing);
                failure = new StartupException(failureLine, null);
                stopped.countDown();
            }
        } catch (KafkaException e) {
            LOG.debug("could not check the permissions on the repartition topics", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A transient cluster condition (a broker restarting: its metadata briefly lacks the input topic, or a
     * retriable error outlived the client's retries) gets a fresh stream thread, a bounded number of times;
     * anything else, or too many in a row, stops the app with a non-zero exit so an operator or
     * orchestrator sees it. Replaying a bug forever would help nobody.
     */
    private StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse onStreamThreadFailure(Throwable e) {
        long now = System.nanoTime();
        if (now - replacementWindowStart > REPLACEMENT_WINDOW.toNanos()) {
            replacementWindowStart = now;
            replacements = 0;
        }
        if (isTransient(e) && replacements < MAX_REPLACEMENTS) {
            replacements++;
            LOG.warn("stream thread failed on a transient condition; replacing it ({} of {} in {} s): {}",
                    replacements, MAX_REPLACEMENTS, REPLACEMENT_WINDOW.toSeconds(), rootMessage(e));
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        }
        failure = e;
        access.describe(e).ifPresentOrElse(line -> failureLine = line, // the line says it all: no stack trace
                () -> LOG.error("metering stopped on an unrecoverable error", e));
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }

    static boolean isTransient(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof MissingSourceTopicException || t instanceof RetriableException) {
                return true;
            }
        }
        return false;
    }

    /** Kafka's message, and its innermost cause's when that says more, secret setting values masked ({@link Secrets}). */
    static String rootMessage(Throwable t) {
        return Secrets.redact(unmaskedRootMessage(t));
    }

    private static String unmaskedRootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return root == t || t.getMessage() == null || t.getMessage().contains(m) ? m : t.getMessage() + " (" + m + ")";
    }

    public KafkaStreams streams() {
        return streams;
    }

    /** Blocks until the app stops; returns true when it stopped by failure. */
    public boolean awaitStop() throws InterruptedException {
        stopped.await();
        return failure != null || (streams != null && streams.state() == KafkaStreams.State.ERROR);
    }


    public Throwable failure() {
        return failure;
    }

    /** Why the app stopped, in one line, when it stopped on a missing permission; null otherwise. */
    public String failureLine() {
        return failureLine;
    }

    /**
     * Closes the streams, committing what was processed, and leaves the consumer group: a planned stop
     * hands this instance's tasks (the stats combiner's, maybe) to the others at once, instead of after
     * {@code session.timeout.ms} as a static member otherwise would. A restart rejoins under the same
     * {@code group.instance.id}. Idempotent.
     */
    @Override
    public void close() {
        stop();
    }

    /** {@link #close()}, telling whether the streams closed within {@link #CLOSE_TIMEOUT} (true if never started). */
    public synchronized boolean stop() {
        if (!closed) {
            closed = true;
            closedCleanly = streams == null || streams.close(CloseOptions.timeout(CLOSE_TIMEOUT)
                    .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
            stopped.countDown();
        }
        return closedCleanly;
    }
}
