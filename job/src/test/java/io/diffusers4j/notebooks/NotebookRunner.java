// Executes a Jupyter notebook's Java code cells in order in one JShell, as a Java kernel would (CI; tests).
package io.diffusers4j.notebooks;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code NotebookRunner NOTEBOOK.ipynb RESULTS.tsv}: parses the notebook (nbformat 4), then evaluates every code
 * cell in order in one in-process JShell (local execution engine, so snippets run on this JVM's classpath),
 * splitting each cell into snippets with JShell's own source analysis. It stops at the first cell that does not
 * compile, leaves an unresolved reference, or throws, and writes one line per code cell run:
 * {@code cellIndex \t ok|fail \t millis \t detail} (cell indexes count all cells, markdown included, from 0).
 * IJava line magics ({@code %...}) are skipped. Exit code 0 when every code cell ran, 1 otherwise.
 */
public final class NotebookRunner {
    private NotebookRunner() {
    }

    /** The code cells of a notebook: index among all cells, and source. */
    record Cell(int index, String source) {
    }

    static List<Cell> codeCells(Path notebook) throws IOException {
        JsonObject nb = JsonParser.parseString(Files.readString(notebook, StandardCharsets.UTF_8)).getAsJsonObject();
        JsonArray cells = nb.getAsJsonArray("cells");
        List<Cell> out = new ArrayList<>();
        for (int i = 0; i < cells.size(); i++) {
            JsonObject c = cells.get(i).getAsJsonObject();
            if (!"code".equals(c.get("cell_type").getAsString())) {
                continue;
            }
            JsonElement src = c.get("source");
            StringBuilder b = new StringBuilder();
            if (src.isJsonArray()) {
                for (JsonElement line : src.getAsJsonArray()) {
                    b.append(line.getAsString());
                }
            } else {
                b.append(src.getAsString());
            }
            out.add(new Cell(i, b.toString()));
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        Path notebook = Path.of(args[0]);
        Path results = Path.of(args[1]);
        List<String> lines = new ArrayList<>();
        boolean ok = true;
        String classpath = System.getProperty("java.class.path");
        try (JShell shell = JShell.builder().executionEngine("local").out(System.out).err(System.err).build()) {
            shell.addToClasspath(classpath);
            for (Cell cell : codeCells(notebook)) {
                long t0 = System.nanoTime();
                String failure = run(shell, cell.source());
                long ms = (System.nanoTime() - t0) / 1_000_000;
                lines.add(cell.index() + "\t" + (failure == null ? "ok" : "fail") + "\t" + ms + "\t"
                        + (failure == null ? "" : failure.replace("\\", "\\\\").replace("\n", "\\n")
                        .replace("\t", "\\t")));
                System.out.flush();
                if (failure != null) {
                    ok = false;
                    break;
                }
            }
        } finally {
            Files.write(results, lines, StandardCharsets.UTF_8);
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
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            switch (info.completeness()) {
                case EMPTY -> {
                    return null;
                }
                case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> {
                    return "incomplete source at the end of the cell:\n" + remaining.strip();
                }
                default -> {
                }
            }
            String snippet = info.source() != null ? info.source() : remaining;
            for (SnippetEvent e : shell.eval(snippet)) {
                String problem = problem(shell, e);
                if (problem != null) {
                    return problem + "\nin snippet:\n" + snippet.strip();
                }
            }
            remaining = info.remaining() == null ? "" : info.remaining();
        }
        return null;
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
