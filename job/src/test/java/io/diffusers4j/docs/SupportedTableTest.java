// The README's tables of supported pipelines, models, schedulers and checkpoints are checked against the code.
package io.diffusers4j.docs;

import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.Schedulers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * No claim without a test. The table after {@code <!-- supported-table -->} in README.md has rows
 * {@code | kind | `diffusers class` | `Java class` or — | `Test`, `Test` |}; this test checks:
 * <ul>
 *   <li>the pipelines are exactly {@link DiffusionPipeline#supportedPipelines()}, each Java class exists and is a
 *       {@link DiffusionPipeline};</li>
 *   <li>the models and tokenizers are exactly {@link DiffusionPipeline#supportedComponents()}, each Java class
 *       exists;</li>
 *   <li>the schedulers are exactly {@link Schedulers#available()}, and {@code Schedulers.create} builds the named
 *       Java class from a default config;</li>
 *   <li>the "not loaded" rows are exactly {@link DiffusionPipeline#skippedComponents()};</li>
 *   <li>every test named in the last column exists in the repository and is about that class: its source names
 *       it, or, for the data-driven reference suites, their diffusers-generated data does.</li>
 * </ul>
 */
class SupportedTableTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern TICKED = Pattern.compile("`([^`]+)`");
    /** Data-driven suites: the diffusers-generated data they replay names the classes they cover. */
    private static final Map<String, Path> SUITE_DATA = Map.of(
            "DiffusersReferenceTest", ROOT.resolve("pipeline-core/src/test/resources/schedulers/scheduler_refs.json.gz"),
            "DiffusersReferencePipelineTest", ROOT.resolve("pipeline-core/src/test/resources/reference/manifest.json"),
            "DiffusersReferenceUnconditionalTest",
            ROOT.resolve("pipeline-core/src/test/resources/reference-unconditional/manifest.json"),
            "FlowMatchPipelineReferenceTest",
            ROOT.resolve("pipeline-core/src/test/resources/reference-flow/manifest.json"));

    record TableRow(String kind, String diffusersClass, String javaClass, List<String> tests) {
    }

    static List<TableRow> rows;

    @BeforeAll
    static void parse() throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("<!-- supported-table")) {
                start = i + 1;
            }
        }
        assertTrue(start > 0, "README.md has a <!-- supported-table --> marker before the table");
        rows = new ArrayList<>();
        int i = start;
        while (i < lines.size() && !lines.get(i).startsWith("|")) {
            i++;
        }
        i += 2; // header and separator
        for (; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            String[] cells = lines.get(i).split("\\|", -1);
            assertEquals(6, cells.length, "4 columns: " + lines.get(i));
            rows.add(new TableRow(cells[1].trim(), ticked(cells[2]).get(0),
                    ticked(cells[3]).isEmpty() ? null : ticked(cells[3]).get(0), ticked(cells[4])));
        }
        assertFalse(rows.isEmpty(), "the supported table has rows");
    }

    /** The backticked texts of a table cell. */
    static List<String> ticked(String cell) {
        List<String> out = new ArrayList<>();
        Matcher m = TICKED.matcher(cell);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static List<TableRow> kind(String... kinds) {
        Set<String> k = Set.of(kinds);
        return rows.stream().filter(r -> k.contains(r.kind())).toList();
    }

    private static Set<String> names(List<TableRow> rs) {
        return rs.stream().map(TableRow::diffusersClass).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void everyRowHasAKnownKind() {
        for (TableRow r : rows) {
            assertTrue(Set.of("pipeline", "model", "tokenizer", "scheduler", "not loaded").contains(r.kind()),
                    r.toString());
        }
    }

    @Test
    void pipelinesAreExactlyTheRegisteredOnes() throws Exception {
        assertEquals(new TreeSet<>(DiffusionPipeline.supportedPipelines()), names(kind("pipeline")));
        for (TableRow r : kind("pipeline")) {
            Class<?> c = Class.forName(r.javaClass());
            assertTrue(DiffusionPipeline.class.isAssignableFrom(c), r.javaClass());
            assertEquals(r.diffusersClass(), c.getSimpleName(), "Java class mirrors the diffusers name");
        }
    }

    @Test
    void modelsAndTokenizersAreExactlyTheLoadableComponents() throws Exception {
        assertEquals(new TreeSet<>(DiffusionPipeline.supportedComponents()), names(kind("model", "tokenizer")));
        for (TableRow r : kind("model", "tokenizer")) {
            assertNotNull(r.javaClass(), r.toString());
            Class.forName(r.javaClass());
        }
    }

    @Test
    void schedulersAreExactlyTheRegisteredOnesAndBuildTheNamedClass() throws Exception {
        assertEquals(new TreeSet<>(Schedulers.available()), names(kind("scheduler")));
        for (TableRow r : kind("scheduler")) {
            ConfigBase cfg = Schedulers.configType(r.diffusersClass()).getDeclaredConstructor().newInstance();
            try (Scheduler s = Schedulers.create(r.diffusersClass(), cfg)) {
                assertEquals(r.javaClass(), s.getClass().getName());
                assertEquals(r.diffusersClass(), s.className());
                s.setTimesteps(10);
                assertTrue(s.timesteps().length >= 10, r.diffusersClass() + " builds its timestep table");
            }
        }
    }

    @Test
    void notLoadedRowsAreExactlyTheSkippedComponents() {
        assertEquals(new TreeSet<>(DiffusionPipeline.skippedComponents()), names(kind("not loaded")));
    }

    /**
     * The "Supported checkpoints" table (after {@code <!-- checkpoints-table -->}, columns family | pipeline classes |
     * generate | job | refused) names exactly the registered pipeline classes in its second column.
     */
    @Test
    void checkpointsTableNamesExactlyTheRegisteredPipelines() throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
        int i = 0;
        while (i < lines.size() && !lines.get(i).startsWith("<!-- checkpoints-table")) {
            i++;
        }
        assertTrue(i < lines.size(), "README.md has a <!-- checkpoints-table --> marker before the table");
        while (i < lines.size() && !lines.get(i).startsWith("|")) {
            i++;
        }
        Set<String> named = new TreeSet<>();
        int rowCount = 0;
        for (i += 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            String[] cells = lines.get(i).split("\\|", -1);
            assertEquals(7, cells.length, "5 columns: " + lines.get(i));
            ticked(cells[2]).stream().filter(n -> n.endsWith("Pipeline")).forEach(named::add);
            rowCount++;
        }
        assertTrue(rowCount > 0, "the checkpoints table has rows");
        assertEquals(new TreeSet<>(DiffusionPipeline.supportedPipelines()), named);
    }

    @Test
    void everyClaimNamesExistingTestsAboutIt() throws IOException {
        Map<String, Path> tests = new HashMap<>();
        for (String module : List.of("pipeline-core", "job")) {
            try (Stream<Path> s = Files.walk(ROOT.resolve(module).resolve("src/test/java"))) {
                s.filter(p -> p.getFileName().toString().endsWith("Test.java"))
                        .forEach(p -> tests.put(p.getFileName().toString().replace(".java", ""), p));
            }
        }
        Map<Path, String> text = new HashMap<>();
        for (TableRow r : rows) {
            assertFalse(r.tests().isEmpty(), "no claim without a test: " + r);
            for (String t : r.tests()) {
                Path src = tests.get(t);
                if (src == null) {
                    fail(r.diffusersClass() + ": test class " + t + " does not exist");
                }
                boolean mentions = text.computeIfAbsent(src, SupportedTableTest::read).contains(r.diffusersClass());
                Path data = SUITE_DATA.get(t);
                if (!mentions && data != null) {
                    mentions = text.computeIfAbsent(data, SupportedTableTest::read)
                            .contains("\"" + r.diffusersClass() + "\"");
                }
                assertTrue(mentions, t + " (or the diffusers data it replays) does not mention "
                        + r.diffusersClass());
            }
        }
    }

    private static String read(Path p) {
        try {
            if (p.toString().endsWith(".gz")) {
                try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
