// Range checks for the sizes and counts a config file sets, made before anything is allocated from them.
package io.diffusers4j.config;

import java.util.Arrays;
import java.util.List;

/**
 * A checkpoint's config sets sizes that become Java arrays and native tensors (channels, layers, positions,
 * timesteps), and signs that become "Illegal Capacity: -2" deep inside a build. Each config's {@code validate()}
 * bounds every such key with these checks first; the limits are constants of the config classes, generous for real
 * checkpoints. Messages name the key and quote the value; {@link ConfigBase#fromJson} puts the file in front:
 * "{@code unet/config.json: key 'layers_per_block' is -2, less than the minimum 1}".
 */
public final class ConfigLimits {
    private ConfigLimits() {
    }

    /** {@code value} within {@code [min, max]}. */
    public static void inRange(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw outside(key, "is " + value, value, min, max);
        }
    }

    /** {@code value} within {@code [min, max]} when set (null passes: the key is optional). */
    public static void inRangeIfSet(String key, Integer value, long min, long max) {
        if (value != null) {
            inRange(key, value, min, max);
        }
    }

    /** Every entry within {@code [min, max]}; the message quotes the whole list and the offending entry. */
    public static void eachInRange(String key, int[] values, long min, long max) {
        for (int v : values) {
            if (v < min || v > max) {
                throw outside(key, Arrays.toString(values) + " has " + v, v, min, max);
            }
        }
    }

    /** {@link #eachInRange(String, int[], long, long)} for an int-or-list key; null passes. */
    public static void eachInRange(String key, IntOrList values, long min, long max) {
        if (values != null) {
            int[] all = values.values();
            if (values.isList()) {
                eachInRange(key, all, min, max);
            } else {
                inRange(key, all[0], min, max);
            }
        }
    }

    /** A list of non-null integers, each within {@code [min, max]}. */
    public static void eachInRange(String key, List<Integer> values, long min, long max) {
        for (Integer v : values) {
            if (v == null) {
                throw new IllegalArgumentException("key '" + key + "' " + values + " holds null, not an integer");
            }
            if (v < min || v > max) {
                throw outside(key, values + " has " + v, v, min, max);
            }
        }
    }

    /** {@code divisor} divides every entry of {@code values} (GroupNorm: the groups must divide the channels). */
    public static void dividesEach(String key, int divisor, String valuesKey, int[] values) {
        for (int v : values) {
            if (v % divisor != 0) {
                throw new IllegalArgumentException("key '" + key + "' is " + divisor + ", which does not divide "
                        + valuesKey + " " + Arrays.toString(values));
            }
        }
    }

    /** At most {@code max} entries (blocks, layers of a list-valued key). */
    public static void atMostEntries(String key, int entries, int max) {
        if (entries > max) {
            throw new IllegalArgumentException("key '" + key + "' has " + entries + " entries, more than the " + max
                    + " allowed");
        }
    }

    /** "key 'KEY' SHOWN, less than the minimum MIN" or "..., more than the MAX allowed". */
    private static IllegalArgumentException outside(String key, String shown, long value, long min, long max) {
        return new IllegalArgumentException("key '" + key + "' " + shown + (value < min
                ? ", less than the minimum " + min : ", more than the " + max + " allowed"));
    }
}
