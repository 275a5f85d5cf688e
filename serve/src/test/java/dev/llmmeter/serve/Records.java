package dev.llmmeter.serve;

import java.nio.charset.StandardCharsets;

/** Real JSON record values, as the topology publishes them (docs/contract.md). */
public final class Records {
    public static final long T0 = 1_790_000_000_000L;

    private Records() {
    }

    public static byte[] bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] stats(String tps, String high, String low, long active, long ts) {
        boolean available = !"null".equals(tps);
        return bytes("{\"tps\":" + tps + ",\"tps_available\":" + available + ",\"estimated\":false,\"high\":" + high
                + ",\"low\":" + low + ",\"active\":" + active + ",\"ts\":" + ts + "}");
    }

    public static byte[] stream(String id, String state, String tps, String ttftMs, long ts) {
        return stream(id, "acme", state, tps, ttftMs, ts);
    }

    public static byte[] stream(String id, String tenant, String state, String tps, String ttftMs, long ts) {
        return bytes("{\"stream_id\":\"" + id + "\",\"model\":\"llama-3-70b\",\"tenant\":\"" + tenant + "\",\"state\":\"" + state
                + "\",\"tps\":" + tps + ",\"output\":120,\"reasoning\":0,\"ttft_ms\":" + ttftMs
                + ",\"decode_ms\":4000,\"begin_ts\":" + (ts - 5000) + ",\"ts\":" + ts + "}");
    }

    /**
     * An insights value as the versions before {@code tpot_ms} wrote it; {@code name} is a JSON literal ({@code null}
     * or a quoted string).
     */
    public static byte[] insight(String group, String name, long active, String tps, String systemTps,
                                 String ttft, String itl, long ts) {
        return bytes("{\"ts\":" + ts + ",\"group\":\"" + group + "\",\"name\":" + name + ",\"active\":" + active
                + ",\"tps\":" + tps + ",\"system_tps\":" + systemTps + ",\"ttft_ms\":" + ttft + ",\"itl_ms\":" + itl
                + ",\"started\":3,\"ended\":1}");
    }

    /** An insights value with its {@code tpot_ms}. */
    public static byte[] insight(String group, String name, long active, String tps, String systemTps,
                                 String ttft, String itl, String tpot, long ts) {
        return bytes("{\"ts\":" + ts + ",\"group\":\"" + group + "\",\"name\":" + name + ",\"active\":" + active
                + ",\"tps\":" + tps + ",\"system_tps\":" + systemTps + ",\"ttft_ms\":" + ttft + ",\"itl_ms\":" + itl
                + ",\"tpot_ms\":" + tpot + ",\"started\":3,\"ended\":1}");
    }

    public static String quantiles(double p50, double p90, double p99, long count) {
        return "{\"p50\":" + p50 + ",\"p90\":" + p90 + ",\"p99\":" + p99 + ",\"count\":" + count + "}";
    }
}
