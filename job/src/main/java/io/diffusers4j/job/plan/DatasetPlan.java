// A validated dataset plan: templates, their linked choice points, the sweep and defaults; counts and decoding.
package io.diffusers4j.job.plan;

import io.diffusers4j.job.rows.SeedDeriver;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The plan, as {@link PlanParser} builds it. Its combinations are numbered {@code [0, combinations())}: the
 * templates in order, each one's slot combinations (mixed radix) times the sweep points (the fastest digit).
 * Nothing is materialised: {@link #row(long)} decodes one key, so a plan of 10^9 combinations costs what one of 10
 * costs until rows are rendered. A key is a combination index, plus {@code round * combinations()} for a sample's
 * draws beyond the combinations it has ({@link PlanSampler}).
 */
public final class DatasetPlan implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final String name;
    private final long seed;
    private final PlanMode mode;
    private final int count;
    private final int imagesPerPrompt;
    private final List<PlanTemplate> templates;
    private final Sweep sweep;
    private final PlanParams defaults;
    private final String defaultNegativePrompt;
    private final long[] offsets;

    DatasetPlan(String file, String name, long seed, PlanMode mode, int count, int imagesPerPrompt,
                List<PlanTemplate> templates, Sweep sweep, PlanParams defaults, String defaultNegativePrompt) {
        this.file = file;
        this.name = name;
        this.seed = seed;
        this.mode = mode;
        this.count = count;
        this.imagesPerPrompt = imagesPerPrompt;
        this.templates = List.copyOf(templates);
        this.sweep = sweep;
        this.defaults = defaults;
        this.defaultNegativePrompt = defaultNegativePrompt;
        this.offsets = new long[templates.size() + 1];
        for (int t = 0; t < templates.size(); t++) {
            offsets[t + 1] = Counts.add(offsets[t], Counts.multiply(templates.get(t).combinations(), sweep.points()));
        }
        if (offsets[templates.size()] > PlanLimits.MAX_PROMPTS) {
            throw new PlanException(file, "templates", "more than " + PlanLimits.MAX_PROMPTS + " combinations");
        }
    }

    /** The plan file as given. */
    public String file() {
        return file;
    }

    /** The plan's {@code name}, or its file's base name. */
    public String name() {
        return name;
    }

    public long seed() {
        return seed;
    }

    public PlanMode mode() {
        return mode;
    }

    public int imagesPerPrompt() {
        return imagesPerPrompt;
    }

    /** Every combination of every template (times the sweep points). */
    public long combinations() {
        return offsets[templates.size()];
    }

    /** Prompts this plan renders: every combination (product) or {@code count} (sample). */
    public long prompts() {
        return mode == PlanMode.SAMPLE ? count : combinations();
    }

    /** Images this plan renders: prompts x images_per_prompt. */
    public long images() {
        return prompts() * imagesPerPrompt;
    }

    /** Combinations per template id (times the sweep points), in plan order. */
    public Map<String, Long> combinationsPerTemplate() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int t = 0; t < templates.size(); t++) {
            m.put(templates.get(t).id, offsets[t + 1] - offsets[t]);
        }
        return m;
    }

    /** Each template's prompt as written, by template id, in plan order. */
    public Map<String, String> templatePrompts() {
        Map<String, String> m = new LinkedHashMap<>();
        for (PlanTemplate t : templates) {
            m.put(t.id, t.prompt.source);
        }
        return m;
    }

    /** The sweep's keys and values as written in canonical form ({@code guidance_scale: [5.0, 7.5]}). */
    public Map<String, List<String>> sweepValues() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (Sweep.Axis a : sweep.axes) {
            m.put(a.key(), a.canonical());
        }
        return m;
    }

    /** The template id of a key. */
    public String templateOf(long key) {
        return templates.get(templateIndex(key % combinations())).id;
    }

    private int templateIndex(long index) {
        int t = Arrays.binarySearch(offsets, index);
        t = t >= 0 ? t : -t - 2;
        // templates with no combinations cannot exist (every value list is non-empty), so t is the one holding it
        return t;
    }

    /** The prompt of {@code key} (a combination index, or a sample's draw). */
    public PlanRow row(long key) {
        long total = combinations();
        int round = (int) (key / total);
        long index = key % total;
        int t = templateIndex(index);
        PlanTemplate template = templates.get(t);
        long local = index - offsets[t];
        long points = sweep.points();
        PlanTemplate.Resolved r = template.resolve(local / points);
        StringBuilder sweepPath = new StringBuilder();
        PlanParams params = sweep.point(local % points, sweepPath).over(template.adapters).over(defaults);
        String id = PlanIds.id(template.id, r.path(), sweepPath.toString(), round);
        String negative = template.negativePrompt != null ? template.negativePrompt : defaultNegativePrompt;
        return new PlanRow(index, id, template.id, r.prompt(), negative, new LinkedHashMap<>(r.slots()),
                params.numInferenceSteps(), params.guidanceScale(), params.width(), params.height(),
                params.scheduler(), params.loras(), params.textualInversions(), params.maxSequenceLength(),
                SeedDeriver.deriveSeed(seed, id),
                imagesPerPrompt);
    }

    /**
     * The keys of the prompts this plan renders, by position {@code [0, prompts())}: in product mode the position
     * itself, in sample mode the draws ({@link #sample()}).
     */
    public static long keyAt(long position, long[] sample) {
        return sample == null ? position : sample[(int) position];
    }

    /** Sample mode: the draws (keys, in draw order; {@link PlanSampler}); product mode: null (position = key). */
    public long[] sample() {
        return mode == PlanMode.SAMPLE ? PlanSampler.draw(this, count) : null;
    }

    /** A weighted random combination index (template by weight, then each choice by weight; sweep uniform). */
    long draw(SplittableRandom rng) {
        double total = 0;
        for (PlanTemplate t : templates) {
            total += t.weight;
        }
        double u = rng.nextDouble() * total;
        int t = 0;
        while (t < templates.size() - 1 && u >= templates.get(t).weight) {
            u -= templates.get(t).weight;
            t++;
        }
        long slots = templates.get(t).draw(rng);
        long point = rng.nextLong(sweep.points());
        return offsets[t] + slots * sweep.points() + point;
    }

    /** The natural log of the probability that {@link #draw} gives {@code index}. */
    double logProbability(long index) {
        double total = 0;
        for (PlanTemplate t : templates) {
            total += t.weight;
        }
        int t = templateIndex(index);
        long local = index - offsets[t];
        return Math.log(templates.get(t).weight / total) - Math.log(sweep.points())
                + templates.get(t).logProbability(local / sweep.points());
    }
}
