package dev.llmmeter.app.it;

import dev.llmmeter.app.it.AclTables.Row;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * docs/operations.md's ACL tables, and the kafka-acls.sh example under each, are exactly what {@link AclMatrixIT} grants
 * each principal ({@link AclTables}): the doc cannot drift from what was tried on a broker.
 */
class AclTablesTest {
    private static final Path DOC = Path.of("").toAbsolutePath().getParent().resolve("docs").resolve("operations.md");
    private static final Pattern PRINCIPAL = Pattern.compile("--allow-principal User:([\\w.@+-]+)");

    /** A principal's part of the doc: its table and its example. */
    record Part(List<Row> table, String user, Set<AclBinding> example) {
    }

    @Test
    void eachPrincipalsTableInTheDocIsTheOneTheTestGrants() throws Exception {
        Map<String, List<Row>> tables = new LinkedHashMap<>();
        parts().forEach(p -> tables.put(p.user(), p.table()));
        assertEquals(AclTables.TABLES, tables);
    }

    @Test
    void eachPrincipalsKafkaAclsExampleGrantsExactlyItsTable() throws Exception {
        for (Part p : parts()) {
            assertEquals(new HashSet<>(AclTables.bindings(p.user(), p.table())), p.example(), "the example for User:" + p.user());
        }
    }

    /** The sections under "### Permissions (ACLs)", one per principal. */
    private static List<Part> parts() throws Exception {
        String doc = Files.readString(DOC);
        int start = doc.indexOf("### Permissions (ACLs)\n");
        String section = doc.substring(start, doc.indexOf("\n## ", start));
        List<Part> parts = new ArrayList<>();
        for (String sub : section.split("\n#### ")) {
            if (sub.startsWith("### ")) {
                continue; // the introduction
            }
            String heading = sub.lines().findFirst().orElseThrow();
            List<Row> table = sub.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| resource |"))
                    .map(AclTablesTest::row).toList();
            String example = sub.substring(sub.indexOf("```sh\n") + 6, sub.indexOf("```", sub.indexOf("```sh\n") + 6));
            Matcher user = PRINCIPAL.matcher(example);
            assertNotNull(user.find() ? user.group(1) : null, "a principal in the example of " + heading);
            parts.add(new Part(table, user.group(1), bindings(user.group(1), example)));
        }
        return parts;
    }

    /** {@code | topic | `a`, `b` | literal | READ, WRITE |}. */
    private static Row row(String line) {
        String[] cells = Arrays.stream(line.substring(1, line.length() - 1).split("\\|")).map(String::strip).toArray(String[]::new);
        assertEquals(4, cells.length, line);
        ResourceType type = ResourceType.valueOf(cells[0].toUpperCase(Locale.ROOT).replace('-', '_'));
        List<String> names = Arrays.stream(cells[1].split(",\\s*")).map(n -> n.replace("`", "")).toList();
        return new Row(type, names, PatternType.valueOf(cells[2].toUpperCase(Locale.ROOT)),
                Arrays.stream(cells[3].split(",\\s*")).map(AclOperation::valueOf).toList());
    }

    /** The ACLs the example's {@code $A ...} lines add, as kafka-acls.sh reads their options. */
    private static Set<AclBinding> bindings(String user, String example) {
        Set<AclBinding> acls = new HashSet<>();
        for (String line : example.lines().filter(l -> l.startsWith("$A ")).toList()) {
            String[] words = line.split("\\s+");
            List<AclOperation> ops = new ArrayList<>();
            Map<String, ResourceType> resources = new LinkedHashMap<>();
            PatternType pattern = PatternType.LITERAL;
            for (int i = 1; i < words.length; i += 2) {
                String value = words[i + 1];
                switch (words[i]) {
                    case "--operation" -> ops.add(AclOperation.valueOf(value.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT)));
                    case "--topic" -> resources.put(value, ResourceType.TOPIC);
                    case "--group" -> resources.put(value, ResourceType.GROUP);
                    case "--transactional-id" -> resources.put(value, ResourceType.TRANSACTIONAL_ID);
                    case "--resource-pattern-type" -> pattern = PatternType.valueOf(value.toUpperCase(Locale.ROOT));
                    default -> throw new AssertionError("an option the test does not read: " + words[i] + " in " + line);
                }
            }
            for (Map.Entry<String, ResourceType> r : resources.entrySet()) {
                acls.addAll(AclTables.bindings(user, List.of(new Row(r.getValue(), List.of(r.getKey()), pattern, ops))));
            }
        }
        return acls;
    }
}
