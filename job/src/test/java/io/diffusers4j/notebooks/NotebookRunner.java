// Executes a Jupyter notebook's Java code cells in order in one JShell, as a Java kernel would, keeping the outputs.
package io.diffusers4j.notebooks;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.diffusers4j.notebook.Display;
import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code NotebookRunner NOTEBOOK.ipynb RESULTS.tsv EXECUTED.ipynb}: parses the notebook (nbformat 4), then evaluates
 * every code cell in order in one in-process JShell (local execution engine, so snippets run on this JVM's
 * classpath), splitting each cell into snippets with JShell's own source analysis, as JJava does. It stops at the
 * first cell that does not compile, leaves an unresolved reference, or throws, and writes one line per code cell
 * run: {@code cellIndex \t ok|fail \t millis \t detail} (cell indexes count all cells, markdown included, from 0).
 * IJava/JJava line magics ({@code %...}) are skipped. Exit code 0 when every code cell ran, 1 otherwise.
 *
 * <p>It writes the notebook with the outputs of the cells it ran into EXECUTED.ipynb, as Jupyter stores those of a
 * Java kernel after "Restart and run all": {@code execution_count} 1, 2, ... and {@link CellOutputs} (what the cell
 * printed on {@code System.out}; what it displayed through {@link Display}, i.e. {@code Show.image}). Not stored,
 * so that outputs stay comparable between runs: {@code System.err} (logging, with timestamps; it goes to this
 * process's stderr). A kernel would show the value of an expression that ends a cell as an
 * {@code execute_result}; the runner does not reproduce those values, so such a cell fails with a message.
 */
public final class NotebookRunner {
    private NotebookRunner() {
    }

    /** The code cells of a notebook: index among all cells, and source. */
    record Cell(int index, String source) {
    }

    static List<Cell> codeCells(Path notebook) throws IOException {
        return codeCells(NotebookJson.read(notebook));
    }

    static List<Cell> codeCells(JsonObject nb) {
        JsonArray cells = nb.getAsJsonArray("cells");
        List<Cell> out = new ArrayList<>();
        for (int i = 0; i < cells.size(); i++) {
            JsonObject c = cells.get(i).getAsJsonObject();
            if (!"code".equals(c.get("cell_type").getAsString())) {
                continue;
            }
            out.add(new Cell(i, NotebookJson.text(c.get("source"))));
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        Path notebook = Path.of(args[0]);
        Path results = Path.of(args[1]);
        Path executed = Path.of(args[2]);
        JsonObject nb = NotebookJson.read(notebook);
        JsonArray cells = nb.getAsJsonArray("cells");
        List<String> lines = new ArrayList<>();
        boolean ok = true;
        PrintStream log = System.out;
        CellOutputs outputs = new CellOutputs(log);
        System.setOut(outputs.stdout());
        Display.redirect(outputs::display);
        int executionCount = 0;
        try (JShell shell = JShell.builder().executionEngine("local").out(System.out).err(System.err).build()) {
            shell.addToClasspath(System.getProperty("java.class.path"));
            for (Cell cell : codeCells(nb)) {
                long t0 = System.nanoTime();
                String failure = run(shell, cell.source());
                long ms = (System.nanoTime() - t0) / 1_000_000;
                JsonObject stored = cells.get(cell.index()).getAsJsonObject();
                stored.addProperty("execution_count", ++executionCount);
                stored.add("outputs", outputs.take());
                lines.add(cell.index() + "\t" + (failure == null ? "ok" : "fail") + "\t" + ms + "\t"
                        + (failure == null ? "" : failure.replace("\\", "\\\\").replace("\n", "\\n")
                        .replace("\t", "\\t")));
                if (failure != null) {
                    ok = false;
                    break;
                }
            }
        } finally {
            Display.redirect(null);
            System.setOut(log);
            Files.write(results, lines, StandardCharsets.UTF_8);
            NotebookJson.write(executed, nb);
        }
        System.exit(ok ? 0 : 1);
    }

    /** Evaluates one cell; null when it ran, else what went wrong. */
    static String run(JShell shell, String cellSource) {
        StringBuilder code = new StringBuilder();
        for (String line : cellSource.split("\n", -1)) {
            code.append(line.stripLeading().startsWith("%") ? "" : line).append('\n');
        }
        SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
        String remaining = code.toString();
        String value = null; // of the last snippet, when it is an expression with a value
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            switch (info.completeness()) {
                case EMPTY -> {
                    return executeResult(value);
                }
                case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> {
                    return "incomplete source at the end of the cell:\n" + remaining.strip();
                }
                default -> {
                }
            }
            String snippet = info.source() != null ? info.source() : remaining;
            value = null;
            for (SnippetEvent e : shell.eval(snippet)) {
                String problem = problem(shell, e);
                if (problem != null) {
                    return problem + "\nin snippet:\n" + snippet.strip();
                }
                if (e.causeSnippet() == null && VALUE_KINDS.contains(e.snippet().subKind()) && e.value() != null) {
                    value = snippet.strip() + " = " + e.value();
                }
            }
            remaining = info.remaining() == null ? "" : info.remaining();
        }
        return executeResult(value);
    }

    /** Snippet kinds whose value JJava shows when they end a cell. */
    private static final Set<Snippet.SubKind> VALUE_KINDS = EnumSet.of(Snippet.SubKind.VAR_VALUE_SUBKIND,
            Snippet.SubKind.OTHER_EXPRESSION_SUBKIND, Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND);

    private static String executeResult(String value) {
        return value == null ? null : "the cell ends with an expression that has a value, which a Java kernel shows "
                + "as an execute_result that this runner does not store: assign it to a variable or print it\n  "
                + value;
    }

    private static String problem(JShell shell, SnippetEvent e) {
        if (e.exception() != null) {
            Exception x = e.exception();
            StringWriter trace = new StringWriter();
            x.printStackTrace(new PrintWriter(trace));
            String cls = x instanceof EvalException ee ? ee.getExceptionClassName()
                    : x instanceof UnresolvedReferenceException ? "unresolved reference" : x.getClass().getName();
            return "threw " + cls + ": " + x.getMessage() + "\n" + trace;
        }
        Snippet.Status status = e.status();
        if (status == Snippet.Status.REJECTED || status == Snippet.Status.RECOVERABLE_DEFINED
                || status == Snippet.Status.RECOVERABLE_NOT_DEFINED) {
            StringBuilder b = new StringBuilder("does not compile (" + status + "):");
            shell.diagnostics(e.snippet()).forEach((Diag d) -> b.append("\n  ")
                    .append(d.getMessage(Locale.ROOT)));
            if (e.snippet() instanceof DeclarationSnippet ds) {
                shell.unresolvedDependencies(ds).forEach(u -> b.append("\n  unresolved: ").append(u));
            }
            return b.toString();
        }
        return null;
    }
}
