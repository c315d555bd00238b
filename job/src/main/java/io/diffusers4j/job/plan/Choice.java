// A choice point's options (a slot's values, a wildcard file's lines, an inline {a|b} group) with their weights.
package io.diffusers4j.job.plan;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The options of one choice point. Each option is a {@link Text} that may itself hold choice points, so option
 * {@code k} covers the indices {@code [prefix[k], prefix[k+1])}. Counts are computed once, when the plan is linked
 * ({@link #resolveCounts}), which also refuses reference cycles and nesting deeper than
 * {@link PlanLimits#MAX_DEPTH}.
 */
final class Choice implements Serializable {
    private static final long serialVersionUID = 1L;

    /** One value: its text as written (its identity in ids), parsed, and its weight in sample mode. */
    record Option(String raw, Text text, double weight) implements Serializable {
    }

    final String key;
    /** The plan key that defines it ("slots.animal", "__color__ (color.txt)", "templates[0].prompt"). */
    final String where;
    final List<Option> options;

    private long count = -1;
    private long[] prefix;
    private double[] cumulativeWeight;
    private long maxLength;
    private int depth;
    private transient boolean visiting;

    Choice(String key, String where, List<Option> options) {
        this.key = key;
        this.where = where;
        this.options = List.copyOf(options);
    }

    long count() {
        return count;
    }

    long maxLength() {
        return maxLength;
    }

    /**
     * Computes the counts of this choice and everything it references (depth first); {@code chain} names the keys
     * on the way here, for the cycle message.
     */
    void resolveCounts(String planFile, List<String> chain) {
        if (count >= 0) {
            return;
        }
        if (visiting) {
            List<String> cycle = new ArrayList<>(chain.subList(chain.indexOf(key), chain.size()));
            cycle.add(key);
            throw new PlanException(planFile, where, "reference cycle " + String.join(" -> ", cycle));
        }
        visiting = true;
        chain.add(key);
        prefix = new long[options.size() + 1];
        cumulativeWeight = new double[options.size()];
        double w = 0;
        int deepest = 0;
        for (int k = 0; k < options.size(); k++) {
            Text t = options.get(k).text();
            for (Text.Part p : t.parts) {
                if (p instanceof Text.Ref r) {
                    r.choice.resolveCounts(planFile, chain);
                    deepest = Math.max(deepest, r.choice.depth);
                }
            }
            prefix[k + 1] = Counts.add(prefix[k], t.count());
            w += options.get(k).weight();
            cumulativeWeight[k] = w;
            maxLength = Math.max(maxLength, t.maxLength());
        }
        depth = deepest + 1;
        if (depth > PlanLimits.MAX_DEPTH) {
            throw new PlanException(planFile, where, "references nest deeper than " + PlanLimits.MAX_DEPTH
                    + " levels (" + String.join(" -> ", chain) + ")");
        }
        chain.remove(chain.size() - 1);
        visiting = false;
        count = prefix[options.size()];
    }

    /** The option holding index {@code index}. */
    private int optionOf(long index) {
        int k = Arrays.binarySearch(prefix, index);
        // an exact hit is the first index of option k (options of count 0 do not exist: values are never empty)
        return k >= 0 ? k : -k - 2;
    }

    void decode(long index, StringBuilder out, StringBuilder path) {
        int k = optionOf(index);
        Option o = options.get(k);
        path.append(o.raw().length()).append(':').append(o.raw());
        o.text().decode(index - prefix[k], out, path);
    }

    long draw(SplittableRandom rng) {
        double u = rng.nextDouble() * cumulativeWeight[cumulativeWeight.length - 1];
        int k = Arrays.binarySearch(cumulativeWeight, u);
        k = k >= 0 ? k + 1 : -k - 1;
        k = Math.min(k, options.size() - 1);
        return prefix[k] + options.get(k).text().draw(rng);
    }

    double logProbability(long index) {
        int k = optionOf(index);
        double total = cumulativeWeight[cumulativeWeight.length - 1];
        return Math.log(options.get(k).weight() / total) + options.get(k).text().logProbability(index - prefix[k]);
    }
}
