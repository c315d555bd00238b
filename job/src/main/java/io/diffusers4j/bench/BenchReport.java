// The benchmark's result: a flat JSON object of figures plus the human-readable report built alongside it.
package io.diffusers4j.bench;

import com.google.gson.GsonBuilder;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Collects figures under snake_case keys (the JSON object, in insertion order) and the lines of the text report
 * (sections, aligned label/value rows). Numbers are rounded for the JSON to what the measurement supports.
 */
final class BenchReport {
    private final Map<String, Object> values = new LinkedHashMap<>();
    private final StringBuilder text = new StringBuilder();

    /** Records a figure for the JSON object. */
    BenchReport put(String key, Object value) {
        values.put(key, value instanceof Double d ? round(d) : value);
        return this;
    }

    Object get(String key) {
        return values.get(key);
    }

    double number(String key) {
        Object v = values.get(key);
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** Starts a section of the text report. */
    BenchReport section(String title) {
        text.append('\n').append(title).append('\n');
        return this;
    }

    /** A row of the text report. */
    BenchReport row(String label, String format, Object... args) {
        text.append(String.format(Locale.ROOT, "  %-38s ", label)).append(String.format(Locale.ROOT, format, args))
                .append('\n');
        return this;
    }

    /** A free line of the text report. */
    BenchReport line(String format, Object... args) {
        text.append("  ").append(String.format(Locale.ROOT, format, args)).append('\n');
        return this;
    }

    String text() {
        return text.toString();
    }

    /** The figures as one line of JSON. */
    String json() {
        return new GsonBuilder().serializeSpecialFloatingPointValues().disableHtmlEscaping().create().toJson(values);
    }

    Map<String, Object> values() {
        return values;
    }

    /** 4 significant digits (at least 0.001). */
    static double round(double v) {
        if (!Double.isFinite(v) || v == 0) {
            return v;
        }
        double mag = Math.pow(10, Math.max(-3, 3 - (int) Math.floor(Math.log10(Math.abs(v)))));
        return Math.round(v * mag) / mag;
    }
}
