// Argument checks of the block configs (the values diffusers' blocks in diffusers.models reject or cannot build).
package io.diffusers4j.models.blocks;

/** Each failure is an IllegalArgumentException naming the block, the keyword argument and the offending value. */
public final class ConfigChecks {
    private ConfigChecks() {
    }

    /** {@code value} null (an optional argument left at None) or at least 1. */
    public static void positive(String block, String key, Integer value) {
        if (value != null && value < 1) {
            throw new IllegalArgumentException(block + ": " + key + " must be >= 1, got " + value);
        }
    }

    /** A count that may be 0 ({@code num_layers} of a mid block, a padding). */
    public static void nonNegative(String block, String key, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(block + ": " + key + " must be >= 0, got " + value);
        }
    }

    /** A name that must be given (an activation, a norm type). */
    public static void named(String block, String key, String value) {
        if (value == null) {
            throw new IllegalArgumentException(block + ": " + key + " must be set, got null");
        }
    }

    /** {@code value} null or at most {@code max}: a size a config file sets, bounded before anything is allocated. */
    public static void atMost(String block, String key, Integer value, long max) {
        if (value != null && value > max) {
            throw new IllegalArgumentException(block + ": " + key + " must be <= " + max + ", got " + value);
        }
    }

    /** {@code value} null or in {@code [1, max]}. */
    public static void inRange(String block, String key, Integer value, long max) {
        positive(block, key, value);
        atMost(block, key, value, max);
    }
}
