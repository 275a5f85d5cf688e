package dev.llmmeter.sim;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.DeltaEventCodec;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sends events to a topic: key = stream id, value = the wire JSON, record timestamp = the event's
 * {@code ts}. Idempotent, {@code acks=all}.
 *
 * <p>Failures are never dropped: each failed send (callback error) is counted, the first one kept, and
 * the next {@link #send} or {@link #flush()} throws a {@link SinkException} that says how many failed
 * and why. Waits are bounded: {@value #DEFAULT_MAX_BLOCK_MS} ms for metadata or buffer space,
 * {@value #DEFAULT_DELIVERY_TIMEOUT_MS} ms for a record's delivery, so an unreachable broker fails the
 * run within about 30 s.
 */
public final class KafkaSink implements EventSink {
    public static final int DEFAULT_MAX_BLOCK_MS = 30_000;
    public static final int DEFAULT_DELIVERY_TIMEOUT_MS = 30_000;
    public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final Producer<String, byte[]> producer;
    private final String topic;
    private final String where;
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<Exception> firstFailure = new AtomicReference<>();
    /** The first failure that says more than "part of a batch which had invalid records". */
    private final AtomicReference<Exception> firstSpecificFailure = new AtomicReference<>();
    private final Callback callback = (metadata, exception) -> {
        if (exception == null) {
            acked.incrementAndGet();
        } else {
            firstFailure.compareAndSet(null, exception);
            if (exception.getClass() != KafkaException.class) {
                firstSpecificFailure.compareAndSet(null, exception);
            }
            failed.incrementAndGet();
        }
    };
    private long sent;

    /**
     * @param extra client properties (security settings, tuning) laid over the defaults; the serializers,
     *              {@code bootstrap.servers}, {@code acks} and {@code enable.idempotence} are not overridable
     * @throws SinkException when the properties are not a valid producer configuration
     */
    public KafkaSink(String bootstrapServers, String topic, Properties extra) {
        this(create(producerConfig(bootstrapServers, extra)), topic, bootstrapServers);
    }

    /** Over any producer, e.g. a {@code MockProducer} in tests. */
    public KafkaSink(Producer<String, byte[]> producer, String topic, String where) {
        this.producer = producer;
        this.topic = topic;
        this.where = where;
    }

    /** The producer configuration: defaults, then {@code extra}, then the settings this sink relies on. */
    public static Properties producerConfig(String bootstrapServers, Properties extra) {
        Properties p = new Properties();
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "metering-simulator");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(128 * 1024));
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(DEFAULT_MAX_BLOCK_MS));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(DEFAULT_DELIVERY_TIMEOUT_MS));
        if (extra != null) {
            extra.stringPropertyNames().forEach(k -> p.put(k, extra.getProperty(k)));
        }
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.remove(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG);
        p.remove(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);
        return p;
    }

    private static Producer<String, byte[]> create(Properties config) {
        try {
            return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        } catch (KafkaException e) {
            throw new SinkException("invalid Kafka producer configuration: " + message(e), e);
        }
    }

    /**
     * Fetches the topic's metadata, so that an unreachable cluster or a missing topic fails here, before
     * the clock starts, rather than on the first send.
     *
     * @return the number of partitions
     * @throws SinkException when the metadata does not come within {@code max.block.ms}
     */
    public int awaitTopic() {
        try {
            List<PartitionInfo> partitions = producer.partitionsFor(topic);
            return partitions.size();
        } catch (TimeoutException e) {
            throw new SinkException("no metadata for topic " + topic + " from " + where
                    + " in time: is the cluster reachable and does the topic exist? (" + message(e) + ")", e);
        } catch (KafkaException e) {
            throw new SinkException("cannot get metadata for topic " + topic + " from " + where + ": " + message(e), e);
        }
    }

    @Override
    public void send(DeltaEvent event) {
        if (failed.get() > 0) {
            // Let the records in flight complete, so the report counts them all and can say why.
            try {
                producer.flush();
            } catch (KafkaException e) {
                // reported below, with the failures
            }
            throwIfFailed();
        }
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, null,
                event.hasTs() ? event.ts() : null, event.streamId(), DeltaEventCodec.encode(event));
        try {
            producer.send(record, callback);
        } catch (KafkaException e) {
            throw new SinkException("cannot send to topic " + topic + " at " + where + ": " + message(e), e);
        }
        sent++;
    }

    @Override
    public void flush() {
        try {
            producer.flush();
        } catch (KafkaException e) {
            throw new SinkException("cannot flush to topic " + topic + " at " + where + ": " + message(e), e);
        }
        throwIfFailed();
    }

    @Override
    public void close() {
        producer.close(CLOSE_TIMEOUT);
    }

    /** Events handed to the producer. */
    public long sent() {
        return sent;
    }

    /** Events the cluster acknowledged. */
    public long acknowledged() {
        return acked.get();
    }

    /** Events whose send failed. */
    public long failed() {
        return failed.get();
    }

    private void throwIfFailed() {
        long n = failed.get();
        if (n > 0) {
            Exception first = firstSpecificFailure.get() != null ? firstSpecificFailure.get() : firstFailure.get();
            throw new SinkException(n + " of " + sent + " events could not be delivered to topic " + topic
                    + " at " + where + "; first error: " + message(first), first);
        }
    }

    private static String message(Throwable e) {
        if (e == null) {
            return "(unknown)";
        }
        String m = e.getMessage();
        String s = e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
        Throwable cause = e.getCause();
        return cause != null && cause != e && cause.getMessage() != null ? s + " (" + cause.getMessage() + ")" : s;
    }
}
