// JSON Lines prompt files: one JSON object a line, keys named like diffusers' call arguments.
package io.diffusers4j.job.input;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.MalformedJsonException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;

import java.io.EOFException;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One JSON object a line. Strict JSON (RFC 8259): duplicate keys (at any depth), trailing text after the object,
 * NaN literals, comments, single quotes or a line that is not an object make the line malformed (kept, with the
 * parser's reason). Text values become strings, integral numbers longs (beyond 64 bits: their digits), other numbers
 * doubles, arrays of numbers lists of those (a custom schedule), JSON null means "not given"; objects and other
 * arrays are kept as markers so a field that needs a scalar reports them.
 *
 * <p>Parsed with Gson's streaming reader in strict mode (Gson is the project's JSON library, shaded into the
 * spark-submit jar), so the result does not depend on the Jackson version of the cluster's Spark.
 */
public final class JsonlPromptReader implements PromptReader {
    private static final String LENIENT_HINT =
            "Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON";

    private static final int MAX_PATH = 64;

    @Override
    public JavaRDD<RawRecord> read(SparkSession spark, String path) {
        return LineSource.read(spark, path).lines()
                .filter(l -> !l.text().isBlank())
                .map(l -> parse(l.source(), l.number(), l.text()));
    }

    /** Parses one line (public for unit tests). */
    public static RawRecord parse(String source, long number, String line) {
        Map<String, Object> fields = new LinkedHashMap<>();
        try (JsonReader in = new JsonReader(new StringReader(line))) {
            in.setStrictness(Strictness.STRICT);
            JsonToken first = in.peek();
            if (first != JsonToken.BEGIN_OBJECT) {
                return RawRecord.malformed(source, number, line, "JSON: the line is a JSON "
                        + first.name().toLowerCase(Locale.ROOT).replace("begin_", "") + ", not an object");
            }
            Set<String> names = new HashSet<>();
            in.beginObject();
            while (in.hasNext()) {
                String name = in.nextName();
                if (!names.add(name)) {
                    return RawRecord.malformed(source, number, line, "JSON: Duplicate field '" + name + "'");
                }
                Object v = value(in);
                if (v != null) {
                    fields.put(name, v);
                }
            }
            in.endObject();
            if (!atEnd(in)) {
                return RawRecord.malformed(source, number, line, "JSON: trailing text after the object");
            }
        } catch (EOFException e) {
            return RawRecord.malformed(source, number, line, "JSON: " + (line.isBlank() ? "the line is empty"
                    : reason(e)));
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            return RawRecord.malformed(source, number, line, "JSON: " + reason(e));
        }
        return RawRecord.parsed(source, number, line, fields);
    }

    private static Object value(JsonReader in) throws IOException {
        switch (in.peek()) {
            case NULL -> {
                in.nextNull();
                return null;
            }
            case STRING -> {
                return in.nextString();
            }
            case NUMBER -> {
                return number(in.nextString());
            }
            case BOOLEAN -> {
                return in.nextBoolean();
            }
            case BEGIN_ARRAY -> { // numbers (a schedule), or texts and flat objects (adapter entries)
                List<Object> items = new ArrayList<>();
                boolean allNumbers = true;
                boolean allEntries = true;
                in.beginArray();
                while (in.hasNext()) {
                    JsonToken kind = in.peek();
                    if (kind == JsonToken.NUMBER) {
                        items.add(number(in.nextString()));
                        allEntries = false;
                    } else if (kind == JsonToken.STRING) {
                        items.add(in.nextString());
                        allNumbers = false;
                    } else if (kind == JsonToken.BEGIN_OBJECT) {
                        items.add(flatObject(in));
                        allNumbers = false;
                    } else {
                        allNumbers = false;
                        allEntries = false;
                        check(in);
                    }
                }
                in.endArray();
                return allNumbers || allEntries ? items : new RawRecord.NonScalar("a JSON array");
            }
            default -> {
                check(in);
                return new RawRecord.NonScalar("a JSON object");
            }
        }
    }

    /** An object in an array: its scalar values by name (nested values become markers), duplicates refused. */
    private static Map<String, Object> flatObject(JsonReader in) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        in.beginObject();
        while (in.hasNext()) {
            String name = in.nextName();
            if (out.containsKey(name)) {
                throw new IOException("Duplicate field '" + name + "' at " + in.getPath());
            }
            JsonToken kind = in.peek();
            Object v;
            if (kind == JsonToken.BEGIN_ARRAY || kind == JsonToken.BEGIN_OBJECT) {
                check(in);
                v = new RawRecord.NonScalar(kind == JsonToken.BEGIN_ARRAY ? "a JSON array" : "a JSON object");
            } else {
                v = value(in);
            }
            if (v != null) {
                out.put(name, v);
            }
        }
        in.endObject();
        return out;
    }

    /** True when nothing but whitespace follows (strict mode refuses a second value with an exception). */
    private static boolean atEnd(JsonReader in) throws IOException {
        try {
            return in.peek() == JsonToken.END_DOCUMENT;
        } catch (MalformedJsonException e) {
            return false;
        }
    }

    /** Integral literals (no fraction, no exponent) are longs, or their digits beyond 64 bits; others doubles. */
    private static Object number(String literal) {
        if (literal.indexOf('.') < 0 && literal.indexOf('e') < 0 && literal.indexOf('E') < 0) {
            try {
                return Long.parseLong(literal);
            } catch (NumberFormatException e) { // beyond 64 bits: keep the digits, the validator reports the range
                return literal;
            }
        }
        return Double.parseDouble(literal);
    }

    /** Reads a value that is only kept as a marker, as strictly as the others (duplicate keys, string contents). */
    private static void check(JsonReader in) throws IOException {
        switch (in.peek()) {
            case BEGIN_OBJECT -> {
                Set<String> names = new HashSet<>();
                in.beginObject();
                while (in.hasNext()) {
                    String name = in.nextName();
                    if (!names.add(name)) {
                        throw new IOException("Duplicate field '" + name + "' at " + in.getPath());
                    }
                    check(in);
                }
                in.endObject();
            }
            case BEGIN_ARRAY -> {
                in.beginArray();
                while (in.hasNext()) {
                    check(in);
                }
                in.endArray();
            }
            case STRING, NUMBER -> in.nextString(); // skipValue would not check a string's characters
            case BOOLEAN -> in.nextBoolean();
            default -> in.nextNull();
        }
    }

    /** Gson's message without its troubleshooting link and lenient-mode hint, and with a long path cut short. */
    private static String reason(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int see = m.indexOf("\nSee ");
        if (see >= 0) {
            m = m.substring(0, see);
        }
        int path = m.indexOf(" path $");
        if (path >= 0 && m.length() - path > MAX_PATH) {
            m = m.substring(0, path + MAX_PATH) + "...";
        }
        return m.replace(LENIENT_HINT, "not valid JSON").replace(" at line 1 column ", " at column ");
    }
}
