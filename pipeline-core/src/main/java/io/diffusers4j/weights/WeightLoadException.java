// Strict-loading failure: every missing, unused and mismatched key of a component at once.
package io.diffusers4j.weights;

import java.util.List;

/** A checkpoint that does not match the model built from its config. */
public class WeightLoadException extends IllegalArgumentException {
    private final List<String> missing;
    private final List<String> unused;
    private final List<String> mismatched;

    public WeightLoadException(String source, List<String> missing, List<String> unused, List<String> mismatched) {
        super(message(source, missing, unused, mismatched));
        this.missing = List.copyOf(missing);
        this.unused = List.copyOf(unused);
        this.mismatched = List.copyOf(mismatched);
    }

    private static String message(String source, List<String> missing, List<String> unused, List<String> mismatched) {
        StringBuilder b = new StringBuilder(source).append(": checkpoint does not match the model config");
        append(b, "shape mismatches", mismatched);
        append(b, "missing keys", missing);
        append(b, "unused keys", unused);
        return b.toString();
    }

    private static void append(StringBuilder b, String what, List<String> items) {
        if (!items.isEmpty()) {
            b.append("\n  ").append(items.size()).append(' ').append(what).append(':');
            for (String s : items) {
                b.append("\n    ").append(s);
            }
        }
    }

    public List<String> missing() {
        return missing;
    }

    public List<String> unused() {
        return unused;
    }

    public List<String> mismatched() {
        return mismatched;
    }
}
