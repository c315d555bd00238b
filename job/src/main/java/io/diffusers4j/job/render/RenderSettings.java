// The settings images must share to be rendered in one batched pipeline call (the micro-batch key).
package io.diffusers4j.job.render;

import java.io.Serializable;

/**
 * Everything a batched {@code pipe(...)} call takes once for all its images: steps, guidance, size and scheduler.
 * Prompts, negative prompts and seeds are per image ({@link ImageRequest}).
 *
 * @param scheduler diffusers scheduler class name, or null for the pipeline's own
 */
public record RenderSettings(int numInferenceSteps, double guidanceScale, int width, int height, String scheduler)
        implements Serializable {
}
