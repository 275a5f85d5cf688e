package dev.llmmeter.topology.usage;

import dev.llmmeter.contract.Usage;

import java.math.BigInteger;

/**
 * One (tenant, model)'s sums in one minute or hour window, in the ledger's {@code usage-windows} store: open until
 * the window closes, then kept as published (its sums no longer change) so that a late end finds it and is billed
 * in an amendment of it. Sums are exact ({@link BigInteger}): many requests near 2^63 tokens do not wrap.
 */
public final class UsageWindow {
    final String tenant;
    final String model;
    final Usage.Window window;
    final long start;
    long requests;
    long metered;
    BigInteger input = BigInteger.ZERO;
    BigInteger output = BigInteger.ZERO;
    BigInteger reasoning = BigInteger.ZERO;
    BigInteger cached = BigInteger.ZERO;
    boolean published;

    UsageWindow(String tenant, String model, Usage.Window window, long start) {
        this.tenant = tenant;
        this.model = model;
        this.window = window;
        this.start = start;
    }

    /** The store key: window, start and the (tenant, model) ledger key. */
    static String key(Usage.Window window, long start, String ledgerKey) {
        return window.wireName() + '|' + start + '|' + ledgerKey;
    }

    long end() {
        return start + window.sizeMs();
    }

    void add(UsageItem item) {
        requests++;
        if (item.metered()) {
            metered++;
        }
        input = input.add(BigInteger.valueOf(item.inputTokens()));
        output = output.add(BigInteger.valueOf(item.outputTokens()));
        reasoning = reasoning.add(BigInteger.valueOf(item.reasoningTokens()));
        cached = cached.add(BigInteger.valueOf(item.cachedInputTokens()));
    }

    /** The window's first record. */
    Usage record(String source) {
        return new Usage(Usage.windowId(source, window, start, tenant, model), source, tenant, model, window, start, end(),
                requests, input, output, reasoning, cached, metered, null);
    }

    /** An amendment of this (published) window billing one late request. */
    Usage amendment(String source, UsageItem item) {
        String windowId = Usage.windowId(source, window, start, tenant, model);
        return new Usage(Usage.amendmentId(windowId, item.streamId()), source, tenant, model, window, start, end(), 1,
                BigInteger.valueOf(item.inputTokens()), BigInteger.valueOf(item.outputTokens()),
                BigInteger.valueOf(item.reasoningTokens()), BigInteger.valueOf(item.cachedInputTokens()),
                item.metered() ? 1 : 0, windowId);
    }
}
