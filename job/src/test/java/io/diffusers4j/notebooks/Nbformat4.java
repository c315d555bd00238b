// The essentials of the nbformat 4.5 schema, checked on a parsed notebook (what Jupyter, GitHub, nbviewer need).
package io.diffusers4j.notebooks;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a notebook against the essentials of nbformat's v4.5 JSON schema: the top-level keys, each cell's
 * {@code id}, {@code cell_type}, {@code metadata}, {@code source} (and for code cells {@code execution_count} and
 * {@code outputs}), each output's {@code output_type} with its required keys, and no keys the schema forbids
 * ({@code additionalProperties: false}).
 */
final class Nbformat4 {
    private static final Map<String, Set<String>> CELL_KEYS = Map.of(
            "code", Set.of("id", "cell_type", "metadata", "source", "execution_count", "outputs"),
            "markdown", Set.of("id", "cell_type", "metadata", "source", "attachments"),
            "raw", Set.of("id", "cell_type", "metadata", "source", "attachments"));
    private static final Map<String, Set<String>> OUTPUT_KEYS = Map.of(
            "stream", Set.of("output_type", "name", "text"),
            "display_data", Set.of("output_type", "data", "metadata"),
            "execute_result", Set.of("output_type", "data", "metadata", "execution_count"),
            "error", Set.of("output_type", "ename", "evalue", "traceback"));

    private Nbformat4() {
    }

    /** What does not conform, one line each; empty when the notebook has the nbformat 4.5 essentials. */
    static List<String> problems(JsonObject nb) {
        List<String> out = new ArrayList<>();
        if (!isInt(nb.get("nbformat")) || nb.get("nbformat").getAsInt() != 4) {
            out.add("nbformat is not 4");
        }
        if (!isInt(nb.get("nbformat_minor")) || nb.get("nbformat_minor").getAsInt() < 5) {
            out.add("nbformat_minor < 5 (cell ids need 4.5)");
        }
        if (!isObject(nb.get("metadata"))) {
            out.add("no metadata object");
        }
        if (nb.get("cells") == null || !nb.get("cells").isJsonArray()) {
            out.add("no cells array");
            return out;
        }
        int i = 0;
        for (JsonElement e : nb.getAsJsonArray("cells")) {
            cell(i++, e, out);
        }
        return out;
    }

    private static void cell(int i, JsonElement e, List<String> out) {
        String where = "cell " + i + ": ";
        JsonObject c = e.getAsJsonObject();
        String type = knownType(where, c, "cell_type", CELL_KEYS, out);
        if (type == null) {
            return;
        }
        if (!c.has("id") || !c.get("id").getAsString().matches("[a-zA-Z0-9_-]{1,64}")) {
            out.add(where + "id missing or not [a-zA-Z0-9_-]{1,64}");
        }
        if (!isObject(c.get("metadata"))) {
            out.add(where + "no metadata object");
        }
        if (!isText(c.get("source"))) {
            out.add(where + "source is not a string or a list of strings");
        }
        if (!type.equals("code")) {
            return;
        }
        JsonElement count = c.get("execution_count");
        if (count == null || !(count.isJsonNull() || isInt(count))) {
            out.add(where + "execution_count is not an integer or null");
        }
        if (c.get("outputs") == null || !c.get("outputs").isJsonArray()) {
            out.add(where + "no outputs array");
            return;
        }
        int j = 0;
        for (JsonElement o : c.getAsJsonArray("outputs")) {
            output(where + "output " + j++ + ": ", o.getAsJsonObject(), out);
        }
    }

    private static void output(String where, JsonObject o, List<String> out) {
        String type = knownType(where, o, "output_type", OUTPUT_KEYS, out);
        if (type == null) {
            return;
        }
        OUTPUT_KEYS.get(type).stream().filter(k -> !o.has(k)).forEach(k -> out.add(where + type + " without " + k));
        if (type.equals("stream") && (!isText(o.get("text")) || !Set.of("stdout", "stderr")
                .contains(o.get("name").getAsString()))) {
            out.add(where + "stream name is not stdout/stderr or text is not text");
        }
        if (o.has("data")) {
            if (!isObject(o.get("data")) || !isObject(o.get("metadata"))) {
                out.add(where + "data or metadata is not an object");
            } else {
                o.getAsJsonObject("data").entrySet().stream().filter(d -> !d.getKey().endsWith("json") && !isText(d.getValue()))
                        .forEach(d -> out.add(where + d.getKey() + " is not a string or a list of strings"));
            }
        }
    }

    /** The value of {@code typeKey} when it is a known type, whose allowed keys {@code o} then keeps to; else null. */
    private static String knownType(String where, JsonObject o, String typeKey, Map<String, Set<String>> keysByType,
                                    List<String> out) {
        String type = o.has(typeKey) ? o.get(typeKey).getAsString() : "(none)";
        Set<String> allowed = keysByType.get(type);
        if (allowed == null) {
            out.add(where + typeKey + " " + type);
            return null;
        }
        o.keySet().stream().filter(k -> !allowed.contains(k)).forEach(k -> out.add(where + "key " + k
                + " is not allowed"));
        return type;
    }

    private static boolean isInt(JsonElement e) {
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()
                && e.getAsDouble() == Math.rint(e.getAsDouble());
    }

    private static boolean isObject(JsonElement e) {
        return e != null && e.isJsonObject();
    }

    private static boolean isText(JsonElement e) {
        if (e == null) {
            return false;
        }
        if (e.isJsonPrimitive()) {
            return e.getAsJsonPrimitive().isString();
        }
        if (!e.isJsonArray()) {
            return false;
        }
        for (JsonElement x : e.getAsJsonArray()) {
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isString()) {
                return false;
            }
        }
        return true;
    }
}
