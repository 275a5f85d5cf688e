package dev.llmmeter.serve.usage;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.llmmeter.serve.usage.UsageLedgerView.Row;
import dev.llmmeter.serve.usage.UsageLedgerView.Totals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The JSON bodies of {@code /api/usage} and {@code /api/usage/summary}; token sums are JSON integers of any size. */
public final class UsageJson {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private UsageJson() {
    }

    /** {@code {"window":..,"from":..,"to":..,"tenant":..,"model":..,"windows":[..],"total":{..}}} */
    public static byte[] usage(UsageQuery q, List<Row> rows) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + rows.size() * 256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("window", q.window().wireName());
            g.writeStringField("from", Instant.ofEpochMilli(q.from()).toString());
            g.writeStringField("to", Instant.ofEpochMilli(q.to()).toString());
            g.writeStringField("tenant", q.tenant());
            g.writeStringField("model", q.model());
            g.writeArrayFieldStart("windows");
            Totals total = Totals.ZERO;
            for (Row r : rows) {
                g.writeStartObject();
                g.writeStringField("tenant", r.key().tenant());
                g.writeStringField("model", r.key().model());
                g.writeStringField("window_start", Instant.ofEpochMilli(r.key().start()).toString());
                g.writeStringField("window_end", Instant.ofEpochMilli(r.end()).toString());
                totals(g, r.totals());
                g.writeEndObject();
                total = total.plus(r.totals());
            }
            g.writeEndArray();
            g.writeObjectFieldStart("total");
            totals(g, total);
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** {@code {"as_of":..,"tenants":[{"tenant":..,"hour":{..},"day":{..}}]}}; as_of null when the ledger is empty. */
    public static byte[] summary(long newestEnd, Map<String, Totals[]> byTenant) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("as_of", newestEnd < 0 ? null : Instant.ofEpochMilli(newestEnd).toString());
            g.writeArrayFieldStart("tenants");
            for (Map.Entry<String, Totals[]> e : byTenant.entrySet()) {
                g.writeStartObject();
                g.writeStringField("tenant", e.getKey());
                g.writeObjectFieldStart("hour");
                totals(g, e.getValue()[0]);
                g.writeEndObject();
                g.writeObjectFieldStart("day");
                totals(g, e.getValue()[1]);
                g.writeEndObject();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void totals(JsonGenerator g, Totals t) throws IOException {
        g.writeNumberField("requests", t.requests());
        g.writeNumberField("input_tokens", t.inputTokens());
        g.writeNumberField("output_tokens", t.outputTokens());
        g.writeNumberField("reasoning_tokens", t.reasoningTokens());
        g.writeNumberField("cached_input_tokens", t.cachedInputTokens());
        g.writeNumberField("tokens", t.tokens());
        g.writeNumberField("metered_requests", t.meteredRequests());
        g.writeNumberField("records", t.records());
    }
}
