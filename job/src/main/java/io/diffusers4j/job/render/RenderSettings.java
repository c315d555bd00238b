// The settings images must share to be rendered in one batched pipeline call (the micro-batch key).
package io.diffusers4j.job.render;

import java.io.Serializable;
import java.util.List;

/**
 * Everything a batched {@code pipe(...)} call takes once for all its images: steps, guidance, size, scheduler,
 * custom schedule and the adapters (LoRAs with their scales, textual inversions) the pipeline has active. Prompts, negative prompts and seeds are per image ({@link ImageRequest}). A row's requested
 * settings may leave steps, guidance and size null (the pipeline's defaults); {@link Renderer#resolve} fills them,
 * so rows only share a call when the single calls would have used the same values.
 *
 * @param scheduler diffusers scheduler class name, or null for the pipeline's own
 * @param timesteps custom timesteps (diffusers' {@code timesteps=}), or null
 * @param sigmas    custom sigmas (diffusers' {@code sigmas=}), or null
 * @param adapters  the LoRAs and textual inversions ({@link AdapterSet#NONE}: the base pipeline)
 */
public record RenderSettings(Integer numInferenceSteps, Double guidanceScale, Integer width, Integer height,
                             String scheduler, List<Double> timesteps, List<Double> sigmas, AdapterSet adapters)
        implements Serializable {

    public RenderSettings {
        adapters = adapters == null ? AdapterSet.NONE : adapters;
    }

    /** Settings without adapters. */
    public RenderSettings(Integer numInferenceSteps, Double guidanceScale, Integer width, Integer height,
                          String scheduler, List<Double> timesteps, List<Double> sigmas) {
        this(numInferenceSteps, guidanceScale, width, height, scheduler, timesteps, sigmas, AdapterSet.NONE);
    }

    /** Settings without a custom schedule. */
    public RenderSettings(Integer numInferenceSteps, Double guidanceScale, Integer width, Integer height,
                          String scheduler) {
        this(numInferenceSteps, guidanceScale, width, height, scheduler, null, null, AdapterSet.NONE);
    }

    /** These settings with steps, guidance and size replaced. */
    public RenderSettings with(int steps, double guidance, int resolvedWidth, int resolvedHeight) {
        return new RenderSettings(steps, guidance, resolvedWidth, resolvedHeight, scheduler, timesteps, sigmas,
                adapters);
    }
}
