// One template of a plan: its prompt with the choice points it uses, bound once per prompt, and its weight.
package io.diffusers4j.job.plan;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A template's combinations: the distinct choice points of its prompt ("digits": each slot and wildcard once, each
 * inline group), in order of first appearance; combination {@code i} decodes mixed radix over them, the last one
 * varying fastest. A slot or wildcard the template names twice has the same value in both places.
 */
final class PlanTemplate implements Serializable {
    private static final long serialVersionUID = 1L;

    final String id;
    final Text prompt;
    /** The negative prompt as given (literal), or null for the plan's default. */
    final String negativePrompt;
    final double weight;
    /** The template's {@code loras} / {@code textual_inversions} (only those set; a sweep's win over them). */
    final PlanParams adapters;
    private final List<Text.Ref> digits;
    private long combinations = -1;

    PlanTemplate(String id, Text prompt, String negativePrompt, double weight, PlanParams adapters) {
        this.id = id;
        this.adapters = adapters;
        this.prompt = prompt;
        this.negativePrompt = negativePrompt;
        this.weight = weight;
        Map<String, Text.Ref> distinct = new LinkedHashMap<>();
        for (Text.Part p : prompt.parts) {
            if (p instanceof Text.Ref r) {
                distinct.putIfAbsent(r.key, r);
            }
        }
        this.digits = new ArrayList<>(distinct.values());
    }

    /** The choice points' keys: slot names, {@code __wildcard__}, {@code {n}} for the n-th inline group. */
    List<Text.Ref> digits() {
        return digits;
    }

    /** Computes the combination count (the choices are linked and counted already). */
    long resolveCombinations() {
        long n = 1;
        for (Text.Ref d : digits) {
            n = Counts.multiply(n, d.choice.count());
        }
        combinations = n;
        return n;
    }

    long combinations() {
        return combinations;
    }

    /** The longest prompt this template can resolve to. */
    long maxLength() {
        long n = 0;
        for (Text.Part p : prompt.parts) {
            n += p instanceof Text.Literal l ? l.text().length() : ((Text.Ref) p).choice.maxLength();
        }
        return n;
    }

    /** Resolution of combination {@code index}: the prompt, the value of each digit, the identity path. */
    record Resolved(String prompt, Map<String, String> slots, String path) {
    }

    Resolved resolve(long index) {
        int n = digits.size();
        long[] d = new long[n];
        long rest = index;
        for (int i = n - 1; i >= 0; i--) {
            long radix = digits.get(i).choice.count();
            d[i] = rest % radix;
            rest /= radix;
        }
        Map<String, String> values = new LinkedHashMap<>();
        StringBuilder path = new StringBuilder();
        for (int i = 0; i < n; i++) {
            StringBuilder out = new StringBuilder();
            StringBuilder p = new StringBuilder();
            digits.get(i).choice.decode(d[i], out, p);
            values.put(digits.get(i).key, out.toString());
            path.append(digits.get(i).key.length()).append(':').append(digits.get(i).key).append('=').append(p)
                    .append(';');
        }
        StringBuilder prompt = new StringBuilder();
        for (Text.Part p : this.prompt.parts) {
            prompt.append(p instanceof Text.Literal l ? l.text() : values.get(((Text.Ref) p).key));
        }
        return new Resolved(prompt.toString(), values, path.toString());
    }

    /** A weighted random combination's index. */
    long draw(SplittableRandom rng) {
        long index = 0;
        for (Text.Ref d : digits) {
            index = index * d.choice.count() + d.choice.draw(rng);
        }
        return index;
    }

    double logProbability(long index) {
        double logP = 0;
        long rest = index;
        for (int i = digits.size() - 1; i >= 0; i--) {
            long radix = digits.get(i).choice.count();
            logP += digits.get(i).choice.logProbability(rest % radix);
            rest /= radix;
        }
        return logP;
    }
}
