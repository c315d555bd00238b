// Job-level defaults and limits applied to every prompt row (the values a row may leave out).
package io.diffusers4j.job.rows;

import java.io.Serializable;

/**
 * What a row falls back to for each field it leaves out, and the limits every row is checked against.
 * A null width/height means "the pipeline's own" (unet.sample_size * vae_scale_factor), resolved on the
 * executor once the pipeline is loaded; a row without a scheduler uses the pipeline's (see PipelineSpec).
 *
 * @param negativePrompt     default negative prompt (null: none, diffusers' {@code negative_prompt=None})
 * @param numInferenceSteps  default steps (diffusers: 50)
 * @param guidanceScale      default classifier-free guidance (diffusers: 7.5)
 * @param width              default width in pixels, or null
 * @param height             default height in pixels, or null
 * @param numImagesPerPrompt default images per row
 * @param jobSeed            seed from which rows without a seed get theirs ({@link SeedDeriver})
 * @param maxSize            largest width/height accepted
 * @param maxSteps           largest num_inference_steps accepted
 * @param maxImagesPerPrompt largest num_images_per_prompt accepted (at most {@link SeedDeriver#MAX_IMAGES})
 */
public record JobDefaults(String negativePrompt, int numInferenceSteps, double guidanceScale, Integer width,
                          Integer height, int numImagesPerPrompt, long jobSeed, int maxSize,
                          int maxSteps, int maxImagesPerPrompt) implements Serializable {

    public JobDefaults {
        if (maxSize < 1) {
            throw new IllegalArgumentException("max-size must be >= 1, got " + maxSize);
        }
        if (maxSteps < 1) {
            throw new IllegalArgumentException("max-steps must be >= 1, got " + maxSteps);
        }
        if (maxImagesPerPrompt < 1 || maxImagesPerPrompt > SeedDeriver.MAX_IMAGES) {
            throw new IllegalArgumentException("max-images-per-prompt must be in [1, " + SeedDeriver.MAX_IMAGES
                    + "], got " + maxImagesPerPrompt);
        }
        if (numInferenceSteps < 1 || numInferenceSteps > maxSteps) {
            throw new IllegalArgumentException("default num-inference-steps must be in [1, " + maxSteps + "], got "
                    + numInferenceSteps);
        }
        if (!Double.isFinite(guidanceScale) || !Float.isFinite((float) guidanceScale)) {
            throw new IllegalArgumentException("default guidance-scale must be a finite float32 number, got "
                    + guidanceScale);
        }
        checkSize("width", width, maxSize);
        checkSize("height", height, maxSize);
        if (numImagesPerPrompt < 1 || numImagesPerPrompt > maxImagesPerPrompt) {
            throw new IllegalArgumentException("default num-images-per-prompt must be in [1, " + maxImagesPerPrompt
                    + "], got " + numImagesPerPrompt);
        }
        if (jobSeed < 0) {
            throw new IllegalArgumentException("job seed must be >= 0, got " + jobSeed);
        }
    }

    private static void checkSize(String name, Integer value, int maxSize) {
        if (value != null && (value < 1 || value > maxSize)) {
            throw new IllegalArgumentException("default " + name + " must be in [1, " + maxSize + "], got " + value);
        }
    }

    /** diffusers' call defaults, the embedded pipeline's own size and scheduler, job seed 0. */
    public static JobDefaults diffusers() {
        return new JobDefaults(null, 50, 7.5, null, null, 1, 0L, 2048, 1000, 64);
    }

    public JobDefaults withJobSeed(long seed) {
        return new JobDefaults(negativePrompt, numInferenceSteps, guidanceScale, width, height,
                numImagesPerPrompt, seed, maxSize, maxSteps, maxImagesPerPrompt);
    }

    public JobDefaults withSteps(int steps) {
        return new JobDefaults(negativePrompt, steps, guidanceScale, width, height, numImagesPerPrompt,
                jobSeed, maxSize, maxSteps, maxImagesPerPrompt);
    }

    public JobDefaults withSize(Integer w, Integer h) {
        return new JobDefaults(negativePrompt, numInferenceSteps, guidanceScale, w, h, numImagesPerPrompt,
                jobSeed, maxSize, maxSteps, maxImagesPerPrompt);
    }
}
