// Typed reads of one plan value (HOCON/JSON), each error naming the plan file and the key.
package io.diffusers4j.job.plan;

import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads values of a parsed plan by type; {@code key} is the plan key ("sweep.size[1]") for the message. */
final class PlanValues {
    private static final Pattern SIZE = Pattern.compile("(\\d{1,6})x(\\d{1,6})");

    private final String file;

    PlanValues(String file) {
        this.file = file;
    }

    PlanException error(String key, String message) {
        return new PlanException(file, key, message);
    }

    private static String shown(ConfigValue v) {
        String s = v.render();
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }

    ConfigObject object(String key, ConfigValue v) {
        if (v.valueType() != ConfigValueType.OBJECT) {
            throw error(key, "must be an object {...}, got " + shown(v));
        }
        return (ConfigObject) v;
    }

    ConfigList list(String key, ConfigValue v) {
        if (v.valueType() != ConfigValueType.LIST) {
            throw error(key, "must be a list [...], got " + shown(v));
        }
        return (ConfigList) v;
    }

    /** Non-empty list of at most {@code max} values. */
    ConfigList nonEmptyList(String key, ConfigValue v, int max) {
        ConfigList l = list(key, v);
        if (l.isEmpty()) {
            throw error(key, "the list is empty");
        }
        if (l.size() > max) {
            throw error(key, "has " + l.size() + " values (at most " + max + ")");
        }
        return l;
    }

    String text(String key, ConfigValue v) {
        if (v.valueType() != ConfigValueType.STRING) {
            throw error(key, "must be text, got " + shown(v));
        }
        String s = (String) v.unwrapped();
        if (s.length() > PlanLimits.MAX_TEXT_CHARS) {
            throw error(key, "text of " + s.length() + " characters (at most " + PlanLimits.MAX_TEXT_CHARS + ")");
        }
        return s;
    }

    String nonBlank(String key, ConfigValue v) {
        String s = text(key, v);
        if (s.isBlank()) {
            throw error(key, "is empty");
        }
        return s;
    }

    long integer(String key, ConfigValue v, long min, long max) {
        if (v.valueType() == ConfigValueType.NUMBER) {
            Number n = (Number) v.unwrapped();
            if ((n instanceof Integer || n instanceof Long) && n.longValue() >= min && n.longValue() <= max) {
                return n.longValue();
            }
        }
        throw error(key, "must be an integer in [" + min + ", " + max + "], got " + shown(v));
    }

    double finite(String key, ConfigValue v) {
        if (v.valueType() == ConfigValueType.NUMBER) {
            double d = ((Number) v.unwrapped()).doubleValue();
            if (Double.isFinite(d)) {
                return d;
            }
        }
        throw error(key, "must be a finite number, got " + shown(v));
    }

    double weight(String key, ConfigValue v) {
        double w = v.valueType() == ConfigValueType.NUMBER ? ((Number) v.unwrapped()).doubleValue() : Double.NaN;
        if (!(w > 0) || !Double.isFinite(w)) {
            throw error(key, "must be a finite number > 0, got " + shown(v));
        }
        return w;
    }

    /** {@code "512x768"}: width, height. */
    int[] size(String key, ConfigValue v) {
        Matcher m = SIZE.matcher(text(key, v));
        if (!m.matches() || Integer.parseInt(m.group(1)) < 1 || Integer.parseInt(m.group(2)) < 1) {
            throw error(key, "must be \"WIDTHxHEIGHT\" (e.g. \"512x768\"), got " + shown(v));
        }
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }

    /** Refuses keys of {@code o} outside {@code allowed} (a typo must not be ignored). */
    void onlyKeys(String key, ConfigObject o, Set<String> allowed) {
        for (String k : o.keySet()) {
            if (!allowed.contains(k)) {
                String where = key.isEmpty() ? k : key + "." + k;
                throw error(where, "unknown key (known: " + String.join(", ", new TreeSet<>(allowed)) + ")");
            }
        }
    }
}
