// Strict JSON-to-field type check for typed configs (what Python's diffusers would accept for each key's type).
package io.diffusers4j.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;

import java.lang.reflect.GenericArrayType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.util.Collection;
import java.util.Set;

/**
 * Gson converts leniently: {@code 2.5} becomes the int 2, {@code "4"} the int 4, {@code "yes"} the boolean false.
 * A config read that way is silently not the config in the file. This check refuses, before conversion, a value
 * whose JSON kind does not fit the field: integers must be integral numbers (4 or 4.0, not 2.5 or "4"), floats
 * numbers, booleans true/false, strings strings, lists arrays of such. Integers must also fit their Java type: Gson
 * turns {@code 1e300} into the int 0 and {@code 10^18} into -1486618624. Types it does not know are left to Gson.
 */
final class JsonTypeCheck {
    private static final Set<Class<?>> INTEGRAL = Set.of(int.class, Integer.class, long.class, Long.class,
            short.class, Short.class, byte.class, Byte.class);
    private static final Set<Class<?>> FLOATING = Set.of(double.class, Double.class, float.class, Float.class);

    private JsonTypeCheck() {
    }

    /** What {@code value} should have been for {@code type} ("an integer", ...), or null when it fits. */
    static String mismatch(JsonElement value, Type type) {
        if (value == null || value.isJsonNull()) {
            return null; // null is handled by the caller (refused for primitives)
        }
        Class<?> raw = raw(type);
        if (raw == null) {
            return null;
        }
        if (INTEGRAL.contains(raw)) {
            return !isIntegral(value) ? "an integer" : fits(value, raw) ? null : "an integer in " + range(raw);
        }
        if (FLOATING.contains(raw)) {
            return isNumber(value) ? null : "a number";
        }
        if (raw == boolean.class || raw == Boolean.class) {
            return value.isJsonPrimitive() && value.getAsJsonPrimitive().isBoolean() ? null : "true or false";
        }
        if (raw == String.class) {
            return value.isJsonPrimitive() && value.getAsJsonPrimitive().isString() ? null : "a string";
        }
        if (raw == IntOrList.class) {
            if (isIntegral(value) && fits(value, int.class)) {
                return null;
            }
            return value.isJsonArray() && elementsFit(value.getAsJsonArray(), int.class) ? null
                    : "an integer or a list of integers in " + range(int.class);
        }
        Type element = elementType(type, raw);
        if (element != null) {
            if (!value.isJsonArray()) {
                return "a list";
            }
            Class<?> elementClass = raw(element);
            for (JsonElement e : value.getAsJsonArray()) {
                String inner = mismatch(e, element);
                if (inner == null && e.isJsonNull() && elementClass != null && elementClass.isPrimitive()) {
                    inner = INTEGRAL.contains(elementClass) ? "an integer" : FLOATING.contains(elementClass)
                            ? "a number" : "true or false";
                }
                if (inner != null) {
                    return "a list of " + plural(inner);
                }
            }
        }
        return null;
    }

    private static String plural(String kind) {
        if (kind.startsWith("an integer in ")) {
            return "integers in " + kind.substring("an integer in ".length());
        }
        return switch (kind) {
            case "an integer" -> "integers";
            case "a number" -> "numbers";
            case "true or false" -> "booleans";
            case "a string" -> "strings";
            default -> kind.startsWith("a list of ") ? "lists of " + kind.substring("a list of ".length()) : "values";
        };
    }

    private static boolean elementsFit(JsonArray a, Type element) {
        for (JsonElement e : a) {
            if (e.isJsonNull() || mismatch(e, element) != null) {
                return false;
            }
        }
        return true;
    }

    /** An integral {@code v} within the range of the integer type {@code raw} (Gson would wrap it silently). */
    private static boolean fits(JsonElement v, Class<?> raw) {
        BigDecimal d = v.getAsJsonPrimitive().getAsBigDecimal();
        long[] r = bounds(raw);
        return d.compareTo(BigDecimal.valueOf(r[0])) >= 0 && d.compareTo(BigDecimal.valueOf(r[1])) <= 0;
    }

    private static long[] bounds(Class<?> raw) {
        if (raw == long.class || raw == Long.class) {
            return new long[] {Long.MIN_VALUE, Long.MAX_VALUE};
        }
        if (raw == short.class || raw == Short.class) {
            return new long[] {Short.MIN_VALUE, Short.MAX_VALUE};
        }
        if (raw == byte.class || raw == Byte.class) {
            return new long[] {Byte.MIN_VALUE, Byte.MAX_VALUE};
        }
        return new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE};
    }

    private static String range(Class<?> raw) {
        long[] r = bounds(raw);
        return "[" + r[0] + ", " + r[1] + "]";
    }

    private static boolean isNumber(JsonElement v) {
        return v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber();
    }

    private static boolean isIntegral(JsonElement v) {
        if (!isNumber(v)) {
            return false;
        }
        JsonPrimitive p = v.getAsJsonPrimitive();
        try {
            BigDecimal d = p.getAsBigDecimal();
            return d.signum() == 0 || d.stripTrailingZeros().scale() <= 0;
        } catch (NumberFormatException e) {
            return false; // NaN, Infinity
        }
    }

    private static Class<?> raw(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) {
            return c;
        }
        if (type instanceof GenericArrayType) {
            return Object[].class;
        }
        return null;
    }

    /** The element type of an array or a Collection field, else null. */
    private static Type elementType(Type type, Class<?> raw) {
        if (raw.isArray()) {
            return type instanceof GenericArrayType g ? g.getGenericComponentType() : raw.getComponentType();
        }
        if (Collection.class.isAssignableFrom(raw) && type instanceof ParameterizedType p
                && p.getActualTypeArguments().length == 1) {
            return p.getActualTypeArguments()[0];
        }
        return null;
    }
}
