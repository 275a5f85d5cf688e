package dev.llmmeter.app.it;

import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ACLs of each principal, as docs/operations.md (Permissions (ACLs)) gives them: {@link AclMatrixIT} grants exactly
 * these, {@link AclTablesTest} checks the doc's tables and examples are these.
 */
final class AclTables {
    static final String APP = "metering";
    static final String PRODUCER = "deltas-producer";
    static final String READER = "metering-reader";
    static final String DLQ = "dlq-reader";
    /** The application id the app's table is written for. */
    static final String APP_ID = "llm-metering";
    static final String DLQ_GROUP = "metering-dlq";

    private AclTables() {
    }

    /** One ACL table row: operations on resources (one or more names) of one type and pattern. */
    record Row(ResourceType type, List<String> names, PatternType pattern, List<AclOperation> operations) {
        static Row of(ResourceType type, String names, PatternType pattern, AclOperation... operations) {
            return new Row(type, List.of(names.split(", ")), pattern, List.of(operations));
        }

        /** The row for an application id other than {@link AclTables#APP_ID}: the names under it renamed. */
        Row forApp(String applicationId) {
            return new Row(type, names.stream().map(n -> n.startsWith(APP_ID) ? applicationId + n.substring(APP_ID.length()) : n).toList(),
                    pattern, operations);
        }
    }

    /** The app's ACLs, as in the doc, in its order. */
    static final List<Row> APP_ACLS = List.of(
            Row.of(ResourceType.TOPIC, "metering.deltas", PatternType.LITERAL, AclOperation.READ),
            Row.of(ResourceType.TOPIC, "metering.stats, metering.deltas.dlq, metering.streams, metering.insights, metering.usage",
                    PatternType.LITERAL, AclOperation.WRITE),
            Row.of(ResourceType.TOPIC, APP_ID + "-", PatternType.PREFIXED, AclOperation.READ, AclOperation.WRITE,
                    AclOperation.CREATE, AclOperation.DELETE),
            Row.of(ResourceType.GROUP, APP_ID, PatternType.LITERAL, AclOperation.READ),
            Row.of(ResourceType.TRANSACTIONAL_ID, APP_ID + "-", PatternType.PREFIXED, AclOperation.WRITE),
            Row.of(ResourceType.GROUP, APP_ID, PatternType.LITERAL, AclOperation.ALTER_CONFIGS),
            Row.of(ResourceType.TOPIC, "metering.deltas, metering.stats, metering.deltas.dlq, metering.streams", PatternType.LITERAL,
                    AclOperation.DESCRIBE_CONFIGS));

    /** Each principal's ACLs, under the doc's heading for it. */
    static final Map<String, List<Row>> TABLES = tables();

    private static Map<String, List<Row>> tables() {
        Map<String, List<Row>> t = new LinkedHashMap<>();
        t.put(APP, APP_ACLS);
        t.put(PRODUCER, List.of(Row.of(ResourceType.TOPIC, "metering.deltas", PatternType.LITERAL, AclOperation.WRITE)));
        t.put(READER, List.of(Row.of(ResourceType.TOPIC, "metering.stats, metering.insights, metering.streams, metering.usage",
                PatternType.LITERAL, AclOperation.READ)));
        t.put(DLQ, List.of(Row.of(ResourceType.TOPIC, "metering.deltas.dlq", PatternType.LITERAL, AclOperation.READ),
                Row.of(ResourceType.GROUP, DLQ_GROUP, PatternType.LITERAL, AclOperation.READ)));
        return t;
    }

    static List<AclBinding> bindings(String user, List<Row> rows) {
        List<AclBinding> acls = new ArrayList<>();
        for (Row r : rows) {
            for (String name : r.names()) {
                for (AclOperation op : r.operations()) {
                    acls.add(new AclBinding(new ResourcePattern(r.type(), name, r.pattern()),
                            new AccessControlEntry("User:" + user, "*", op, AclPermissionType.ALLOW)));
                }
            }
        }
        return acls;
    }

}
