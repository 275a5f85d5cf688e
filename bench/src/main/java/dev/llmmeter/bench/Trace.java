package dev.llmmeter.bench;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.DeltaEventCodec;
import dev.llmmeter.sim.SimulationConfig;
import dev.llmmeter.sim.TrafficGenerator;

import java.nio.charset.StandardCharsets;

/**
 * The first N events of the simulator's traffic (10,000 concurrent streams at 30 deltas/s, begins, ends,
 * reasoning, abandoned and never-fed streams included) as they arrive from Kafka: key and value bytes, and
 * the record timestamp.
 */
final class Trace {
    static final long START = 1_790_000_000_000L;

    final byte[][] keys;
    final byte[][] values;
    final long[] timestamps;

    Trace(int events, int streams) {
        keys = new byte[events][];
        values = new byte[events][];
        timestamps = new long[events];
        TrafficGenerator g = new TrafficGenerator(SimulationConfig.of(streams, 30, 3600, 1, START));
        for (int i = 0; i < events; i++) {
            DeltaEvent e = g.next();
            keys[i] = e.streamId().getBytes(StandardCharsets.UTF_8);
            values[i] = DeltaEventCodec.encode(e);
            timestamps[i] = e.ts();
        }
    }

    int size() {
        return keys.length;
    }
}
