package dev.llmmeter.devkit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/**
 * Which of two `metering topology` processes of one application id runs the stats combiner: the one whose consumer
 * is assigned the single partition of the partials repartition topic. The processes are told apart by client id,
 * {@code <app>-p0} and {@code <app>-p1} (Kafka Streams appends its own suffix).
 */
public final class CombinerHost {
    private CombinerHost() {
    }

    /**
     * The process (0 or 1) hosting the combiner once the group is stable; with {@code bothWorking}, only when both
     * processes are members with session tasks of {@code deltasTopic}. Empty while that is not (yet) so.
     */
    public static Optional<Integer> find(Admin admin, String app, String deltasTopic, boolean bothWorking) throws Exception {
        ConsumerGroupDescription g;
        try {
            g = admin.describeConsumerGroups(List.of(app)).all().get().get(app);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return Optional.empty(); // not yet
            }
            throw e;
        }
        if (g == null || g.groupState() != GroupState.STABLE) {
            return Optional.empty();
        }
        Integer host = null;
        Set<Integer> withSessionTasks = new HashSet<>();
        for (MemberDescription m : g.members()) {
            int process = m.clientId().startsWith(app + "-p0-") ? 0 : m.clientId().startsWith(app + "-p1-") ? 1 : -1;
            for (var tp : m.assignment().topicPartitions()) {
                if (tp.topic().endsWith("-partials-repartition")) {
                    host = process;
                } else if (tp.topic().equals(deltasTopic)) {
                    withSessionTasks.add(process);
                }
            }
        }
        if (host == null || host < 0 || (bothWorking && !withSessionTasks.equals(Set.of(0, 1)))) {
            return Optional.empty();
        }
        return Optional.of(host);
    }

    /** The {@code group.instance.id}s of the group's members that belong to process {@code process} (0 or 1). */
    public static List<String> instanceIds(Admin admin, String app, int process) throws Exception {
        ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(app)).all().get().get(app);
        return g.members().stream().filter(m -> m.clientId().startsWith(app + "-p" + process + "-"))
                .map(m -> m.groupInstanceId().orElse("")).toList();
    }
}
