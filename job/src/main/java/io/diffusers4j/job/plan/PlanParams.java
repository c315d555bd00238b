// The generation parameters a plan sets per row (sweep values over a template's over defaults): diffusers' names.
package io.diffusers4j.job.plan;

import java.io.Serializable;
import java.util.List;

/**
 * Steps, guidance, size, scheduler and adapters; null = not set here (the job's defaults, then the pipeline's apply).
 *
 * @param loras             a row's {@code loras} entries as {@code PATH_OR_ID[:SCALE]} (an empty list: none)
 * @param textualInversions a row's {@code textual_inversions} entries as {@code PATH_OR_ID[:TOKEN]}
 */
record PlanParams(Integer numInferenceSteps, Double guidanceScale, Integer width, Integer height, String scheduler,
                  List<String> loras, List<String> textualInversions) implements Serializable {
    static final PlanParams NONE = new PlanParams(null, null, null, null, null, null, null);

    static PlanParams steps(int steps) {
        return new PlanParams(steps, null, null, null, null, null, null);
    }

    static PlanParams guidance(double guidance) {
        return new PlanParams(null, guidance, null, null, null, null, null);
    }

    static PlanParams size(Integer width, Integer height) {
        return new PlanParams(null, null, width, height, null, null, null);
    }

    static PlanParams scheduler(String scheduler) {
        return new PlanParams(null, null, null, null, scheduler, null, null);
    }

    static PlanParams adapters(List<String> loras, List<String> textualInversions) {
        return new PlanParams(null, null, null, null, null, loras, textualInversions);
    }

    /** This, with what it leaves unset taken from {@code fallback}. */
    PlanParams over(PlanParams fallback) {
        return new PlanParams(or(numInferenceSteps, fallback.numInferenceSteps),
                or(guidanceScale, fallback.guidanceScale), or(width, fallback.width), or(height, fallback.height),
                or(scheduler, fallback.scheduler), or(loras, fallback.loras),
                or(textualInversions, fallback.textualInversions));
    }

    private static <T> T or(T a, T b) {
        return a != null ? a : b;
    }
}
