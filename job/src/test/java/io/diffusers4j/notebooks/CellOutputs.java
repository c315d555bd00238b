// The outputs of the notebook cell being run, in nbformat 4 form, as a Java kernel sends them to Jupyter.
package io.diffusers4j.notebooks;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Collects what the current cell prints on {@link #stdout()} (one stream for the whole run, as a kernel's
 * {@code System.out}: libraries that keep the stream they found, like Scala's {@code Console} in Spark's
 * {@code show()}, still reach the current cell) and what it displays ({@link #display}), in order: text as
 * {@code stream} outputs named {@code stdout}, consecutive text merged into one as Jupyter stores it; displays as
 * {@code display_data} outputs. Everything printed is copied to {@code log} too.
 */
final class CellOutputs {
    private final PrintStream log;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final List<Object> outputs = new ArrayList<>(); // StringBuilder (stdout text) or JsonObject (display)
    private final PrintStream stdout;

    CellOutputs(PrintStream log) {
        this.log = log;
        this.stdout = new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[]{(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (CellOutputs.this) {
                    pending.write(b, off, len);
                    log.write(b, off, len);
                }
            }
        }, true, StandardCharsets.UTF_8);
    }

    /** The stream to install as {@code System.out} for the whole run. */
    PrintStream stdout() {
        return stdout;
    }

    /** A {@code display_data} output of {@code bundle} (MIME type to data). */
    synchronized void display(Map<String, String> bundle) {
        closeText();
        JsonObject data = new JsonObject();
        bundle.forEach((type, value) -> {
            if (type.startsWith("text/")) {
                data.add(type, NotebookJson.lines(value));
            } else {
                data.addProperty(type, value);
            }
        });
        JsonObject out = new JsonObject();
        out.add("data", data);
        out.add("metadata", new JsonObject());
        out.addProperty("output_type", "display_data");
        outputs.add(out);
        log.println("[display_data " + bundle.keySet() + "] " + bundle.getOrDefault("text/plain", ""));
    }

    /** The outputs of the cell that just ran; starts collecting the next cell's. */
    synchronized JsonArray take() {
        closeText();
        JsonArray out = new JsonArray();
        for (Object o : outputs) {
            if (o instanceof StringBuilder text) {
                JsonObject stream = new JsonObject();
                stream.addProperty("name", "stdout");
                stream.addProperty("output_type", "stream");
                stream.add("text", NotebookJson.lines(text.toString()));
                out.add(stream);
            } else {
                out.add((JsonObject) o);
            }
        }
        outputs.clear();
        return out;
    }

    private void closeText() {
        if (pending.size() == 0) {
            return;
        }
        String text = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        if (!outputs.isEmpty() && outputs.get(outputs.size() - 1) instanceof StringBuilder last) {
            last.append(text);
        } else {
            outputs.add(new StringBuilder(text));
        }
    }
}
