// Reads and writes .ipynb files byte for byte as Jupyter saves them (nbformat's sorted keys, 1-space indent).
package io.diffusers4j.notebooks;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeMap;

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
        StringBuilder b = new StringBuilder();
        append(b, nb, 0);
        return b.append('\n').toString();
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

    private static void append(StringBuilder b, JsonElement e, int depth) {
        if (e.isJsonObject()) {
            TreeMap<String, JsonElement> sorted = new TreeMap<>();
            e.getAsJsonObject().entrySet().forEach(x -> sorted.put(x.getKey(), x.getValue()));
            if (sorted.isEmpty()) {
                b.append("{}");
                return;
            }
            b.append('{');
            String sep = "\n";
            for (var x : sorted.entrySet()) {
                b.append(sep).append(" ".repeat(depth + 1));
                string(b, x.getKey());
                b.append(": ");
                append(b, x.getValue(), depth + 1);
                sep = ",\n";
            }
            b.append('\n').append(" ".repeat(depth)).append('}');
        } else if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            if (a.isEmpty()) {
                b.append("[]");
                return;
            }
            b.append('[');
            String sep = "\n";
            for (JsonElement x : a) {
                b.append(sep).append(" ".repeat(depth + 1));
                append(b, x, depth + 1);
                sep = ",\n";
            }
            b.append('\n').append(" ".repeat(depth)).append(']');
        } else if (e.isJsonNull()) {
            b.append("null");
        } else {
            JsonPrimitive p = e.getAsJsonPrimitive();
            if (p.isString()) {
                string(b, p.getAsString());
            } else {
                b.append(p.getAsString()); // numbers as written, true / false
            }
        }
    }

    /** A JSON string as Python's json module writes it with ensure_ascii=False. */
    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
