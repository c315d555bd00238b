// CI executes every code cell of every notebook in notebooks/ (in order, one JShell each) and fails on any error.
package io.diffusers4j.notebooks;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
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
 * Notebooks never rot: each {@code notebooks/*.ipynb} runs in a fresh JVM (the test JVM's options and classpath,
 * working directory {@code notebooks/} as in Jupyter, DJL offline) through {@link NotebookRunner}; a cell that
 * does not compile or throws fails the test with the notebook name, the cell index and the exception. The
 * notebooks' {@code Show.image} calls write PNGs under {@code target/notebook-output/<notebook>/}, checked too.
 */
class NotebooksTest {
    static final Path NOTEBOOKS = Path.of("..", "notebooks").toAbsolutePath().normalize();

    static List<Path> notebooks() throws IOException {
        try (Stream<Path> s = Files.list(NOTEBOOKS)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".ipynb")).sorted(Comparator.naturalOrder())
                    .toList();
        }
    }

    @Test
    void theRequiredNotebooksExistForAJavaKernel() throws IOException {
        List<String> names = notebooks().stream().map(p -> p.getFileName().toString()).toList();
        assertTrue(names.contains("01-quickstart.ipynb"), names.toString());
        assertTrue(names.contains("02-explore-job-output.ipynb"), names.toString());
        for (Path nb : notebooks()) {
            JsonObject json = JsonParser.parseString(Files.readString(nb)).getAsJsonObject();
            assertEquals(4, json.get("nbformat").getAsInt(), nb.toString());
            JsonObject kernel = json.getAsJsonObject("metadata").getAsJsonObject("kernelspec");
            assertEquals("java", kernel.get("language").getAsString(), nb + ": a Java kernel notebook");
            assertFalse(NotebookRunner.codeCells(nb).isEmpty(), nb + " has code cells");
        }
    }

    @TestFactory
    Stream<DynamicTest> everyCodeCellOfEveryNotebookRunsInOrder() throws IOException {
        return notebooks().stream().map(nb -> DynamicTest.dynamicTest(nb.getFileName().toString(), () -> run(nb)));
    }

    private static void run(Path notebook) throws Exception {
        String name = notebook.getFileName().toString().replace(".ipynb", "");
        Path work = Path.of("target", "notebook-output", name).toAbsolutePath();
        AtomicFiles.deleteTree(work);
        Files.createDirectories(work);
        Path images = work.resolve("images");
        Path results = work.resolve("results.tsv");
        Path log = work.resolve("output.log");

        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-javaagent") && !a.startsWith("-agentlib")) {
                cmd.add(a);
            }
        }
        cmd.add("-Ddiffusers4j.notebook.out=" + images);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(NotebookRunner.class.getName());
        cmd.add(notebook.toString());
        cmd.add(results.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(NOTEBOOKS.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().put("DJL_OFFLINE", "true");
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
        try (Stream<Path> shown = Files.exists(images) ? Files.list(images) : Stream.empty()) {
            assertTrue(shown.anyMatch(f -> f.toString().endsWith(".png")),
                    notebook.getFileName() + " shows at least one image (Show.image)");
        }
    }

    private static String tail(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "(no output)";
        }
        List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", all.subList(Math.max(0, all.size() - 60), all.size()));
    }
}
