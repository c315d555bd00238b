// The settings images must share to be rendered in one batched pipeline call (the micro-batch key).
package io.diffusers4j.job.render;

import java.io.Serializable;
import java.util.List;

/**
 * Everything a batched {@code pipe(...)} call takes once for all its images: steps, guidance, size, scheduler,
 * custom schedule, the T5 prompt length ({@code max_sequence_length}) and the adapters (LoRAs with their scales,
 * textual inversions) the pipeline has active. Prompts, negative prompts and seeds are per image
 * ({@link ImageRequest}). A row's requested settings may leave steps, guidance, size and
 * {@code max_sequence_length} null (the pipeline's defaults); {@link Renderer#resolve} fills them, so rows only share
 * a call when the single calls would have used the same values.
 *
 * @param scheduler         diffusers scheduler class name, or null for the pipeline's own
 * @param timesteps         custom timesteps (diffusers' {@code timesteps=}), or null
 * @param sigmas            custom sigmas (diffusers' {@code sigmas=}), or null
 * @param audioLengthInS    an audio pipeline's {@code audio_length_in_s}, or null (its default length)
 * @param maxSequenceLength {@code max_sequence_length} (Stable Diffusion 3, FLUX), or null: requested, the
 *                          pipeline's; resolved, a pipeline without a T5 text encoder
 * @param adapters          the LoRAs and textual inversions ({@link AdapterSet#NONE}: the base pipeline)
 */
public record RenderSettings(Integer numInferenceSteps, Double guidanceScale, Integer width, Integer height,
                             String scheduler, List<Double> timesteps, List<Double> sigmas, Double audioLengthInS,
                             Integer maxSequenceLength, AdapterSet adapters) implements Serializable {

    public RenderSettings {
        adapters = adapters == null ? AdapterSet.NONE : adapters;
    }

    /** Settings without a {@code max_sequence_length}. */
    public RenderSettings(Integer numInferenceSteps, Double guidanceScale, Integer width, Integer height,
                          String scheduler, List<Double> timesteps, List<Double> sigmas, Double audioLengthInS,
                          AdapterSet adapters) {
        this(numInferenceSteps, guidanceScale, width, height, scheduler, timesteps, sigmas, audioLengthInS, null,
                adapters);
    }

    /** Settings without a {@code max_sequence_length} or adapters. */
    public RenderSettings(Integer numInferenceSteps, Double guidanceScale, Integer width, Integer height,
                          String scheduler, List<Double> timesteps, List<Double> sigmas, Double audioLengthInS) {
        this(numInferenceSteps, guidanceScale, width, height, scheduler, timesteps, sigmas, audioLengthInS, null,
                AdapterSet.NONE);
    }

    /** Settings without an audio length, a {@code max_sequence_length} or adapters. */
    public RenderSettings(Integer numInferenceSteps, Double guidanceScale, Integer width, Integer height,
                          String scheduler, List<Double> timesteps, List<Double> sigmas) {
        this(numInferenceSteps, guidanceScale, width, height, scheduler, timesteps, sigmas, null, null,
                AdapterSet.NONE);
    }

    /** Settings without a custom schedule. */
    public RenderSettings(Integer numInferenceSteps, Double guidanceScale, Integer width, Integer height,
                          String scheduler) {
        this(numInferenceSteps, guidanceScale, width, height, scheduler, null, null, null, null, AdapterSet.NONE);
    }

    /**
     * These settings with steps, guidance, size and {@code max_sequence_length} replaced by the values the
     * pipeline resolved (guidance, size and {@code max_sequence_length} null where the pipeline has none).
     */
    public RenderSettings with(int steps, Double guidance, Integer resolvedWidth, Integer resolvedHeight,
                               Integer resolvedMaxSequenceLength) {
        return new RenderSettings(steps, guidance, resolvedWidth, resolvedHeight, scheduler, timesteps, sigmas,
                audioLengthInS, resolvedMaxSequenceLength, adapters);
    }
}
