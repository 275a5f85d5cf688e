package dev.llmmeter.sim;

import java.util.List;

/**
 * How one simulated model streams: its pace, its time to first token, and how many tokens one delta carries
 * (servers batch tokens into a chunk: the running count rises by more than 1).
 *
 * @param name              the model name sent on {@code begin}
 * @param deltasPerSecond   the mean delta rate of one of its streams (before jitter)
 * @param minTtftMs         time to first delta, lowest (uniform between the two)
 * @param maxTtftMs         time to first delta, highest
 * @param maxTokensPerDelta each delta carries 1 to this many tokens (uniform)
 */
public record ModelProfile(String name, double deltasPerSecond, int minTtftMs, int maxTtftMs, int maxTokensPerDelta) {

    /** Four models of distinct speeds and TTFTs, as a fleet serving several sizes would have. */
    public static final List<ModelProfile> FLEET = List.of(
            new ModelProfile("llama-3.1-8b", 90, 80, 300, 2),
            new ModelProfile("mixtral-8x7b", 60, 150, 600, 4),
            new ModelProfile("llama-3.1-70b", 35, 300, 1_200, 3),
            new ModelProfile("gpt-oss-120b", 25, 500, 2_500, 6));

    /** Tenants the fleet's streams are spread over. */
    public static final List<String> TENANTS = List.of("acme", "globex", "initech", "umbrella", "hooli");

    public ModelProfile {
        if (name == null || name.isEmpty() || name.length() > 256) {
            throw new IllegalArgumentException("model name must be 1-256 characters");
        }
        if (!(deltasPerSecond >= SimulationConfig.MIN_RATE) || minTtftMs < 0 || maxTtftMs < minTtftMs || maxTokensPerDelta < 1) {
            throw new IllegalArgumentException("bad model profile " + name);
        }
    }
}
