// JSON Lines prompt files: one JSON object a line, keys named like diffusers' call arguments.
package io.diffusers4j.job.input;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One JSON object a line. Strict JSON: duplicate keys, trailing text after the object, NaN literals or a line
 * that is not an object make the line malformed (kept, with the parser's reason). Text values become strings,
 * integral numbers longs, other numbers doubles, arrays of numbers lists of those (a custom schedule), JSON null
 * means "not given"; objects and other arrays are kept as markers so a field that needs a scalar reports them.
 */
public final class JsonlPromptReader implements PromptReader {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    @Override
    public JavaRDD<RawRecord> read(SparkSession spark, String path) {
        return LineSource.read(spark, path).lines()
                .filter(l -> !l.text().isBlank())
                .map(l -> parse(l.source(), l.number(), l.text()));
    }

    /** Parses one line (public for unit tests). */
    public static RawRecord parse(String source, long number, String line) {
        JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            return RawRecord.malformed(source, number, line, "JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            return RawRecord.malformed(source, number, line, "JSON: the line is "
                    + (node == null ? "empty" : "a JSON " + node.getNodeType().name().toLowerCase()
                    + ", not an object"));
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Object v = value(e.getValue());
            if (v != null) {
                fields.put(e.getKey(), v);
            }
        }
        return RawRecord.parsed(source, number, line, fields);
    }

    private static Object value(JsonNode v) {
        if (v.isNull() || v.isMissingNode()) {
            return null;
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isIntegralNumber()) {
            // beyond 64 bits: keep the digits, the validator reports the range
            return v.canConvertToLong() ? (Object) v.longValue() : v.asText();
        }
        if (v.isNumber()) {
            return v.doubleValue();
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isArray() && allNumbers(v)) {
            List<Object> items = new ArrayList<>(v.size());
            v.forEach(item -> items.add(value(item)));
            return items;
        }
        return new RawRecord.NonScalar(v.isArray() ? "a JSON array" : "a JSON object");
    }

    private static boolean allNumbers(JsonNode array) {
        for (JsonNode item : array) {
            if (!item.isNumber()) {
                return false;
            }
        }
        return true;
    }
}
