// Sample mode: count prompts drawn with the plan seed, weighted, without repeats while combinations remain.
package io.diffusers4j.job.plan;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Weighted sampling without replacement from the plan's draw distribution (a template by its weight, each value
 * by its weight, sweep points uniformly), deterministic in the plan seed, on the driver ({@code count} is at most
 * {@link PlanLimits#MAX_SAMPLE_COUNT} keys):
 * <ul>
 *   <li>up to {@link #EXACT_LIMIT} combinations: exactly, by Efraimidis-Spirakis keys (each combination's key
 *       {@code -ln(u) / p}, the smallest keys first; {@code u} a hash of (seed, round, index)). When {@code count}
 *       exceeds the combinations, every combination is drawn once per round, each round a new permutation, and a
 *       later round's prompts get ids (and so seeds) of their own;</li>
 *   <li>more combinations (then {@code count} is at most a quarter of them): successive draws, a repeat drawn
 *       again, which is the same distribution.</li>
 * </ul>
 */
final class PlanSampler {
    static final long EXACT_LIMIT = 4_000_000;

    private PlanSampler() {
    }

    static long[] draw(DatasetPlan plan, int count) {
        long total = plan.combinations();
        return total <= EXACT_LIMIT ? exact(plan, count, (int) total) : successive(plan, count);
    }

    private static long[] exact(DatasetPlan plan, int count, int total) {
        double[] logKey = new double[total];
        double[] logP = new double[total];
        for (int i = 0; i < total; i++) {
            logP[i] = plan.logProbability(i);
        }
        long[] out = new long[count];
        int n = 0;
        for (int round = 0; n < count; round++) {
            for (int i = 0; i < total; i++) {
                // log(-ln u / p): comparing logs keeps tiny probabilities finite
                logKey[i] = Math.log(-Math.log(uniform(plan.seed(), round, i))) - logP[i];
            }
            int take = Math.min(count - n, total);
            for (int i : smallest(logKey, take)) {
                out[n++] = (long) round * total + i;
            }
        }
        return out;
    }

    /** The indices of the {@code m} smallest values, smallest first. */
    private static int[] smallest(double[] values, int m) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double threshold = sorted[m - 1];
        Integer[] picked = new Integer[m];
        int k = 0;
        for (int i = 0; i < values.length && k < m; i++) {
            if (values[i] <= threshold) {
                picked[k++] = i;
            }
        }
        Arrays.sort(picked, (a, b) -> Double.compare(values[a], values[b]));
        int[] out = new int[m];
        for (int i = 0; i < m; i++) {
            out[i] = picked[i];
        }
        return out;
    }

    private static long[] successive(DatasetPlan plan, int count) {
        SplittableRandom rng = new SplittableRandom(mix(plan.seed() ^ 0x5deece66dL));
        Set<Long> seen = new HashSet<>();
        long[] out = new long[count];
        int n = 0;
        long attempts = 0;
        long maxAttempts = 20L * count + 1000;
        while (n < count) {
            if (++attempts > maxAttempts) {
                throw new PlanException(plan.file(), "count", "drew only " + n + " distinct prompts of " + count
                        + " in " + maxAttempts + " weighted draws: the weights put almost all the probability on "
                        + "fewer combinations; lower count, even out the weights or use product mode");
            }
            long index = plan.draw(rng);
            if (seen.add(index)) {
                out[n++] = index;
            }
        }
        return out;
    }

    /** A uniform in (0, 1) from (seed, round, index): SplitMix64's finaliser over the three. */
    static double uniform(long seed, int round, long index) {
        long h = mix(mix(mix(seed) + round) + index);
        return ((h >>> 11) + 0.5) * 0x1.0p-53;
    }

    static long mix(long z) {
        z += 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
