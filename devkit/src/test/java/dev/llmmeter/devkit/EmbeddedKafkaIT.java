package dev.llmmeter.devkit;

import dev.llmmeter.devkit.EmbeddedKafka;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The embedded broker is a real Kafka: records, transactions, restarts and SASL behave as on a cluster. */
class EmbeddedKafkaIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    @Test
    void recordsProducedToACreatedTopicAreConsumedInOrderPerPartition() throws Exception {
        kafka.createTopic("plain", 3);
        List<String> sent = new ArrayList<>();
        try (KafkaProducer<String, String> producer = producer(kafka.clientConfig())) {
            for (int i = 0; i < 12; i++) {
                String key = "stream-" + (i % 4);
                producer.send(new ProducerRecord<>("plain", key, key + ":" + i)).get(10, TimeUnit.SECONDS);
                sent.add(key + "=" + key + ":" + i);
            }
        }
        List<ConsumerRecord<String, String>> read = readAll(kafka.clientConfig(), "plain", 3, 12, "read_uncommitted");
        Map<Integer, List<String>> byPartition = new HashMap<>();
        for (ConsumerRecord<String, String> r : read) {
            byPartition.computeIfAbsent(r.partition(), p -> new ArrayList<>()).add(r.key() + "=" + r.value());
        }
        // Every record once; each key stays in one partition, in the order sent.
        assertEquals(12, read.size());
        for (List<String> partition : byPartition.values()) {
            assertEquals(sent.stream().filter(partition::contains).toList(), partition);
        }
        assertEquals(sent.stream().sorted().toList(), read.stream().map(r -> r.key() + "=" + r.value()).sorted().toList());
    }

    @Test
    void transactionalProducerCommitsAndAbortsAndReadCommittedSeesOnlyCommitted() throws Exception {
        kafka.createTopic("txn", 1);
        Map<String, Object> config = new HashMap<>(kafka.clientConfig());
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "embedded-kafka-test-txn");
        try (KafkaProducer<String, String> producer = producer(config)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("txn", "k", "a"));
            producer.send(new ProducerRecord<>("txn", "k", "b"));
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("txn", "k", "aborted"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("txn", "k", "c"));
            producer.commitTransaction();
        }
        List<String> committed = readAll(kafka.clientConfig(), "txn", 1, 3, "read_committed").stream()
                .map(ConsumerRecord::value).toList();
        assertEquals(List.of("a", "b", "c"), committed);
    }

    @Test
    void recordsAndTopicsSurviveARestartOnTheSameDataDirAndPort() throws Exception {
        kafka.createTopic("durable", 1);
        try (KafkaProducer<String, String> producer = producer(kafka.clientConfig())) {
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>("durable", "k" + i, "v" + i)).get(10, TimeUnit.SECONDS);
            }
        }
        String bootstrap = kafka.bootstrapServers();
        String clusterId = kafka.broker().clusterId();

        kafka.restart();

        assertEquals(bootstrap, kafka.bootstrapServers());
        assertEquals(clusterId, kafka.broker().clusterId());
        List<String> read = readAll(kafka.clientConfig(), "durable", 1, 5, "read_uncommitted").stream()
                .map(r -> r.key() + "=" + r.value()).toList();
        assertEquals(List.of("k0=v0", "k1=v1", "k2=v2", "k3=v3", "k4=v4"), read);
    }

    @Test
    void withSaslTheRightPlainOrScramPasswordProducesAndAWrongOneFailsFastWithAnAuthenticationError() throws Exception {
        Map<String, String> users = new LinkedHashMap<>();
        users.put("alice", "alice-secret");
        users.put("bob", "b\"o\\b secret");
        try (EmbeddedKafka sasl = EmbeddedKafka.builder().sasl(users).build().start()) {
            try (var admin = org.apache.kafka.clients.admin.Admin.create(sasl.clientConfig())) {
                admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("secured", 1, (short) 1)))
                        .all().get(10, TimeUnit.SECONDS);
            }
            Map<String, Object> alicePlain = bootstrap(sasl, EmbeddedKafka.saslClientConfig("PLAIN", "alice", "alice-secret"));
            try (KafkaProducer<String, String> producer = producer(alicePlain)) {
                RecordMetadata m = producer.send(new ProducerRecord<>("secured", "k", "plain")).get(10, TimeUnit.SECONDS);
                assertEquals(0, m.offset());
            }
            Map<String, Object> bobScram = bootstrap(sasl, EmbeddedKafka.saslClientConfig("SCRAM-SHA-512", "bob", "b\"o\\b secret"));
            try (KafkaProducer<String, String> producer = producer(bobScram)) {
                RecordMetadata m = producer.send(new ProducerRecord<>("secured", "k", "scram")).get(10, TimeUnit.SECONDS);
                assertEquals(1, m.offset());
            }

            Map<String, Object> wrong = bootstrap(sasl, EmbeddedKafka.saslClientConfig("PLAIN", "alice", "not-her-password"));
            wrong.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
            try (KafkaProducer<String, String> producer = producer(wrong)) {
                long started = System.nanoTime();
                ExecutionException e = assertThrows(ExecutionException.class,
                        () -> producer.send(new ProducerRecord<>("secured", "k", "nope")).get(15, TimeUnit.SECONDS));
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                // The broker's answer, not a timeout (that would be a TimeoutException after max.block.ms).
                assertInstanceOf(SaslAuthenticationException.class, e.getCause());
                System.out.println("embedded kafka: a wrong SASL password failed the send after " + millis + " ms");
            }
            List<String> read = readAll(sasl.clientConfig(), "secured", 1, 2, "read_uncommitted").stream()
                    .map(ConsumerRecord::value).toList();
            assertEquals(List.of("plain", "scram"), read);
        }
    }

    private static Map<String, Object> bootstrap(EmbeddedKafka broker, Map<String, Object> sasl) {
        Map<String, Object> c = new HashMap<>(sasl);
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        return c;
    }

    private static KafkaProducer<String, String> producer(Map<String, Object> config) {
        Map<String, Object> c = new HashMap<>(config);
        c.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
        c.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return new KafkaProducer<>(c, new StringSerializer(), new StringSerializer());
    }

    /** Reads every partition of the topic from the start until {@code expected} records came (Awaitility, up to 30 s). */
    private static List<ConsumerRecord<String, String>> readAll(Map<String, Object> config, String topic, int partitions,
                                                                int expected, String isolation) {
        Map<String, Object> c = new HashMap<>(config);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        c.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        List<ConsumerRecord<String, String>> read = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                tps.add(new TopicPartition(topic, p));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            await(expected + " records from " + topic).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
                    .pollInSameThread() // the consumer is for one thread
                    .until(() -> {
                        consumer.poll(Duration.ofMillis(200)).forEach(read::add);
                        return read.size() >= expected;
                    });
            // A short extra poll: nothing beyond what is expected may show up.
            consumer.poll(Duration.ofMillis(200)).forEach(read::add);
        }
        return read;
    }
}
