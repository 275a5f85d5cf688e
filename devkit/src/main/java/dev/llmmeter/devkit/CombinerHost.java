package dev.llmmeter.devkit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.StreamsGroupDescription;
import org.apache.kafka.clients.admin.StreamsGroupMemberAssignment;
import org.apache.kafka.clients.admin.StreamsGroupMemberDescription;
import org.apache.kafka.clients.admin.StreamsGroupSubtopologyDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/**
 * Which of two `metering topology` processes of one application id runs the stats combiner: the one whose consumer
 * is assigned the single partition of the partials repartition topic (classic group protocol), or whose member holds
 * the active task of the subtopology reading it ({@code group.protocol=streams}: a streams group, which Admin describes
 * apart). The processes are told apart by client id, {@code <app>-p0} and {@code <app>-p1} (Kafka Streams appends its
 * own suffix).
 */
public final class CombinerHost {
    private CombinerHost() {
    }

    /** One member of the group, as both protocols describe it: its process (0, 1, -1), topics read, ids. */
    record Member(int process, Set<String> topics, String instanceId, String processId) {
    }

    /**
     * The process (0 or 1) hosting the combiner once the group is stable; with {@code bothWorking}, only when both
     * processes are members with session tasks of {@code deltasTopic}. Empty while that is not (yet) so.
     */
    public static Optional<Integer> find(Admin admin, String app, String deltasTopic, boolean bothWorking) throws Exception {
        Optional<List<Member>> members = stableMembers(admin, app);
        if (members.isEmpty()) {
            return Optional.empty();
        }
        Integer host = null;
        Set<Integer> withSessionTasks = new HashSet<>();
        for (Member m : members.get()) {
            for (String topic : m.topics()) {
                if (topic.endsWith("-partials-repartition")) {
                    host = m.process();
                } else if (topic.equals(deltasTopic)) {
                    withSessionTasks.add(m.process());
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
        return members(admin, app, process).stream().map(Member::instanceId).toList();
    }

    /**
     * The Kafka Streams process ids ({@code processId}, kept in the state directory) of the streams group's members
     * that belong to process {@code process}; empty for a classic group, whose description has none.
     */
    public static List<String> processIds(Admin admin, String app, int process) throws Exception {
        return members(admin, app, process).stream().map(Member::processId).filter(id -> !id.isEmpty()).toList();
    }

    private static List<Member> members(Admin admin, String app, int process) throws Exception {
        Optional<List<Member>> all = described(admin, app, false);
        return all.orElse(List.of()).stream().filter(m -> m.process() == process).toList();
    }

    private static Optional<List<Member>> stableMembers(Admin admin, String app) throws Exception {
        return described(admin, app, true);
    }

    /** The group's members, from a consumer group's description or else a streams group's; empty when neither is. */
    private static Optional<List<Member>> described(Admin admin, String app, boolean stableOnly) throws Exception {
        try {
            ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(app)).all().get().get(app);
            if (g != null && g.groupState() != GroupState.DEAD && !(g.members().isEmpty() && g.groupState() == GroupState.EMPTY)) {
                if (stableOnly && g.groupState() != GroupState.STABLE) {
                    return Optional.empty();
                }
                List<Member> members = new ArrayList<>();
                for (MemberDescription m : g.members()) {
                    Set<String> topics = new HashSet<>();
                    m.assignment().topicPartitions().forEach(tp -> topics.add(tp.topic()));
                    members.add(new Member(process(app, m.clientId()), topics, m.groupInstanceId().orElse(""), ""));
                }
                return Optional.of(members);
            }
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                throw e;
            }
        }
        return describedStreamsGroup(admin, app, stableOnly);
    }

    private static Optional<List<Member>> describedStreamsGroup(Admin admin, String app, boolean stableOnly) throws Exception {
        StreamsGroupDescription g;
        try {
            g = admin.describeStreamsGroups(List.of(app)).all().get().get(app);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return Optional.empty(); // not yet
            }
            throw e;
        }
        if (g == null || (stableOnly && g.groupState() != GroupState.STABLE)) {
            return Optional.empty();
        }
        List<Member> members = new ArrayList<>();
        for (StreamsGroupMemberDescription m : g.members()) {
            Set<String> topics = new HashSet<>();
            for (StreamsGroupMemberAssignment.TaskIds tasks : m.assignment().activeTasks()) {
                if (tasks.partitions().isEmpty()) {
                    continue;
                }
                for (StreamsGroupSubtopologyDescription s : g.subtopologies()) {
                    if (s.subtopologyId().equals(tasks.subtopologyId())) {
                        topics.addAll(s.sourceTopics());
                        topics.addAll(s.repartitionSourceTopics().keySet());
                    }
                }
            }
            members.add(new Member(process(app, m.clientId()), topics, m.instanceId().orElse(""), m.processId()));
        }
        return Optional.of(members);
    }

    private static int process(String app, String clientId) {
        return clientId.startsWith(app + "-p0-") ? 0 : clientId.startsWith(app + "-p1-") ? 1 : -1;
    }
}
