package dev.llmmeter.devkit;

import dev.llmmeter.devkit.EmbeddedKafka;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.Map;
import java.util.function.Consumer;

/**
 * One real {@link EmbeddedKafka} broker per test class, on a free port and a temporary data dir, closed
 * (and the data deleted) after the class:
 *
 * <pre>{@code
 * @RegisterExtension
 * static KafkaBrokerExtension kafka = new KafkaBrokerExtension();
 * }</pre>
 *
 * Register it in a static field: the broker starts before all tests. Each test starts with the broker
 * running: one that a previous test left stopped is started again (same port, same data).
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {
    private final Consumer<EmbeddedKafka.Builder> options;
    private EmbeddedKafka broker;
    private ExtensionContext owner;

    public KafkaBrokerExtension() {
        this(b -> { });
    }

    /** With broker options on top of the defaults (free port, temporary data dir), e.g. {@code b -> b.sasl(users)}. */
    public KafkaBrokerExtension(Consumer<EmbeddedKafka.Builder> options) {
        this.options = options;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (broker != null) {
            return; // a @Nested class: the enclosing class's broker serves it
        }
        EmbeddedKafka.Builder b = EmbeddedKafka.builder().port(0).dataDir(null);
        options.accept(b);
        broker = b.build();
        owner = context;
        broker.start();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (!broker.isRunning()) {
            broker.start();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (context == owner) {
            broker.close();
            broker = null;
            owner = null;
        }
    }

    /** {@code localhost:PORT}: the same across {@link #restart()}. */
    public String bootstrapServers() {
        return broker().bootstrapServers();
    }

    /** Client settings for the broker: bootstrap servers, plus SASL settings when it has users. */
    public Map<String, Object> clientConfig() {
        return broker().clientConfig();
    }

    /** Stops the broker cleanly and starts it again on the same port and data dir. */
    public void restart() {
        stop();
        start();
    }

    /** Stops the broker cleanly, keeping its data. */
    public void stop() {
        broker().stop();
    }

    /** Starts the broker again after {@link #stop()}; blocks until it serves clients. */
    public void start() {
        broker().start();
    }

    /** Creates a topic with one replica and waits until it exists. */
    public void createTopic(String name, int partitions) {
        broker().createTopic(name, partitions);
    }

    public EmbeddedKafka broker() {
        if (broker == null) {
            throw new IllegalStateException("no broker: register KafkaBrokerExtension in a static @RegisterExtension field");
        }
        return broker;
    }
}
