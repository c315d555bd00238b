// The settings images must share to be rendered in one batched pipeline call (the micro-batch key).
package io.diffusers4j.job.render;

import java.io.Serializable;
import java.util.List;

/**
 * Everything a batched {@code pipe(...)} call takes once for all its images: steps, guidance, size, scheduler and
 * custom schedule. Prompts, negative prompts and seeds are per image ({@link ImageRequest}). Steps and guidance
 * are the values actually used (the row's, the job's, else the pipeline's default), so rows only share a call
 * when the single calls would have used the same values.
 *
 * @param scheduler diffusers scheduler class name, or null for the pipeline's own
 * @param timesteps custom timesteps (diffusers' {@code timesteps=}), or null
 * @param sigmas    custom sigmas (diffusers' {@code sigmas=}), or null
 */
public record RenderSettings(int numInferenceSteps, double guidanceScale, int width, int height, String scheduler,
                             List<Double> timesteps, List<Double> sigmas) implements Serializable {

    /** Settings without a custom schedule. */
    public RenderSettings(int numInferenceSteps, double guidanceScale, int width, int height, String scheduler) {
        this(numInferenceSteps, guidanceScale, width, height, scheduler, null, null);
    }
}
