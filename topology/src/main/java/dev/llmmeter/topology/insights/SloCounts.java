package dev.llmmeter.topology.insights;

import dev.llmmeter.contract.Insight;

/**
 * How many streams were judged on each service level objective and how many met it ({@link SloObjectives}), in a
 * second of a task, a second of the combiner's window, or a minute of its hour; summed as they merge.
 */
public final class SloCounts {
    long streams;
    long ttftStreams;
    long ttftMet;
    long tpotStreams;
    long tpotMet;
    long met;
    /** Output tokens of the streams that met all. */
    long metTokens;

    public SloCounts() {
    }

    public SloCounts(long streams, long ttftStreams, long ttftMet, long tpotStreams, long tpotMet, long met, long metTokens) {
        this.streams = streams;
        this.ttftStreams = ttftStreams;
        this.ttftMet = ttftMet;
        this.tpotStreams = tpotStreams;
        this.tpotMet = tpotMet;
        this.met = met;
        this.metTokens = metTokens;
    }

    public void add(SloCounts o) {
        streams += o.streams;
        ttftStreams += o.ttftStreams;
        ttftMet += o.ttftMet;
        tpotStreams += o.tpotStreams;
        tpotMet += o.tpotMet;
        met += o.met;
        metTokens += o.metTokens;
    }

    public boolean isEmpty() {
        return streams == 0;
    }

    public long streams() {
        return streams;
    }

    public long ttftStreams() {
        return ttftStreams;
    }

    public long ttftMet() {
        return ttftMet;
    }

    public long tpotStreams() {
        return tpotStreams;
    }

    public long tpotMet() {
        return tpotMet;
    }

    public long met() {
        return met;
    }

    public long metTokens() {
        return metTokens;
    }

    /** The published figures of a window {@code windowSeconds} long. */
    Insight.Attainment attainment(double windowSeconds) {
        return new Insight.Attainment(streams, ttftStreams, ttftMet, tpotStreams, tpotMet, met, share(ttftMet, ttftStreams),
                share(tpotMet, tpotStreams), share(met, streams), met / windowSeconds, metTokens / windowSeconds);
    }

    private static Double share(long met, long of) {
        return of == 0 ? null : (double) met / of;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SloCounts c && streams == c.streams && ttftStreams == c.ttftStreams && ttftMet == c.ttftMet
                && tpotStreams == c.tpotStreams && tpotMet == c.tpotMet && met == c.met && metTokens == c.metTokens;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(streams * 31 + met) ^ Long.hashCode(metTokens);
    }

    @Override
    public String toString() {
        return "SloCounts[streams=" + streams + ", ttft=" + ttftMet + "/" + ttftStreams + ", tpot=" + tpotMet + "/"
                + tpotStreams + ", met=" + met + ", metTokens=" + metTokens + "]";
    }
}
