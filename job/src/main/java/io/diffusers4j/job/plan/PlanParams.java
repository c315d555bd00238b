// The generation parameters a plan sets per row (sweep values over defaults): diffusers' argument names.
package io.diffusers4j.job.plan;

import java.io.Serializable;

/** Steps, guidance, size and scheduler; null = not set here (the job's defaults, then the pipeline's apply). */
record PlanParams(Integer numInferenceSteps, Double guidanceScale, Integer width, Integer height, String scheduler)
        implements Serializable {
    static final PlanParams NONE = new PlanParams(null, null, null, null, null);

    /** This, with what it leaves unset taken from {@code fallback}. */
    PlanParams over(PlanParams fallback) {
        return new PlanParams(or(numInferenceSteps, fallback.numInferenceSteps),
                or(guidanceScale, fallback.guidanceScale), or(width, fallback.width), or(height, fallback.height),
                or(scheduler, fallback.scheduler));
    }

    private static <T> T or(T a, T b) {
        return a != null ? a : b;
    }
}
