package dev.llmmeter.serve;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The latest {@code metering.streams} record of one stream: its bytes as published (what
 * {@code /api/streams/{id}} returns) and the few fields this server reads from it.
 *
 * @param tps    the record's {@code tps}, a JSON number or null
 * @param ttftMs the record's {@code ttft_ms}, a JSON number or null
 * @param ts     the record's tick, epoch ms
 */
public record StreamEntry(String streamId, byte[] json, JsonNode tps, JsonNode ttftMs, long ts) {
}
