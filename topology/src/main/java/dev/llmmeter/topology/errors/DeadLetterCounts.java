package dev.llmmeter.topology.errors;

import dev.llmmeter.contract.DeadLetterReason;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.TaskId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/**
 * Where the exception handlers count each dead letter by its reason. Kafka Streams hands its handlers no metrics,
 * so the task's processor that reads the deltas registers one counter per reason (a sensor of the task's Kafka
 * Streams metrics) here in its {@code init}, and removes them in its {@code close}. Both run on the task's stream
 * thread, and Kafka Streams calls the handlers on that thread too: the counters are kept per thread, by task, and
 * a handler finds its task's without any shared state.
 */
public final class DeadLetterCounts {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterCounts.class);
    private static final ThreadLocal<Map<TaskId, Map<DeadLetterReason, Sensor>>> OF_THREAD = ThreadLocal.withInitial(HashMap::new);

    private DeadLetterCounts() {
    }

    /** {@code task}'s counters, one per reason, for the handlers to record into on this thread. */
    public static void register(TaskId task, Map<DeadLetterReason, Sensor> counters) {
        OF_THREAD.get().put(task, counters);
    }

    /** Forgets {@code task}'s counters, if they are still the ones registered. */
    public static void unregister(TaskId task, Map<DeadLetterReason, Sensor> counters) {
        OF_THREAD.get().remove(task, counters);
    }

    /** One dead letter of {@code task} for {@code reason}. */
    static void count(TaskId task, DeadLetterReason reason) {
        Map<DeadLetterReason, Sensor> counters = task == null ? null : OF_THREAD.get().get(task);
        Sensor sensor = counters == null ? null : counters.get(reason);
        if (sensor == null) {
            LOG.warn("no dead-letter counter for task {} on {}: a {} dead letter is not counted by reason",
                    task, Thread.currentThread().getName(), reason.wireName());
            return;
        }
        sensor.record();
    }
}
