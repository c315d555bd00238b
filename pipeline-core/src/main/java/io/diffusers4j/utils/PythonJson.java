// Python's json.dumps text, for files and strings that diffusers and its tools write with it.
package io.diffusers4j.utils;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;

import java.util.Map;
import java.util.TreeMap;

/**
 * The layout and string escaping of Python's {@code json.dumps}, so that what we write is byte-for-byte what
 * diffusers (or another Python tool) would: {@code model_index.json}'s {@code json.dumps(d, indent=2,
 * sort_keys=True)}, the web UI's {@code json.dumps(text, ensure_ascii=False)}.
 */
public final class PythonJson {
    private PythonJson() {
    }

    /** {@code json.dumps(e, indent=2, sort_keys=True)} (ensure_ascii): numbers keep their JSON text. */
    public static String dumpsSorted(JsonElement e) {
        return dumpsSorted(e, 2, true);
    }

    /**
     * {@code json.dumps(e, indent=indent, sort_keys=True, ensure_ascii=ensureAscii)}: numbers keep their JSON text
     * (nbformat writes notebooks with indent 1 and ensure_ascii False).
     */
    public static String dumpsSorted(JsonElement e, int indent, boolean ensureAscii) {
        StringBuilder b = new StringBuilder();
        writeSorted(e, b, 0, " ".repeat(indent), ensureAscii);
        return b.toString();
    }

    /**
     * {@code json.dumps(s, ensure_ascii=ensureAscii)}: quotes, backslash and control characters escaped, and with
     * {@code ensureAscii} every character outside ' '..'~' (DEL included) as {@code \\uXXXX} too.
     */
    public static String dumpsString(String s, boolean ensureAscii) {
        StringBuilder b = new StringBuilder(s.length() + 2);
        writeString(s, ensureAscii, b);
        return b.toString();
    }

    private static void writeSorted(JsonElement e, StringBuilder b, int depth, String indent, boolean ensureAscii) {
        if (e.isJsonObject()) {
            // sort_keys orders by code point (UTF-16 order differs above the Basic Multilingual Plane)
            Map<String, JsonElement> sorted = new TreeMap<>(PythonJson::compareCodePoints);
            e.getAsJsonObject().entrySet().forEach(x -> sorted.put(x.getKey(), x.getValue()));
            if (sorted.isEmpty()) {
                b.append("{}");
                return;
            }
            b.append("{\n");
            int i = 0;
            for (Map.Entry<String, JsonElement> x : sorted.entrySet()) {
                b.append(indent.repeat(depth + 1));
                writeString(x.getKey(), ensureAscii, b);
                b.append(": ");
                writeSorted(x.getValue(), b, depth + 1, indent, ensureAscii);
                b.append(++i < sorted.size() ? ",\n" : "\n");
            }
            b.append(indent.repeat(depth)).append('}');
        } else if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            if (a.isEmpty()) {
                b.append("[]");
                return;
            }
            b.append("[\n");
            for (int i = 0; i < a.size(); i++) {
                b.append(indent.repeat(depth + 1));
                writeSorted(a.get(i), b, depth + 1, indent, ensureAscii);
                b.append(i + 1 < a.size() ? ",\n" : "\n");
            }
            b.append(indent.repeat(depth)).append(']');
        } else if (e.isJsonNull()) {
            b.append("null");
        } else if (e.getAsJsonPrimitive().isString()) {
            writeString(e.getAsString(), ensureAscii, b);
        } else {
            b.append(e.getAsJsonPrimitive().toString()); // numbers keep their text; booleans true/false
        }
    }

    /** Python's string order: by code point. */
    public static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    private static void writeString(String s, boolean ensureAscii, StringBuilder b) {
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
                    if (c < 0x20 || ensureAscii && c > 0x7e) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
