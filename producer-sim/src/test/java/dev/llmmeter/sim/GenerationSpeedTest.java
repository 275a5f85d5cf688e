package dev.llmmeter.sim;

import dev.llmmeter.contract.DeltaEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.OutputStream;
import java.util.Locale;

/**
 * Measures generation speed; prints, asserts nothing. Off by default:
 * {@code ./mvnw -q -B test -pl producer-sim -am -Dsim.bench=true -Dtest=GenerationSpeedTest -Dsurefire.failIfNoSpecifiedTests=false}
 */
@EnabledIfSystemProperty(named = "sim.bench", matches = "true")
class GenerationSpeedTest {
    static final int STREAMS = 10_000;
    static final long EVENTS = 2_000_000;

    @Test
    void generateTwoMillionEventsOverTenThousandStreams() throws Exception {
        for (int round = 1; round <= 3; round++) {
            SimulationConfig c = SimulationConfig.of(STREAMS, 30, 3600, round, 1_790_000_000_000L);

            long t0 = System.nanoTime();
            TrafficGenerator g = new TrafficGenerator(c);
            long n = 0;
            long checksum = 0;
            while (n < EVENTS && g.hasNext()) {
                DeltaEvent e = g.next();
                checksum += e.ts() + e.running();
                n++;
            }
            report("generate only        ", n, t0, g, checksum);

            t0 = System.nanoTime();
            g = new TrafficGenerator(c);
            long[] stopAt = {EVENTS};
            Progress p = Progress.silent();
            try (JsonlSink sink = new JsonlSink(OutputStream.nullOutputStream(), true)) {
                Simulator.Result r = new Simulator(Pacer.none(), p, () -> p.sent() >= stopAt[0]).run(g, sink);
                report("generate+encode+write", r.events(), t0, g, 0);
            }
        }
    }

    private static void report(String what, long n, long t0, TrafficGenerator g, long checksum) {
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "%s: %,d events in %.2f s = %,.0f events/s (live %,d, begun %,d)%s%n",
                what, n, s, n / s, g.liveStreams(), g.streamsBegun(), checksum == 0 ? "" : " #" + (checksum & 0xff));
    }
}
