package dev.llmmeter.contract;

/** Why an input record was dead-lettered; the wire name goes in the {@link DeadLetterHeaders#REASON} header. */
public enum DeadLetterReason {
    /** Not valid UTF-8, not JSON, trailing content, or a null (tombstone) value. */
    MALFORMED_JSON("malformed_json"),
    /** Valid JSON, but not an object. */
    NOT_AN_OBJECT("not_an_object"),
    MISSING_TYPE("missing_type"),
    /** {@code type} is not a string, or not one of begin/output/reasoning/end. */
    UNKNOWN_TYPE("unknown_type"),
    MISSING_STREAM_ID("missing_stream_id"),
    /** {@code stream_id} is not a string, is empty, or is longer than 256 characters. */
    INVALID_STREAM_ID("invalid_stream_id"),
    /** The record has no key: one stream's events must stay in one partition. */
    MISSING_KEY("missing_key"),
    /** The record key differs from {@code stream_id}. */
    KEY_MISMATCH("key_mismatch"),
    /** {@code ts} is present but not a non-negative integer within 64 bits. */
    INVALID_TS("invalid_ts"),
    /**
     * The event's time ({@code ts}, else its record timestamp) is further ahead of the meter's wall clock than
     * {@code metering.max.future.ms} allows: a producer's clock is wrong, and such an event would pin its session.
     */
    FUTURE_TS("future_ts"),
    /** A count the type requires ({@code running}, {@code final_output_tokens}) is absent or null. */
    MISSING_COUNT("missing_count"),
    /** A count is negative, fractional, not a number, or beyond a signed 64-bit integer. */
    INVALID_COUNT("invalid_count"),
    /** {@code model} on a begin is not a string, is empty, or is longer than 256 characters. */
    INVALID_MODEL("invalid_model"),
    /** {@code tenant} on a begin is not a string, is empty, or is longer than 256 characters. */
    INVALID_TENANT("invalid_tenant");

    private final String wireName;

    DeadLetterReason(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
