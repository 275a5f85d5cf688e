package dev.llmmeter.sim;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.DeltaEventCodec;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KafkaSinkTest {
    private final MockProducer<String, byte[]> producer =
            new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
    private final KafkaSink sink = new KafkaSink(producer, "metering.deltas", "broker:9092");

    @Test
    void eachEventIsSentKeyedByItsStreamIdWithItsTsAsTheRecordTimestamp() {
        DeltaEvent begin = DeltaEvent.begin("sim-1-7", 1_790_000_000_123L);
        DeltaEvent end = DeltaEvent.end("sim-1-7", 1_790_000_001_000L, 0, 12);
        sink.send(begin);
        sink.send(end);
        sink.flush();
        List<ProducerRecord<String, byte[]>> sent = producer.history();
        assertEquals(2, sent.size());
        ProducerRecord<String, byte[]> r = sent.get(0);
        assertEquals("metering.deltas", r.topic());
        assertEquals("sim-1-7", r.key());
        assertEquals(1_790_000_000_123L, r.timestamp());
        assertEquals(begin, DeltaEventCodec.decode(r.value()));
        assertEquals(end, DeltaEventCodec.decode(sent.get(1).value()));
        assertEquals(2, sink.acknowledged());
        assertEquals(0, sink.failed());
    }

    @Test
    void anEventWithoutTsGetsNoRecordTimestamp() {
        sink.send(DeltaEvent.begin("s", DeltaEvent.NO_TS));
        assertNull(producer.history().get(0).timestamp());
    }

    @Test
    void aFailedDeliveryFailsTheFlushWithTheCountAndTheFirstError() {
        sink.send(DeltaEvent.begin("a", 1));
        sink.send(DeltaEvent.begin("b", 2));
        sink.send(DeltaEvent.begin("c", 3));
        producer.completeNext();
        producer.errorNext(new TimeoutException("Expiring 1 record(s) for metering.deltas-0: 30001 ms has passed"));
        SinkException e = assertThrows(SinkException.class, sink::flush);
        assertEquals("1 of 3 events could not be delivered to topic metering.deltas at broker:9092; first error: "
                + "TimeoutException: Expiring 1 record(s) for metering.deltas-0: 30001 ms has passed", e.getMessage());
        assertEquals(2, sink.acknowledged());
        assertEquals(1, sink.failed());
    }

    @Test
    void theReportedErrorIsTheFirstOneThatSaysWhy() {
        sink.send(DeltaEvent.begin("a", 1));
        sink.send(DeltaEvent.begin("b", 2));
        producer.errorNext(new KafkaException("Failed to append record because it was part of a batch which had one more more invalid records"));
        producer.errorNext(new InvalidTimestampException("Timestamp 1 of message with offset 0 is out of range."));
        SinkException e = assertThrows(SinkException.class, sink::flush);
        assertEquals("2 of 2 events could not be delivered to topic metering.deltas at broker:9092; first error: "
                + "InvalidTimestampException: Timestamp 1 of message with offset 0 is out of range.", e.getMessage());
    }

    @Test
    void theSendAfterAFailedDeliveryFailsOnceTheRecordsInFlightComplete() {
        sink.send(DeltaEvent.begin("a", 1));
        sink.send(DeltaEvent.begin("b", 2));
        sink.send(DeltaEvent.begin("c", 3));
        producer.errorNext(new TimeoutException("boom"));
        SinkException e = assertThrows(SinkException.class, () -> sink.send(DeltaEvent.begin("d", 4)));
        assertEquals("1 of 3 events could not be delivered to topic metering.deltas at broker:9092; first error: "
                + "TimeoutException: boom", e.getMessage());
        assertEquals(3, producer.history().size(), "d was not sent");
        assertEquals(2, sink.acknowledged(), "b and c completed before the report");
    }

    @Test
    void aSendThatThrowsAtOnceIsReported() {
        producer.sendException = new TimeoutException("Topic metering.deltas not present in metadata after 30000 ms.");
        SinkException e = assertThrows(SinkException.class, () -> sink.send(DeltaEvent.begin("a", 1)));
        assertEquals("cannot send to topic metering.deltas at broker:9092: TimeoutException: "
                + "Topic metering.deltas not present in metadata after 30000 ms.", e.getMessage());
    }

    @Test
    void missingMetadataFailsBeforeTheFirstSend() {
        producer.partitionsForException = new TimeoutException("Topic metering.deltas not present in metadata after 30000 ms.");
        SinkException e = assertThrows(SinkException.class, sink::awaitTopic);
        assertTrue(e.getMessage().startsWith("no metadata for topic metering.deltas from broker:9092 in time: "
                + "is the cluster reachable and does the topic exist?"), e.getMessage());
    }

    @Test
    void anUnreachableClusterFailsWithinMaxBlockMs() {
        Properties extra = new Properties();
        extra.setProperty("max.block.ms", "500");
        long started = System.nanoTime();
        try (KafkaSink real = new KafkaSink("127.0.0.1:1", "metering.deltas", extra)) {
            SinkException e = assertThrows(SinkException.class, real::awaitTopic);
            assertTrue(e.getMessage().startsWith("no metadata for topic metering.deltas from 127.0.0.1:1 in time"), e.getMessage());
            // The producer gave up after the max.block.ms given, not its default 30 s: its own message says so.
            assertTrue(e.getMessage().contains("after 500 ms"), e.getMessage());
        }
        System.out.println("KafkaSinkTest: an unreachable cluster failed awaitTopic after "
                + (System.nanoTime() - started) / 1_000_000 + " ms (max.block.ms 500)");
    }

    @Test
    void theProducerIsIdempotentWithAcksAllAndTakesExtraProperties() {
        Properties extra = new Properties();
        extra.setProperty("security.protocol", "SASL_SSL");
        extra.setProperty("sasl.mechanism", "PLAIN");
        extra.setProperty("linger.ms", "20");
        extra.setProperty("acks", "1");
        extra.setProperty("enable.idempotence", "false");
        extra.setProperty("bootstrap.servers", "elsewhere:9092");
        Properties p = KafkaSink.producerConfig("broker:9092", extra);
        assertEquals("SASL_SSL", p.getProperty("security.protocol"));
        assertEquals("PLAIN", p.getProperty("sasl.mechanism"));
        assertEquals("20", p.getProperty("linger.ms"));
        assertEquals("all", p.getProperty("acks"));
        assertEquals("true", p.getProperty("enable.idempotence"));
        assertEquals("broker:9092", p.getProperty("bootstrap.servers"));
        assertEquals("30000", p.getProperty("max.block.ms"));
        assertEquals("30000", p.getProperty("delivery.timeout.ms"));
    }

    @Test
    void aBadProducerSettingIsReportedReadably() {
        Properties extra = new Properties();
        extra.setProperty("compression.type", "zip");
        SinkException e = assertThrows(SinkException.class, () -> new KafkaSink("broker:9092", "t", extra));
        assertTrue(e.getMessage().startsWith("invalid Kafka producer configuration: "), e.getMessage());
    }
}
