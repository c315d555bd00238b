// Reads and writes .ipynb files byte for byte as Jupyter saves them (nbformat's sorted keys, 1-space indent).
package io.diffusers4j.notebooks;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.utils.PythonJson;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The on-disk form of a notebook: what Jupyter's {@code nbformat.writes} produces, i.e. Python's
 * {@code json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False)} plus a final newline, with multi-line
 * strings (sources, stream texts, {@code text/*} data) stored as lists of lines. Writing a notebook that Jupyter
 * saved gives back the same bytes, so regenerated outputs make small diffs.
 */
final class NotebookJson {
    private NotebookJson() {
    }

    static JsonObject read(Path notebook) throws IOException {
        return JsonParser.parseString(Files.readString(notebook, StandardCharsets.UTF_8)).getAsJsonObject();
    }

    static void write(Path notebook, JsonObject nb) throws IOException {
        Files.writeString(notebook, format(nb), StandardCharsets.UTF_8);
    }

    static String format(JsonElement nb) {
        return PythonJson.dumpsSorted(nb, 1, false) + "\n";
    }

    /** A multi-line string as nbformat stores it: its lines, each with its {@code \n} (the last may lack one). */
    static JsonArray lines(String text) {
        JsonArray out = new JsonArray();
        int start = 0;
        while (start < text.length()) {
            int nl = text.indexOf('\n', start);
            int end = nl < 0 ? text.length() : nl + 1;
            out.add(text.substring(start, end));
            start = end;
        }
        return out;
    }

    /** A string that nbformat may store as one string or as a list of lines. */
    static String text(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return "";
        }
        if (!e.isJsonArray()) {
            return e.getAsString();
        }
        StringBuilder b = new StringBuilder();
        for (JsonElement line : e.getAsJsonArray()) {
            b.append(line.getAsString());
        }
        return b.toString();
    }
}
