package dev.llmmeter.serve.http;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import static dev.llmmeter.serve.Records.T0;
import static dev.llmmeter.serve.Records.stats;
import static dev.llmmeter.serve.Records.stream;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SseTest {
    private final ServerFixture f = new ServerFixture(new SseHub.Settings(600, 64, Duration.ofMillis(200)));

    @AfterEach
    void close() {
        f.close();
    }

    private void tick(int i) {
        f.view.offerStats(stats(i + ".5", "52.1", "1.5", i, T0 + i * 1000L));
    }

    private static String id(int i) {
        return String.valueOf(T0 + i * 1000L);
    }

    @Test
    @DisplayName("a metering event carries exactly the seed's payload, in the seed's order, with the tick as its id")
    void eventIsTheSeedPayload() throws Exception {
        f.view.offerStats(stats("47.3", "52.1", "31.4", 1, T0));
        try (SseReader sse = new SseReader(f.port, "/events", null)) {
            assertEquals(200, sse.status());
            assertEquals("text/event-stream;charset=utf-8", sse.contentType().replace(" ", "").toLowerCase());
            assertEquals("no-cache", sse.header("Cache-Control"));
            assertEquals("", sse.header("Access-Control-Allow-Origin"));
            await().atMost(Duration.ofSeconds(10)).until(() -> sse.events().size() == 1);
            assertEquals(new SseReader.Message("1790000000000", "metering",
                    "{\"tps\":47.3,\"tps_available\":true,\"estimated\":false,\"high\":52.1,\"low\":31.4,\"active\":1}", null),
                    sse.events().get(0));
        }
    }

    @Test
    @DisplayName("no reading yet: tps, high and low are null and tps_available false, as the seed sends them")
    void idlePayload() throws Exception {
        f.view.offerStats(stats("null", "null", "null", 0, T0));
        try (SseReader sse = new SseReader(f.port, "/events", null)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> sse.events().size() == 1);
            assertEquals("{\"tps\":null,\"tps_available\":false,\"estimated\":false,\"high\":null,\"low\":null,\"active\":0}",
                    sse.events().get(0).data());
        }
    }

    @Test
    @DisplayName("a fresh client gets the latest tick at once, then every new tick in order; a repeat or older tick never")
    void liveTicksInOrderOnce() throws Exception {
        tick(1);
        tick(2);
        try (SseReader sse = new SseReader(f.port, "/events", null)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> sse.events().size() == 1);
            tick(3);
            f.view.offerStats(stats("9.9", "52.1", "1.5", 3, T0 + 3000)); // a repeat of tick 3, recomputed
            tick(1);                                                          // behind the last one delivered
            tick(4);
            await().atMost(Duration.ofSeconds(10)).until(() -> sse.events().size() == 3);
            assertEquals(List.of(id(2), id(3), id(4)), sse.ids());
            assertEquals("{\"tps\":3.5,\"tps_available\":true,\"estimated\":false,\"high\":52.1,\"low\":1.5,\"active\":3}",
                    sse.events().get(1).data());
        }
    }

    @Test
    @DisplayName("reconnecting with Last-Event-ID resumes after that tick: the missed ticks, then live ones")
    void resumeAfterLastEventId() throws Exception {
        for (int i = 1; i <= 5; i++) {
            tick(i);
        }
        try (SseReader sse = new SseReader(f.port, "/events", id(2))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> sse.events().size() == 3);
            tick(6);
            await().atMost(Duration.ofSeconds(10)).until(() -> sse.events().size() == 4);
            assertEquals(List.of(id(3), id(4), id(5), id(6)), sse.ids());
        }
    }

    @Test
    @DisplayName("a Last-Event-ID that is the latest tick resumes with nothing missed; one no longer remembered gets the latest")
    void resumeEdges() throws Exception {
        for (int i = 1; i <= 3; i++) {
            tick(i);
        }
        try (SseReader upToDate = new SseReader(f.port, "/events", id(3));
             SseReader forgotten = new SseReader(f.port, "/events", "12345");
             SseReader garbled = new SseReader(f.port, "/events", "not-a-tick")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> forgotten.events().size() == 1 && garbled.events().size() == 1
                    && !upToDate.comments().isEmpty());
            tick(4);
            await().atMost(Duration.ofSeconds(10)).until(() -> upToDate.events().size() == 1 && forgotten.events().size() == 2);
            assertEquals(List.of(id(4)), upToDate.ids());
            assertEquals(List.of(id(3), id(4)), forgotten.ids());
            assertEquals(List.of(id(3)), garbled.ids().subList(0, 1));
        }
    }

    /** Ticks {@code from..to} in order, as the ids a client should see. */
    private static List<String> ids(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(SseTest::id).toList();
    }

    /**
     * Publishes ticks 1..{@code published}, resumes a client that saw tick {@code lastSeen}, then publishes one
     * live tick: the client gets exactly the ticks after {@code lastSeen} in order, then the live one.
     */
    private void assertResumes(int published, int lastSeen) throws Exception {
        for (int i = 1; i <= published; i++) {
            tick(i);
        }
        try (SseReader sse = new SseReader(f.port, "/events", id(lastSeen))) {
            assertEquals(200, sse.status());
            int missed = published - lastSeen;
            await().atMost(Duration.ofSeconds(10)).until(() -> sse.events().size() == missed);
            tick(published + 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> sse.events().size() == missed + 1);
            assertEquals(ids(lastSeen + 1, published + 1), sse.ids());
            assertEquals(1, f.server.hub().clients());
            assertEquals(0, f.server.hub().dropped());
        }
    }

    @Test
    @DisplayName("a client that missed 64 ticks (the live queue's size) resumes with all 64, then live ticks")
    void aResumeAfterSixtyFourMissedTicksStreamsTheWholeBacklog() throws Exception {
        assertResumes(100, 36);
    }

    @Test
    @DisplayName("a client that missed 65 ticks resumes with all 65, then live ticks")
    void aResumeAfterSixtyFiveMissedTicksStreamsTheWholeBacklog() throws Exception {
        assertResumes(100, 35);
    }

    @Test
    @DisplayName("a client that missed 599 ticks resumes from the oldest tick kept, then live ticks")
    void aResumeAfterFiveHundredNinetyNineMissedTicksStreamsTheWholeRing() throws Exception {
        assertResumes(600, 1);
    }

    @Test
    @DisplayName("a client that missed 600 ticks (all the ring holds, its own tick just forgotten) resumes with all 600")
    void aResumeAfterSixHundredMissedTicksStreamsTheWholeRing() throws Exception {
        assertResumes(601, 1);
    }

    @Test
    @DisplayName("a client that missed 601 ticks (more than the ring holds) gets the latest tick, then live ticks")
    void aResumeOlderThanTheRingGetsTheLatestTick() throws Exception {
        for (int i = 1; i <= 602; i++) {
            tick(i);
        }
        try (SseReader sse = new SseReader(f.port, "/events", id(1))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> sse.events().size() == 1);
            tick(603);
            await().atMost(Duration.ofSeconds(10)).until(() -> sse.events().size() == 2);
            assertEquals(List.of(id(602), id(603)), sse.ids());
            assertEquals(0, f.server.hub().dropped());
        }
    }

    @Test
    @DisplayName("a ?stream= client that missed 100 ticks gets each with the stream's fields, then live ticks")
    void aStreamClientResumesWithTheStreamsFieldsOnEveryMissedTick() throws Exception {
        f.view.offerStream("s-42", stream("s-42", "active", "31.5", "640", T0));
        for (int i = 1; i <= 101; i++) {
            tick(i);
        }
        try (SseReader sse = new SseReader(f.port, "/events?stream=s-42", id(1))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> sse.events().size() == 100);
            tick(102);
            await().atMost(Duration.ofSeconds(10)).until(() -> sse.events().size() == 101);
            assertEquals(ids(2, 102), sse.ids());
            assertEquals("{\"tps\":2.5,\"tps_available\":true,\"estimated\":false,\"high\":52.1,\"low\":1.5,\"active\":2,"
                    + "\"stream_tps\":31.5,\"ttft_ms\":640}", sse.events().get(0).data());
            assertEquals("{\"tps\":102.5,\"tps_available\":true,\"estimated\":false,\"high\":52.1,\"low\":1.5,\"active\":102,"
                    + "\"stream_tps\":31.5,\"ttft_ms\":640}", sse.events().get(100).data());
        }
    }

    @Test
    @DisplayName("?stream=ID writes a large stream_tps as the seed's json.dumps prints it (12345678.9), ttft_ms as the integer it is")
    void largeStreamFiguresArePrintedAsPythonPrintsThem() throws Exception {
        f.view.offerStream("s-42", stream("s-42", "active", "12345678.9", "10000000000000000", T0 + 1000));
        tick(1);
        try (SseReader mine = new SseReader(f.port, "/events?stream=s-42", null)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> mine.events().size() == 1);
            assertEquals("{\"tps\":1.5,\"tps_available\":true,\"estimated\":false,\"high\":52.1,\"low\":1.5,\"active\":1,"
                    + "\"stream_tps\":12345678.9,\"ttft_ms\":10000000000000000}", mine.events().get(0).data());
        }
    }

    @Test
    @DisplayName("?stream=ID adds that stream's own tps and ttft_ms after the seed's fields (null while unknown)")
    void perStreamFields() throws Exception {
        tick(1);
        try (SseReader mine = new SseReader(f.port, "/events?stream=s-42", null);
             SseReader plain = new SseReader(f.port, "/events", null)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> mine.events().size() == 1 && plain.events().size() == 1);
            assertEquals("{\"tps\":1.5,\"tps_available\":true,\"estimated\":false,\"high\":52.1,\"low\":1.5,\"active\":1,"
                    + "\"stream_tps\":null,\"ttft_ms\":null}", mine.events().get(0).data());

            f.view.offerStream("s-42", stream("s-42", "active", "31.5", "640", T0 + 2000));
            tick(2);
            await().atMost(Duration.ofSeconds(10)).until(() -> mine.events().size() == 2 && plain.events().size() == 2);
            assertEquals("{\"tps\":2.5,\"tps_available\":true,\"estimated\":false,\"high\":52.1,\"low\":1.5,\"active\":2,"
                    + "\"stream_tps\":31.5,\"ttft_ms\":640}", mine.events().get(1).data());
            assertEquals("{\"tps\":2.5,\"tps_available\":true,\"estimated\":false,\"high\":52.1,\"low\":1.5,\"active\":2}",
                    plain.events().get(1).data());
            assertEquals(id(2), mine.events().get(1).id());
        }
    }

    @Test
    @DisplayName("an idle stream still gets comment heartbeats, which an EventSource ignores")
    void heartbeats() throws Exception {
        try (SseReader sse = new SseReader(f.port, "/events", null)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> sse.comments().contains("heartbeat"));
            assertEquals("metering", sse.comments().get(0));
            assertTrue(sse.events().isEmpty());
        }
    }
}
