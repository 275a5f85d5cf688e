package dev.llmmeter.contract;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.UUID;

/**
 * One closed window of the usage ledger, published to {@code metering.usage} as a CloudEvents 1.0 JSON object
 * (structured mode; see {@link UsageCodec}). The record key is {@link #id}. Token sums are exact: they are the
 * sums of the per-request figures over the window, which may exceed 64 bits, hence {@link BigInteger}.
 *
 * @param id                deterministic: {@link #windowId} for a window's first record; an amendment has its own
 * @param source            CloudEvents {@code source}: {@code /llm-metering/<application id>}
 * @param tenant            the tenant (CloudEvents {@code subject}), or null when the streams named none
 * @param model             the model, or null when the streams named none
 * @param window            minute or hour
 * @param windowStart       epoch ms, inclusive
 * @param windowEnd         epoch ms, exclusive; also the CloudEvents {@code time}
 * @param requests          requests (streams) billed in this record
 * @param inputTokens       sum of the requests' input tokens
 * @param outputTokens      sum of the requests' output tokens
 * @param reasoningTokens   sum of the requests' reasoning tokens
 * @param cachedInputTokens sum of the requests' cached input tokens
 * @param meteredRequests   how many of the requests were billed from the meter's own running counts (streams that
 *                          never ended: stale, expired or evicted) instead of the provider's figures on {@code end}
 * @param amends            null for a window's first record; for an amendment (requests whose {@code end} came after
 *                          the window closed), the id of the record it adds to. Records are additive: a window's
 *                          totals are the sum of its first record and its amendments.
 */
public record Usage(String id, String source, String tenant, String model, Window window, long windowStart,
                    long windowEnd, long requests, BigInteger inputTokens, BigInteger outputTokens,
                    BigInteger reasoningTokens, BigInteger cachedInputTokens, long meteredRequests, String amends) {

    /** CloudEvents {@code specversion}. */
    public static final String SPEC_VERSION = "1.0";
    /** CloudEvents {@code type} of every ledger record. */
    public static final String TYPE = "dev.llmmeter.usage.v1";

    public Usage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(inputTokens, "inputTokens");
        Objects.requireNonNull(outputTokens, "outputTokens");
        Objects.requireNonNull(reasoningTokens, "reasoningTokens");
        Objects.requireNonNull(cachedInputTokens, "cachedInputTokens");
    }

    /** The ledger's tumbling windows. */
    public enum Window {
        MINUTE("minute", 60_000L), HOUR("hour", 3_600_000L);

        private final String wireName;
        private final long sizeMs;

        Window(String wireName, long sizeMs) {
            this.wireName = wireName;
            this.sizeMs = sizeMs;
        }

        public String wireName() {
            return wireName;
        }

        public long sizeMs() {
            return sizeMs;
        }

        /** The start of the window holding {@code ts} (epoch ms, non-negative). */
        public long startOf(long ts) {
            return ts - Math.floorMod(ts, sizeMs);
        }

        /** @return the window for a wire name, or null when it names none. */
        public static Window fromWireName(String name) {
            for (Window w : values()) {
                if (w.wireName.equals(name)) {
                    return w;
                }
            }
            return null;
        }
    }

    /** Whether this record amends an earlier one. */
    public boolean isAmendment() {
        return amends != null;
    }

    /**
     * The id of a window's first record: a name-based UUID of the source, the window and its tenant and model, so
     * the same window always has the same id (a sink's own de-duplication works) and no two windows share one.
     * Each part is length-prefixed, so no two different (tenant, model) pairs give the same name; null and empty
     * differ.
     */
    public static String windowId(String source, Window window, long windowStart, String tenant, String model) {
        return nameUuid("window", source, window.wireName(), Long.toString(windowStart), tenant, model);
    }

    /**
     * The id of an amendment of the window {@code windowId}, named after the first request it bills (a stream is
     * billed once, so no two amendments of a window share an id).
     */
    public static String amendmentId(String windowId, String firstStreamId) {
        return nameUuid("amendment", windowId, firstStreamId);
    }

    private static String nameUuid(String... parts) {
        StringBuilder b = new StringBuilder();
        for (String p : parts) {
            if (p == null) {
                b.append("-1:");
            } else {
                b.append(p.length()).append(':').append(p);
            }
            b.append('|');
        }
        return UUID.nameUUIDFromBytes(b.toString().getBytes(StandardCharsets.UTF_8)).toString();
    }
}
