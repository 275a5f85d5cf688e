package dev.llmmeter.topology.processors;

import dev.llmmeter.contract.StreamStatus;
import dev.llmmeter.topology.state.Partial;
import dev.llmmeter.topology.usage.UsageItem;

/**
 * What the {@link SessionMeter} forwards: its task's {@link Partial} for the combiner once a tick, and the
 * per-stream records for the streams topic. The topology routes each kind by its type, so a new kind of output is
 * a new record here, and the compiler points at every place that routes them.
 */
public sealed interface MeterOutput {

    /** The task's partial of one tick (key: the task id). */
    record TaskPartial(Partial partial) implements MeterOutput {
    }

    /**
     * One stream's record for the compacted streams topic (key: the stream id): its status, or null for the
     * tombstone that deletes an ended stream's record.
     */
    record StreamRecord(StreamStatus status) implements MeterOutput {
        /** The delete of an ended stream's record. */
        public static final StreamRecord TOMBSTONE = new StreamRecord(null);

        public boolean isTombstone() {
            return status == null;
        }
    }

    /** One stream's bill for the usage ledger (key: its tenant and model), once, when it ends or leaves without an end. */
    record Bill(UsageItem item) implements MeterOutput {
    }
}
