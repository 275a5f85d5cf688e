package dev.llmmeter.topology.usage;

import java.nio.charset.StandardCharsets;

/**
 * One stream's bill, forwarded by the session meter when the stream ends, or leaves without an end (stale, expired,
 * evicted), to the usage ledger.
 *
 * @param streamId          the stream, the ledger's de-duplication key
 * @param tenant            from its begin, or null
 * @param model             from its begin, or null
 * @param eventTime         the event time of its end, or of its last delta (of its begin when it had none) when it has no end
 * @param inputTokens       the provider's figure on the end; 0 when metered
 * @param outputTokens      the provider's final output tokens, or the meter's running count when metered
 * @param reasoningTokens   the provider's figure (0 when the end gave none), or the meter's running count when metered
 * @param cachedInputTokens the provider's figure (0 when the end gave none); 0 when metered
 * @param metered           whether the figures are the meter's own running counts (the stream never ended)
 */
public record UsageItem(String streamId, String tenant, String model, long eventTime, long inputTokens,
                        long outputTokens, long reasoningTokens, long cachedInputTokens, boolean metered) {

    /** The record key that puts one (tenant, model) on one ledger task: both parts length-prefixed, null apart from empty. */
    public String ledgerKey() {
        return ledgerKey(tenant, model);
    }

    public static String ledgerKey(String tenant, String model) {
        return part(tenant) + part(model);
    }

    private static String part(String s) {
        return s == null ? "-1:" : s.getBytes(StandardCharsets.UTF_8).length + ":" + s;
    }
}
