// The generation parameters a plan sets per row (sweep values over a template's over defaults): diffusers' names.
package io.diffusers4j.job.plan;

import java.io.Serializable;
import java.util.List;

/**
 * Steps, guidance, size, scheduler, adapters and the T5 prompt length; null = not set here (the job's defaults, then
 * the pipeline's apply).
 *
 * @param loras             a row's {@code loras} entries as {@code PATH_OR_ID[:SCALE]} (an empty list: none)
 * @param textualInversions a row's {@code textual_inversions} entries as {@code PATH_OR_ID[:TOKEN]}
 * @param maxSequenceLength a row's {@code max_sequence_length} (Stable Diffusion 3, FLUX)
 */
record PlanParams(Integer numInferenceSteps, Double guidanceScale, Integer width, Integer height, String scheduler,
                  List<String> loras, List<String> textualInversions, Integer maxSequenceLength)
        implements Serializable {
    static final PlanParams NONE = new PlanParams(null, null, null, null, null, null, null, null);

    static PlanParams steps(int steps) {
        return new PlanParams(steps, null, null, null, null, null, null, null);
    }

    static PlanParams guidance(double guidance) {
        return new PlanParams(null, guidance, null, null, null, null, null, null);
    }

    static PlanParams size(Integer width, Integer height) {
        return new PlanParams(null, null, width, height, null, null, null, null);
    }

    static PlanParams scheduler(String scheduler) {
        return new PlanParams(null, null, null, null, scheduler, null, null, null);
    }

    static PlanParams adapters(List<String> loras, List<String> textualInversions) {
        return new PlanParams(null, null, null, null, null, loras, textualInversions, null);
    }

    static PlanParams maxSequenceLength(int length) {
        return new PlanParams(null, null, null, null, null, null, null, length);
    }

    /** This, with what it leaves unset taken from {@code fallback}. */
    PlanParams over(PlanParams fallback) {
        return new PlanParams(or(numInferenceSteps, fallback.numInferenceSteps),
                or(guidanceScale, fallback.guidanceScale), or(width, fallback.width), or(height, fallback.height),
                or(scheduler, fallback.scheduler), or(loras, fallback.loras),
                or(textualInversions, fallback.textualInversions), or(maxSequenceLength, fallback.maxSequenceLength));
    }

    private static <T> T or(T a, T b) {
        return a != null ? a : b;
    }
}
