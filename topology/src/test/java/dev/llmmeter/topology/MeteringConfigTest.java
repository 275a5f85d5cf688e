package dev.llmmeter.topology;

import dev.llmmeter.topology.insights.SloObjectives;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MeteringConfigTest {
    @Test
    void defaultsAreTheSeeds() {
        MeteringConfig c = MeteringConfig.defaults();
        assertEquals(List.of("metering.deltas", "metering.stats", "metering.deltas.dlq", "metering.streams", "metering.insights",
                        "metering.usage"),
                List.of(c.deltasTopic(), c.statsTopic(), c.deadLetterTopic(), c.streamsTopic(), c.insightsTopic(), c.usageTopic()));
        assertEquals(List.of(300_000L, 3_600_000L), List.of(c.usageGraceMs(), c.usageDedupeMs()));
        assertEquals(1_000_000, c.usageDedupeMaxIds());
        assertEquals(List.of(60_000L, 3_600_000L, 600_000L, 30_000L, 500L, 300_000L, 3_600_000L),
                List.of(c.staleMs(), c.hourWindowMs(), c.beginExpiryMs(), c.partialTtlMs(), c.combinerGraceMs(), c.maxFutureMs(),
                        c.streamsRetentionMs()));
        assertEquals(List.of(200_000, 100, 200), List.of(c.maxSessionsPerTask(), c.insightsMaxLabels(), c.insightsMaxLabelsPerTask()));
    }

    @Test
    void everySettingIsOneDefineLineAndTheDefaultsAreReadFromIt() {
        assertEquals(List.copyOf(MeteringConfig.CONFIG.configKeys().keySet()), List.copyOf(MeteringConfig.DEFAULTS.keySet()));
        assertEquals("60000", MeteringConfig.DEFAULTS.get(MeteringConfig.STALE_MS));
        assertEquals("metering.deltas", MeteringConfig.DEFAULTS.get(MeteringConfig.DELTAS_TOPIC));
    }

    @Test
    void readsMeteringKeysAndIgnoresOthers() {
        MeteringConfig c = MeteringConfig.fromMap(Map.of("metering.stale.ms", " 10000 ", "metering.topic.stats", "s",
                "bootstrap.servers", "x:1", "security.protocol", "SASL_SSL"));
        assertEquals(10_000, c.staleMs());
        assertEquals("s", c.statsTopic());
    }

    @Test
    void unknownMeteringKeyIsRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MeteringConfig.fromMap(Map.of("metering.stale.msec", "1")));
        assertEquals("unknown setting metering.stale.msec; known metering settings: metering.topic.deltas, "
                + "metering.topic.stats, metering.topic.dlq, metering.topic.streams, metering.topic.insights, metering.topic.usage, "
                + "metering.stale.ms, metering.hour.window.ms, "
                + "metering.begin.expiry.ms, metering.partial.ttl.ms, metering.combiner.grace.ms, "
                + "metering.max.future.ms, metering.max.sessions.per.task, metering.streams.retention.ms, "
                + "metering.insights.max.labels, metering.insights.max.labels.per.task, metering.usage.grace.ms, metering.usage.dedupe.ms, "
                + "metering.usage.dedupe.max.ids, metering.slo.ttft.ms, metering.slo.tpot.ms, metering.slo.target, metering.slo.models", e.getMessage());
    }

    @Test
    void theRunningProcessesOwnSettingsAreKnownAndLeftToIt() {
        MeteringConfig c = MeteringConfig.fromMap(Map.of("metering.topic.create", "false", "metering.stale.ms", "5000"),
                java.util.Set.of("metering.topic.create"));
        assertEquals(5000, c.staleMs());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MeteringConfig.fromMap(Map.of("metering.topic.create", "false")));
        assertTrue(e.getMessage().startsWith("unknown setting metering.topic.create; "), e.getMessage());
    }

    @Test
    void badValuesAreRejectedByName() {
        assertEquals("Invalid value 1m for configuration metering.stale.ms: Not a number of type LONG",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.stale.ms", "1m"))).getMessage());
        assertEquals("Invalid value 0 for configuration metering.hour.window.ms: Value must be at least 1",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.hour.window.ms", "0"))).getMessage());
        assertEquals("Invalid value 1000 for configuration metering.combiner.grace.ms: Value must be no more than 999",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.combiner.grace.ms", "1000"))).getMessage());
        assertEquals("Invalid value 0 for configuration metering.max.sessions.per.task: Value must be at least 1",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.max.sessions.per.task", "0"))).getMessage());
        assertEquals("Invalid value 5m for configuration metering.max.future.ms: Not a number of type LONG",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.max.future.ms", "5m"))).getMessage());
        assertEquals("the deltas, stats, dead-letter, streams, insights and usage topics must be six different topics, got a, a, "
                        + "metering.deltas.dlq, metering.streams, metering.insights, metering.usage",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(
                        Map.of("metering.topic.deltas", "a", "metering.topic.stats", "a"))).getMessage());
        assertEquals("Invalid value  for configuration metering.topic.dlq: String may not be empty",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.topic.dlq", " "))).getMessage());
    }

    @Test
    void aMaxFutureBeyondOneDayIsRejectedByNameSoTheCombinersClampCannotOverflow() {
        assertEquals("Invalid value 9223372036854775000 for configuration metering.max.future.ms: Value must be no more than 86400000",
                assertThrows(IllegalArgumentException.class,
                        () -> MeteringConfig.fromMap(Map.of("metering.max.future.ms", "9223372036854775000"))).getMessage());
        assertEquals("Invalid value 86400001 for configuration metering.max.future.ms: Value must be no more than 86400000",
                assertThrows(IllegalArgumentException.class,
                        () -> MeteringConfig.fromMap(Map.of("metering.max.future.ms", "86400001"))).getMessage());
        assertEquals(86_400_000L, MeteringConfig.fromMap(Map.of("metering.max.future.ms", "86400000")).maxFutureMs());
    }

    @Test
    void insightsSettingsAreReadAndValidatedByName() {
        MeteringConfig c = MeteringConfig.fromMap(Map.of("metering.topic.streams", "s", "metering.topic.insights", "i",
                "metering.streams.retention.ms", "60000", "metering.insights.max.labels", "7"));
        assertEquals("s", c.streamsTopic());
        assertEquals("i", c.insightsTopic());
        assertEquals(60_000, c.streamsRetentionMs());
        assertEquals(7, c.insightsMaxLabels());
        assertEquals("Invalid value 0 for configuration metering.streams.retention.ms: Value must be at least 1",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.streams.retention.ms", "0"))).getMessage());
        assertEquals("Invalid value 0 for configuration metering.insights.max.labels: Value must be at least 1",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.insights.max.labels", "0"))).getMessage());
        assertEquals("Invalid value 1001 for configuration metering.insights.max.labels: Value must be no more than 1000",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.insights.max.labels", "1001"))).getMessage());
        assertEquals(200, c.insightsMaxLabelsPerTask());
        assertEquals(500, MeteringConfig.fromMap(Map.of("metering.insights.max.labels", "500")).insightsMaxLabelsPerTask(),
                "unset, it is at least metering.insights.max.labels");
        assertEquals(3, MeteringConfig.fromMap(Map.of("metering.insights.max.labels", "2",
                "metering.insights.max.labels.per.task", "3")).insightsMaxLabelsPerTask());
        assertEquals("metering.insights.max.labels.per.task must be at least metering.insights.max.labels (7), got 6",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.insights.max.labels", "7",
                        "metering.insights.max.labels.per.task", "6"))).getMessage());
        assertEquals("Invalid value 1001 for configuration metering.insights.max.labels.per.task: Value must be no more than 1000",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of(
                        "metering.insights.max.labels.per.task", "1001"))).getMessage());
        assertEquals("the deltas, stats, dead-letter, streams, insights and usage topics must be six different topics, got metering.deltas, "
                        + "metering.stats, metering.deltas.dlq, metering.stats, metering.insights, metering.usage",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.topic.streams", "metering.stats"))).getMessage());
    }

    @Test
    void metering_slo_modelsSetsEachModelsOwnObjectivesWithNamesNoSettingNameCouldCarry() {
        MeteringConfig c = MeteringConfig.fromMap(Map.of(MeteringConfig.SLO_TTFT_MS, "1000", MeteringConfig.SLO_TPOT_MS, "100",
                MeteringConfig.SLO_MODELS, " llama-3.1-70b = ttft:500 , tpot:50 ;gpt-x=ttft:800; org/model:v2=tpot:7.5;"));
        SloObjectives o = c.sloObjectives();
        assertEquals(List.of(500.0, 50.0), List.of(o.ttftMs("llama-3.1-70b"), o.tpotMs("llama-3.1-70b")));
        assertEquals(List.of(800.0, 100.0), List.of(o.ttftMs("gpt-x"), o.tpotMs("gpt-x")), "tpot: the default");
        assertEquals(List.of(1000.0, 7.5), List.of(o.ttftMs("org/model:v2"), o.tpotMs("org/model:v2")));
        assertEquals(List.of(1000.0, 100.0), List.of(o.ttftMs("other-model"), o.tpotMs("other-model")));
    }

    @Test
    void aModelsOwnSettingWinsOverItsEntryInTheList() {
        MeteringConfig c = MeteringConfig.fromMap(Map.of(MeteringConfig.SLO_MODELS, "m=ttft:500,tpot:50",
                "metering.slo.ttft.ms.model.m", "300"));
        assertEquals(List.of(300.0, 50.0), List.of(c.sloObjectives().ttftMs("m"), c.sloObjectives().tpotMs("m")));
    }

    @Test
    void aMalformedListIsRefusedNamingTheSettingTheEntryAndTheForm() {
        String form = "; the form is MODEL=ttft:MS,tpot:MS entries separated by ';', e.g. llama-3.1-70b=ttft:500,tpot:50;gpt-x=ttft:800";
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("llama-3.1-70b:ttft:500", "entry 'llama-3.1-70b:ttft:500' has no '='");
        cases.put("=ttft:500", "entry '=ttft:500' names no model");
        cases.put("m=ttft:500;m=tpot:50", "model 'm' is named twice");
        cases.put("m=ttft=500", "entry 'm=ttft=500': '500' is not ttft:MS or tpot:MS");
        cases.put("m=latency:500", "entry 'm=latency:500': 'latency:500' is not ttft:MS or tpot:MS");
        cases.put("m=", "entry 'm=': '' is not ttft:MS or tpot:MS");
        cases.put("m=ttft:0", "entry 'm=ttft:0': ttft must be a positive number of milliseconds, got '0'");
        cases.put("m=tpot:fast", "entry 'm=tpot:fast': tpot must be a positive number of milliseconds, got 'fast'");
        cases.put("m=ttft:500,ttft:400", "entry 'm=ttft:500,ttft:400' sets ttft twice");
        cases.forEach((value, why) -> assertEquals("Invalid value " + value + " for configuration metering.slo.models: " + why + form,
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of(MeteringConfig.SLO_MODELS, value))).getMessage(),
                value));
    }
}
