package dev.llmmeter.serve.usage;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.llmmeter.serve.usage.UsageLedgerView.Row;
import dev.llmmeter.serve.usage.UsageLedgerView.Summary;
import dev.llmmeter.serve.usage.UsageLedgerView.TenantTotals;
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

    /**
     * {@code {"as_of":..,"hour_start":..,"day_start":..,"complete":..,"tenants":[{"tenant":..,"hour":{..},"day":{..}}]}};
     * the instants null when the ledger is empty.
     */
    public static byte[] summary(Summary s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + s.tenants().size() * 400);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("as_of", instant(s.asOf()));
            g.writeStringField("hour_start", instant(s.hourStart()));
            g.writeStringField("day_start", instant(s.dayStart()));
            g.writeBooleanField("complete", s.complete());
            g.writeArrayFieldStart("tenants");
            for (Map.Entry<String, TenantTotals> e : s.tenants().entrySet()) {
                g.writeStartObject();
                g.writeStringField("tenant", e.getKey());
                g.writeObjectFieldStart("hour");
                totals(g, e.getValue().hour());
                g.writeEndObject();
                g.writeObjectFieldStart("day");
                totals(g, e.getValue().day());
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

    private static String instant(long ms) {
        return ms < 0 ? null : Instant.ofEpochMilli(ms).toString();
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
