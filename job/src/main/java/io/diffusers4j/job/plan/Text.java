// A parsed template, slot value or wildcard line: literal text and choice points ({slot}, __wildcard__, {a|b}).
package io.diffusers4j.job.plan;

import java.io.Serializable;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A sequence of literals and choice points. Nested inside a value, every choice point is its own choice (as in
 * Dynamic Prompts: {@code "a {big|small} __animal__"} draws both each time it is used); the template itself binds a
 * slot once ({@link PlanTemplate}). {@link #count()} is the number of distinct texts this one resolves to; index
 * {@code i} in {@code [0, count)} decodes mixed radix over its choice points, the first one most significant.
 */
final class Text implements Serializable {
    private static final long serialVersionUID = 1L;

    /** A literal or a choice point. */
    sealed interface Part extends Serializable permits Literal, Ref {
    }

    /** Literal text (escapes already applied). */
    record Literal(String text) implements Part {
    }

    /**
     * A choice point: {@code key} is the slot name, {@code __name__} for a wildcard or {@code {n}} for the n-th
     * inline group; {@code choice} is set when the plan is linked (inline groups carry theirs from the start).
     */
    static final class Ref implements Part {
        private static final long serialVersionUID = 1L;
        final String key;
        final Kind kind;
        Choice choice;

        Ref(String key, Kind kind, Choice choice) {
            this.key = key;
            this.kind = kind;
            this.choice = choice;
        }
    }

    enum Kind { SLOT, WILDCARD, INLINE }

    final String source;
    final List<Part> parts;

    Text(String source, List<Part> parts) {
        this.source = source;
        this.parts = List.copyOf(parts);
    }

    /** Distinct resolutions: the product of the counts of the choice points (1 for literal text). */
    long count() {
        long n = 1;
        for (Part p : parts) {
            if (p instanceof Ref r) {
                n = Counts.multiply(n, r.choice.count());
            }
        }
        return n;
    }

    /** Writes resolution {@code index} to {@code out} and its identity (the chosen values) to {@code path}. */
    void decode(long index, StringBuilder out, StringBuilder path) {
        int refs = 0;
        for (Part p : parts) {
            if (p instanceof Ref) {
                refs++;
            }
        }
        if (refs == 0) {
            for (Part p : parts) {
                out.append(((Literal) p).text());
            }
            return;
        }
        long[] digits = new long[refs];
        long rest = index;
        int k = refs;
        for (int i = parts.size() - 1; i >= 0; i--) {
            if (parts.get(i) instanceof Ref r) {
                long radix = r.choice.count();
                digits[--k] = rest % radix;
                rest /= radix;
            }
        }
        path.append('(');
        k = 0;
        for (Part p : parts) {
            if (p instanceof Literal l) {
                out.append(l.text());
            } else {
                ((Ref) p).choice.decode(digits[k++], out, path);
            }
        }
        path.append(')');
    }

    /** A weighted random resolution: its index (the inverse of {@link #decode}). */
    long draw(SplittableRandom rng) {
        long index = 0;
        for (Part p : parts) {
            if (p instanceof Ref r) {
                index = index * r.choice.count() + r.choice.draw(rng);
            }
        }
        return index;
    }

    /** The natural log of the probability of resolution {@code index} under weighted draws. */
    double logProbability(long index) {
        double logP = 0;
        long rest = index;
        for (int i = parts.size() - 1; i >= 0; i--) {
            if (parts.get(i) instanceof Ref r) {
                long radix = r.choice.count();
                logP += r.choice.logProbability(rest % radix);
                rest /= radix;
            }
        }
        return logP;
    }

    /** The longest resolution, in characters. */
    long maxLength() {
        long n = 0;
        for (Part p : parts) {
            n += p instanceof Literal l ? l.text().length() : ((Ref) p).choice.maxLength();
        }
        return n;
    }
}
