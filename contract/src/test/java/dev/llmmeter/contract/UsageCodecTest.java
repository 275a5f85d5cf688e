package dev.llmmeter.contract;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class UsageCodecTest {
    private static final long START = 1_790_000_040_000L;

    private static Usage usage(String tenant, String model, String amends) {
        String id = Usage.windowId("/llm-metering/app", Usage.Window.MINUTE, START, tenant, model);
        return new Usage(amends == null ? id : Usage.amendmentId(id, "s9"), "/llm-metering/app", tenant, model,
                Usage.Window.MINUTE, START, START + 60_000, 3, BigInteger.valueOf(1200), BigInteger.valueOf(420),
                BigInteger.valueOf(17), BigInteger.ZERO, 1, amends);
    }

    @Test
    void aWindowIsWrittenAsACloudEventWithTheTenantAsSubject() {
        Usage u = usage("acme", "m1", null);
        assertEquals("{\"specversion\":\"1.0\",\"id\":\"" + u.id() + "\",\"source\":\"/llm-metering/app\","
                        + "\"type\":\"dev.llmmeter.usage.v1\",\"subject\":\"acme\",\"time\":\"2026-09-21T14:15:00Z\","
                        + "\"datacontenttype\":\"application/json\",\"data\":{\"tenant\":\"acme\",\"model\":\"m1\","
                        + "\"window\":\"minute\",\"window_start\":\"2026-09-21T14:14:00Z\",\"window_end\":\"2026-09-21T14:15:00Z\","
                        + "\"requests\":3,\"input_tokens\":1200,\"output_tokens\":420,\"reasoning_tokens\":17,"
                        + "\"cached_input_tokens\":0,\"metered_requests\":1,\"amends\":null}}",
                new String(UsageCodec.encode(u), StandardCharsets.UTF_8));
    }

    @Test
    void aWindowWithoutTenantHasNoSubjectAndRoundTrips() {
        Usage u = usage(null, null, null);
        String json = new String(UsageCodec.encode(u), StandardCharsets.UTF_8);
        assertEquals(-1, json.indexOf("\"subject\""));
        assertEquals(u, UsageCodec.decode(UsageCodec.encode(u)));
    }

    @Test
    void sumsBeyondSixtyFourBitsRoundTripExactly() {
        BigInteger big = BigInteger.valueOf(Long.MAX_VALUE).multiply(BigInteger.valueOf(3));
        Usage u = new Usage("i", "s", "t", "m", Usage.Window.HOUR, 0, 3_600_000, 3, big, big, big, big, 0, null);
        assertEquals(u, UsageCodec.decode(UsageCodec.encode(u)));
        assertEquals(true, new String(UsageCodec.encode(u), StandardCharsets.UTF_8).contains("\"input_tokens\":27670116110564327421,"));
    }

    @Test
    void anAmendmentNamesTheRecordItAmendsAndHasItsOwnId() {
        Usage first = usage("acme", "m1", null);
        Usage amendment = usage("acme", "m1", first.id());
        assertNotEquals(first.id(), amendment.id());
        assertEquals(first.id(), UsageCodec.decode(UsageCodec.encode(amendment)).amends());
    }

    @Test
    void windowIdsAreStableAndTellTenantsModelsAndNullsApart() {
        String a = Usage.windowId("s", Usage.Window.MINUTE, START, "a|b", "c");
        assertEquals(a, Usage.windowId("s", Usage.Window.MINUTE, START, "a|b", "c"));
        assertNotEquals(a, Usage.windowId("s", Usage.Window.MINUTE, START, "a", "b|c"));
        assertNotEquals(Usage.windowId("s", Usage.Window.MINUTE, START, null, "m"),
                Usage.windowId("s", Usage.Window.MINUTE, START, "", "m"));
        assertNotEquals(a, Usage.windowId("s", Usage.Window.HOUR, START, "a|b", "c"));
    }

    @Test
    void bytesThatAreNotAUsageRecordAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> UsageCodec.decode("{\"ts\":1}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(IllegalArgumentException.class, () -> UsageCodec.decode("[1]".getBytes(StandardCharsets.UTF_8)));
    }
}
