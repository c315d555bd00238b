// CI executes every code cell of every notebook in notebooks/ and fails on an error or on stale stored outputs.
package io.diffusers4j.notebooks;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.utils.AtomicFiles;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Notebooks never rot, and neither do their stored outputs: each {@code notebooks/*.ipynb} runs in a fresh JVM (the
 * test JVM's options and classpath, working directory {@code notebooks/} as in Jupyter, DJL offline, the embedded
 * tiny model) through {@link NotebookRunner}. A cell that does not compile or throws fails the test with the
 * notebook name, the cell index and the exception; so do stored outputs that differ from the fresh ones
 * ({@link StoredOutputs}), with the command that regenerates them:
 * {@code -Dnotebooks.update=true} writes the fresh outputs into the notebooks instead of comparing.
 */
class NotebooksTest {
    static final Path NOTEBOOKS = Path.of("..", "notebooks").toAbsolutePath().normalize();
    static final String UPDATE = "notebooks.update";
    static final String REGENERATE = "mvn -B -o -pl job -am test -Dtest=NotebooksTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -D" + UPDATE + "=true";

    static List<Path> notebooks() throws IOException {
        try (Stream<Path> s = Files.list(NOTEBOOKS)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".ipynb")).sorted(Comparator.naturalOrder())
                    .toList();
        }
    }

    @Test
    void theRequiredNotebooksAreValidNbformat4ForAJavaKernel() throws IOException {
        List<String> names = notebooks().stream().map(p -> p.getFileName().toString()).toList();
        assertTrue(names.contains("01-quickstart.ipynb"), names.toString());
        assertTrue(names.contains("02-explore-job-output.ipynb"), names.toString());
        for (Path nb : notebooks()) {
            JsonObject json = NotebookJson.read(nb);
            assertEquals(List.of(), Nbformat4.problems(json), nb + " is nbformat 4.5");
            JsonObject kernel = json.getAsJsonObject("metadata").getAsJsonObject("kernelspec");
            assertEquals("java", kernel.get("language").getAsString(), nb + ": a Java kernel notebook");
            assertFalse(NotebookRunner.codeCells(nb).isEmpty(), nb + " has code cells");
        }
    }

    @TestFactory
    Stream<DynamicTest> everyCodeCellRunsInOrderAndTheStoredOutputsAreCurrent() throws IOException {
        return notebooks().stream().map(nb -> DynamicTest.dynamicTest(nb.getFileName().toString(), () -> run(nb)));
    }

    private static void run(Path notebook) throws Exception {
        String name = notebook.getFileName().toString().replace(".ipynb", "");
        Path work = Path.of("target", "notebook-output", name).toAbsolutePath();
        AtomicFiles.deleteTree(work);
        Files.createDirectories(work);
        Path results = work.resolve("results.tsv");
        Path executed = work.resolve(notebook.getFileName());
        Path log = work.resolve("output.log");

        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-javaagent") && !a.startsWith("-agentlib")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(NotebookRunner.class.getName());
        cmd.add(notebook.toString());
        cmd.add(results.toString());
        cmd.add(executed.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(NOTEBOOKS.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().remove("DIFFUSERS4J_MODEL"); // the stored outputs are those of the embedded tiny model
        // the explore notebook renders the example prompts itself when this output does not exist yet
        pb.environment().put("DIFFUSERS4J_JOB_OUTPUT", work.resolve("example-run").toString());
        Process p = pb.start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(notebook.getFileName() + " did not finish in 300 s\n" + tail(log));
        }
        int codeCells = NotebookRunner.codeCells(notebook).size();
        List<String> lines = Files.exists(results) ? Files.readAllLines(results) : List.of();
        for (String line : lines) {
            String[] f = line.split("\t", 4);
            if (!f[1].equals("ok")) {
                fail("notebooks/" + notebook.getFileName() + " cell " + f[0] + " failed: "
                        + f[3].replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")
                        + "\n--- output tail ---\n" + tail(log));
            }
        }
        assertEquals(0, p.exitValue(), notebook.getFileName() + " runner exit code\n" + tail(log));
        assertEquals(codeCells, lines.size(), "every code cell of " + notebook.getFileName() + " ran\n" + tail(log));
        JsonObject fresh = NotebookJson.read(executed);
        assertTrue(showsAnImage(fresh), notebook.getFileName() + " shows at least one image (Show.image)");
        checkOrUpdate(notebook, fresh);
    }

    /** Fails when the stored outputs are not the fresh ones; with -Dnotebooks.update=true stores them instead. */
    private static void checkOrUpdate(Path notebook, JsonObject fresh) throws IOException {
        JsonObject stored = NotebookJson.read(notebook);
        List<String> differences = StoredOutputs.differences(stored, fresh);
        if (Boolean.getBoolean(UPDATE)) {
            String updated = NotebookJson.format(StoredOutputs.merge(stored, fresh));
            if (!updated.equals(Files.readString(notebook, StandardCharsets.UTF_8))) {
                Files.writeString(notebook, updated, StandardCharsets.UTF_8);
                System.out.println("updated the outputs of " + notebook + ": " + differences);
            }
            return;
        }
        if (!differences.isEmpty()) {
            fail("notebooks/" + notebook.getFileName() + ": the stored outputs are not those of a fresh run:\n  "
                    + String.join("\n  ", differences) + "\nRegenerate them (then review the diff and commit the "
                    + "notebook):\n  " + REGENERATE);
        }
    }

    private static boolean showsAnImage(JsonObject nb) {
        for (JsonElement cell : nb.getAsJsonArray("cells")) {
            JsonArray outputs = cell.getAsJsonObject().getAsJsonArray("outputs");
            for (JsonElement o : outputs == null ? new JsonArray() : outputs) {
                JsonObject data = o.getAsJsonObject().getAsJsonObject("data");
                if (data != null && data.has("image/png")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String tail(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "(no output)";
        }
        List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", all.subList(Math.max(0, all.size() - 60), all.size()));
    }
}
