package dev.llmmeter.devkit;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.sim.KafkaSink;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.PriorityQueue;

/**
 * Streams at known constant rates, sent in real time through the simulator's Kafka sink (idempotent,
 * keyed by stream id): each stream begins at the start, gets its first output delta 200 ms later and then
 * one every 1000/R ms, for as long as this runs. Their per-stream TPS is known in closed form.
 */
public final class ConstantRateStreams implements AutoCloseable {
    public static final long FIRST_DELTA_MS = 200;

    private final List<String> ids = new ArrayList<>();
    private final List<Double> rates = new ArrayList<>();
    private final KafkaSink sink;
    private final Thread sender;
    private volatile boolean stop;
    /** The ts of the last delta handed to the producer: how far the streams have got. */
    private volatile long lastSent;
    private volatile RuntimeException failure;
    private final long start;

    public ConstantRateStreams(String bootstrap, Properties client, String prefix, double... ratesPerStream) {
        this(bootstrap, client, Topics.DELTAS.name(), prefix, ratesPerStream);
    }

    public ConstantRateStreams(String bootstrap, Properties client, String topic, String prefix, double... ratesPerStream) {
        for (int i = 0; i < ratesPerStream.length; i++) {
            ids.add(prefix + "-" + i);
            rates.add(ratesPerStream[i]);
        }
        this.sink = new KafkaSink(bootstrap, topic, client);
        this.start = System.currentTimeMillis();
        this.sender = new Thread(this::send, "constant-rate-streams");
        sender.start();
    }

    public long start() {
        return start;
    }

    /** The TPS of stream {@code i} at a tick: n deltas over (n - 1) gaps, as the seed computes it; NaN before 2 deltas. */
    public double tpsAt(int i, long tick) {
        long gap = Math.round(1000.0 / rates.get(i));
        long first = start + FIRST_DELTA_MS;
        if (tick < first + gap) {
            return Double.NaN;
        }
        long n = (tick - first) / gap + 1; // deltas at first, first + gap, ... up to tick
        return n / ((first + (n - 1) * gap) / 1000.0 - first / 1000.0);
    }

    /** Mean per-stream TPS at a tick, as the global stats compute it. */
    public double meanTpsAt(long tick) {
        double sum = 0;
        int count = 0;
        for (int i = 0; i < ids.size(); i++) {
            double v = tpsAt(i, tick);
            if (v > 0) {
                sum += v;
                count++;
            }
        }
        return count == 0 ? Double.NaN : sum / count;
    }

    private record Next(long ts, int stream, long running) {
    }

    private void send() {
        try {
            for (String id : ids) {
                sink.send(DeltaEvent.begin(id, start));
            }
            PriorityQueue<Next> queue = new PriorityQueue<>((a, b) -> Long.compare(a.ts, b.ts));
            for (int i = 0; i < ids.size(); i++) {
                queue.add(new Next(start + FIRST_DELTA_MS, i, 1));
            }
            while (!stop) {
                Next n = queue.poll();
                long wait = n.ts - System.currentTimeMillis();
                if (wait > 0) {
                    sink.flush();
                    Thread.sleep(wait);
                }
                sink.send(DeltaEvent.output(ids.get(n.stream), n.ts, n.running));
                lastSent = n.ts;
                long gap = Math.round(1000.0 / rates.get(n.stream));
                queue.add(new Next(n.ts + gap, n.stream, n.running + 1));
            }
            sink.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure = e;
        }
    }

    public long lastSent() {
        return lastSent;
    }

    public int size() {
        return ids.size();
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        sender.join(30_000);
        sink.close();
        if (failure != null) {
            throw failure;
        }
    }
}
