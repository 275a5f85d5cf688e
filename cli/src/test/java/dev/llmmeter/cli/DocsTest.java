package dev.llmmeter.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README and the documents under docs/ hold together: every relative link reaches a file, every #anchor a
 * heading of it (as GitHub names headings); the README shows the very test command CI runs; and the docs are a
 * reference, not a diary: no issue numbers, no dates.
 */
class DocsTest {
    static final Path ROOT = ComposeFileTest.ROOT;
    /** Markdown links and images: [text](target) or ![alt](target); the target up to a space or ')'. */
    private static final Pattern LINK = Pattern.compile("!?\\[[^\\]]*]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern ISSUE = Pattern.compile(
            "(?i)\\b(?:issue|ticket|pr|pull request)s?\\s*#?\\d+|(?<![\\w&/#])#\\d+\\b");
    private static final String MONTH =
            "(?:January|February|March|April|May|June|July|August|September|October|November|December)";
    /** A calendar date as a diary writes it: 2026-12-02 (not an ISO instant in an example, 2100-01-01T00:00:00Z), 2 December 2026, December 2. */
    private static final Pattern DATE = Pattern.compile(
            "\\b(?:19|20|21)\\d\\d-\\d\\d-\\d\\d\\b(?!T)|\\b\\d{1,2} " + MONTH + "\\b|\\b" + MONTH + " \\d{1,2}\\b");

    static Map<Path, List<String>> docs;

    @BeforeAll
    static void read() throws IOException {
        docs = new LinkedHashMap<>();
        List<Path> files = new ArrayList<>();
        files.add(ROOT.resolve("README.md"));
        try (Stream<Path> under = Files.list(ROOT.resolve("docs"))) {
            under.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        files.add(ROOT.resolve("tools/golden/README.md"));
        files.add(ROOT.resolve("clients/python/README.md"));
        files.add(ROOT.resolve("clients/hermes-webui/README.md"));
        files.add(ROOT.resolve("clients/node/README.md"));
        for (Path f : files) {
            docs.put(f, Files.readAllLines(f));
        }
        assertTrue(docs.size() >= 5, "README.md and the docs: " + docs.keySet());
    }

    @Test
    @DisplayName("every relative link of the README, docs/ and the clients' READMEs reaches a file, and every #anchor a heading in it")
    void everyRelativeLinkAndAnchorResolves() {
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (var doc : docs.entrySet()) {
            for (String target : links(doc.getValue())) {
                if (target.matches("(?i)[a-z][a-z0-9+.-]*:.*")) {
                    continue; // https:, mailto:: not ours to check offline
                }
                checked++;
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                String anchor = hash < 0 ? null : target.substring(hash + 1);
                Path to = file.isEmpty() ? doc.getKey() : doc.getKey().getParent().resolve(file).normalize();
                String where = ROOT.relativize(doc.getKey()) + ": " + target;
                if (!to.startsWith(ROOT) || !Files.exists(to)) {
                    broken.add(where + " (no such file)");
                } else if (anchor != null && !anchors(to).contains(anchor)) {
                    broken.add(where + " (no such heading; there are " + anchors(to) + ")");
                }
            }
        }
        assertEquals(List.of(), broken);
        assertTrue(checked > 50, "links checked: " + checked);
    }

    @Test
    @DisplayName("the README shows the test command .ci/run runs, ./mvnw -B -ntp verify")
    void theReadmeShowsTheCommandCiRuns() throws IOException {
        List<String> ci = Files.readAllLines(ROOT.resolve(".ci/run")).stream()
                .map(String::strip).filter(l -> l.startsWith("./mvnw")).toList();
        assertEquals(List.of("./mvnw -B -ntp verify"), ci);
        String readme = String.join("\n", docs.get(ROOT.resolve("README.md")));
        assertTrue(readme.contains("```sh\n# Run the main job") && readme.contains("\nbin/metering run\n"), readme);
        assertTrue(readme.contains("\n" + ci.get(0) + "\n"), "the README's command block lacks " + ci.get(0));
    }

    @Test
    @DisplayName("no merge conflict markers in the README, docs/ or the clients' READMEs")
    void noMergeConflictMarkers() {
        List<String> found = new ArrayList<>();
        for (var doc : docs.entrySet()) {
            List<String> lines = doc.getValue();
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).matches("^(<{7}|={7}|>{7})( .*)?$")) {
                    found.add(ROOT.relativize(doc.getKey()) + ":" + (i + 1) + ": " + lines.get(i));
                }
            }
        }
        assertEquals(List.of(), found);
    }

    @Test
    @DisplayName("no issue numbers and no dates in the README and docs: they describe, they keep no diary")
    void noIssueNumbersAndNoDates() {
        List<String> found = new ArrayList<>();
        for (var doc : docs.entrySet()) {
            List<String> lines = doc.getValue();
            for (int i = 0; i < lines.size(); i++) {
                for (Pattern p : List.of(ISSUE, DATE)) {
                    Matcher m = p.matcher(lines.get(i));
                    while (m.find()) {
                        found.add(ROOT.relativize(doc.getKey()) + ":" + (i + 1) + ": " + m.group());
                    }
                }
            }
        }
        assertEquals(List.of(), found);
    }

    @Test
    @DisplayName("the checks catch what they are for: a diary's date, an issue number, a heading's GitHub anchor")
    void theChecksCatchWhatTheyAreFor() {
        assertTrue(DATE.matcher("Measured 2026-12-02 on the VM").find());
        assertTrue(DATE.matcher("on 2 December, faster").find());
        assertTrue(!DATE.matcher("ts 4102444800000 (2100-01-01T00:00:00Z) is ahead").find());
        assertTrue(ISSUE.matcher("the target (issue 11)").find());
        assertTrue(ISSUE.matcher("see #12 for why").find());
        assertTrue(!ISSUE.matcher("[Bounds](contract.md#bounds), &#8212;, 10 ms").find());
        assertEquals("dead-letters-meteringdeltasdlq", slug("Dead letters: `metering.deltas.dlq`"));
        assertEquals("permissions-acls", slug("Permissions (ACLs)"));
        assertEquals("serving-it-sse-json-prometheus-and-a-dashboard", slug("Serving it: SSE, JSON, Prometheus and a dashboard"));
        assertEquals(List.of("docs/a.md#x", "b.png"),
                links(List.of("see [a](docs/a.md#x) and `[not](code.md)`", "```", "[no](fenced.md)", "```", "![img](b.png)")));
    }

    /** The link targets of a document, outside fenced code blocks and inline code. */
    static List<String> links(List<String> lines) {
        List<String> out = new ArrayList<>();
        boolean fenced = false;
        for (String line : lines) {
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                continue;
            }
            Matcher m = LINK.matcher(line.replaceAll("`[^`]*`", "``"));
            while (m.find()) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    /** The anchors GitHub gives a Markdown file's headings (outside fenced code blocks). */
    static Set<String> anchors(Path file) {
        Set<String> out = new LinkedHashSet<>();
        if (!file.toString().endsWith(".md")) {
            return out;
        }
        Map<String, Integer> seen = new LinkedHashMap<>();
        boolean fenced = false;
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        for (String line : lines) {
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
            }
            Matcher m = HEADING.matcher(line);
            if (!fenced && m.matches()) {
                String slug = slug(m.group(1));
                int n = seen.merge(slug, 1, Integer::sum);
                out.add(n == 1 ? slug : slug + "-" + (n - 1));
            }
        }
        return out;
    }

    /** GitHub's heading anchor: lower case, punctuation dropped (letters, digits, '-', '_' and spaces kept), spaces to '-'. */
    static String slug(String heading) {
        return heading.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}\\- _]", "").replace(' ', '-');
    }
}
