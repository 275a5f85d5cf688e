package dev.llmmeter.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The latest {@code metering.insights} record of one group.
 *
 * @param key   the record key: {@code global}, {@code model:<name>} or {@code tenant:<name>}
 * @param value the record's JSON object, as published
 * @param ts    its tick, epoch ms
 */
public record InsightEntry(String key, ObjectNode value, long ts) {
}
