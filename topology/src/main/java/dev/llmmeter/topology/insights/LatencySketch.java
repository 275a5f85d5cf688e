package dev.llmmeter.topology.insights;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import com.datadoghq.sketch.ddsketch.mapping.CubicallyInterpolatedMapping;
import com.datadoghq.sketch.ddsketch.mapping.IndexMapping;
import com.datadoghq.sketch.ddsketch.store.UnboundedSizeDenseStore;
import dev.llmmeter.contract.Insight;
import dev.llmmeter.topology.PythonRound;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A mergeable sketch of latencies in milliseconds (DDSketch), for the insights' TTFT, inter-delta and time per output
 * token percentiles: each session task sketches one second of one group, the combiner merges the seconds of a window
 * across tasks, and the percentiles of the merge are those of all the values, whatever task saw them.
 *
 * <p><b>Accuracy.</b> The sketch guarantees a relative accuracy of {@value #RELATIVE_ACCURACY}: the value it gives
 * for quantile q is within 0.5% of the exact q-quantile of the values sketched (the sorted values' element at
 * index {@code floor(q * (count - 1))}). Published values are rounded to one decimal; the values sketched are
 * whole milliseconds (TTFT, inter-delta gaps; for fractional ones see {@link #add(double)}), so below 10 ms the rounding lands on the exact value and from 10 ms up it adds at most
 * 0.05 ms (0.5%): every published percentile is within <b>1%</b> of the exact one.
 *
 * <p><b>Range and size.</b> Values are clamped to [0, {@value #MAX_MS}] ms (negative ones come from a producer
 * whose clock stepped back between begin and first delta; an hour is beyond any inter-delta gap a live stream
 * can have). The index range of (1 ms, 1 h] at this accuracy is {@link #MAX_BINS} bins, which bounds a sketch's
 * serialized size at {@link #MAX_ENCODED_BYTES} bytes however many values it holds.
 */
public final class LatencySketch {
    public static final double RELATIVE_ACCURACY = 0.005;
    public static final long MAX_MS = 3_600_000L;
    static final IndexMapping MAPPING = new CubicallyInterpolatedMapping(RELATIVE_ACCURACY);
    /** Bins between 1 ms and {@link #MAX_MS}, plus the zero bucket. */
    public static final int MAX_BINS = MAPPING.index(MAX_MS) - MAPPING.index(1) + 2;
    /**
     * Worst case of {@link #encode}: a flag and header of a few bytes, then per bin a count varint (up to 9 bytes
     * for counts past 2^56; 5 covers any count a second or a window can reach, 2^35) and the bin layout's index
     * bytes; {@code LatencySketchTest} fills every bin and checks it.
     */
    public static final int MAX_ENCODED_BYTES = 32 + MAX_BINS * 6;

    private final DDSketch sketch;

    public LatencySketch() {
        this.sketch = new DDSketch(MAPPING, UnboundedSizeDenseStore::new);
    }

    private LatencySketch(DDSketch sketch) {
        this.sketch = sketch;
    }

    public void add(long ms) {
        sketch.accept(ms <= 0 ? 0 : Math.min(ms, MAX_MS));
    }

    /**
     * Adds a fractional value (the time per output token), clamped like {@link #add(long)}. The sketch keeps it within
     * 0.5%; rounded to one decimal when published, its percentiles are within 0.5% plus 0.05 ms of the exact ones
     * (within 1% from 10 ms up).
     */
    public void add(double ms) {
        sketch.accept(ms > 0 ? Math.min(ms, MAX_MS) : 0);
    }

    /** Adds every value of {@code other} (left unchanged). */
    public void mergeWith(LatencySketch other) {
        sketch.mergeWith(other.sketch);
    }

    public long count() {
        return Math.round(sketch.getCount());
    }

    public boolean isEmpty() {
        return sketch.isEmpty();
    }

    /** The value at quantile {@code q} (0..1), rounded to one decimal as Python rounds; NaN when empty. */
    public double quantile(double q) {
        return isEmpty() ? Double.NaN : PythonRound.oneDecimal(sketch.getValueAtQuantile(q));
    }

    /** p50, p90, p99 and the count; null (the issue's {@code null when none}) when empty. */
    public Insight.Percentiles percentiles() {
        if (isEmpty()) {
            return null;
        }
        double[] v = sketch.getValuesAtQuantiles(new double[] {0.5, 0.9, 0.99});
        return new Insight.Percentiles(PythonRound.oneDecimal(v[0]), PythonRound.oneDecimal(v[1]),
                PythonRound.oneDecimal(v[2]), count());
    }

    /** DDSketch's own compact binary encoding, without the index mapping (fixed here). */
    public byte[] encode() {
        GrowingByteArrayOutput out = GrowingByteArrayOutput.withInitialCapacity(64);
        try {
            sketch.encode(out, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.trimmedCopy();
    }

    public static LatencySketch decode(byte[] bytes, int offset, int length) {
        try {
            return new LatencySketch(DDSketch.decode(ByteArrayInput.wrap(bytes, offset, length), UnboundedSizeDenseStore::new, MAPPING));
        } catch (IOException e) {
            throw new IllegalArgumentException("not a latency sketch: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "LatencySketch[count=" + count() + "]";
    }
}
