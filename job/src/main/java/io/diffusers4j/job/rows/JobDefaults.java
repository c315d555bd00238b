// Job-level defaults and limits applied to every prompt row (the values a row may leave out).
package io.diffusers4j.job.rows;

import io.diffusers4j.pipelines.PipelineCall;

import java.io.Serializable;

/**
 * What a row falls back to for each field it leaves out, and the limits every row is checked against.
 * A null steps/guidance means "the loaded pipeline's own default" (diffusers' {@code __call__} default of
 * StableDiffusionPipeline 50 / 7.5, StableDiffusionXLPipeline 50 / 5.0, LatentConsistencyModelPipeline 4 / 8.5), a
 * null width/height "the pipeline's own size" (unet.sample_size * vae_scale_factor): both resolved on the executor
 * once the pipeline is loaded; a row without a scheduler uses the pipeline's (see PipelineSpec).
 *
 * @param negativePrompt     default negative prompt (null: none, diffusers' {@code negative_prompt=None})
 * @param numInferenceSteps  default steps for every row, or null for the pipeline's own
 * @param guidanceScale      default classifier-free guidance for every row, or null for the pipeline's own
 * @param width              default width in pixels, or null
 * @param height             default height in pixels, or null
 * @param numImagesPerPrompt default images per row
 * @param jobSeed            seed from which rows without a seed get theirs ({@link SeedDeriver})
 * @param maxSize            largest width/height accepted
 * @param maxSteps           largest num_inference_steps accepted
 * @param maxImagesPerPrompt largest num_images_per_prompt accepted (at most {@link SeedDeriver#MAX_IMAGES})
 * @param maxSequenceLength  default {@code max_sequence_length} (the T5 prompt length, 1 to
 *                           {@link PipelineCall#MAX_SEQUENCE_LENGTH}) for every row, or null for the pipeline's own
 *                           (a pipeline without a T5 encoder refuses any)
 */
public record JobDefaults(String negativePrompt, Integer numInferenceSteps, Double guidanceScale, Integer width,
                          Integer height, int numImagesPerPrompt, long jobSeed, int maxSize,
                          int maxSteps, int maxImagesPerPrompt, Integer maxSequenceLength) implements Serializable {

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
        if (numInferenceSteps != null && (numInferenceSteps < 1 || numInferenceSteps > maxSteps)) {
            throw new IllegalArgumentException("default num-inference-steps must be in [1, " + maxSteps + "], got "
                    + numInferenceSteps);
        }
        if (guidanceScale != null && (!Double.isFinite(guidanceScale) || !Float.isFinite(guidanceScale.floatValue()))) {
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
        if (maxSequenceLength != null
                && (maxSequenceLength < 1 || maxSequenceLength > PipelineCall.MAX_SEQUENCE_LENGTH)) {
            throw new IllegalArgumentException("default max-sequence-length must be in [1, "
                    + PipelineCall.MAX_SEQUENCE_LENGTH + "], got " + maxSequenceLength);
        }
    }

    private static void checkSize(String name, Integer value, int maxSize) {
        if (value != null && (value < 1 || value > maxSize)) {
            throw new IllegalArgumentException("default " + name + " must be in [1, " + maxSize + "], got " + value);
        }
    }

    /**
     * The pipeline's own steps, guidance, size, scheduler and {@code max_sequence_length} (diffusers' call defaults),
     * job seed 0.
     */
    public static JobDefaults diffusers() {
        return new JobDefaults(null, null, null, null, null, 1, 0L, 2048, 1000, 64, null);
    }

    public JobDefaults withJobSeed(long seed) {
        return new JobDefaults(negativePrompt, numInferenceSteps, guidanceScale, width, height,
                numImagesPerPrompt, seed, maxSize, maxSteps, maxImagesPerPrompt, maxSequenceLength);
    }

    public JobDefaults withSteps(Integer steps) {
        return new JobDefaults(negativePrompt, steps, guidanceScale, width, height, numImagesPerPrompt,
                jobSeed, maxSize, maxSteps, maxImagesPerPrompt, maxSequenceLength);
    }

    public JobDefaults withSize(Integer w, Integer h) {
        return new JobDefaults(negativePrompt, numInferenceSteps, guidanceScale, w, h, numImagesPerPrompt,
                jobSeed, maxSize, maxSteps, maxImagesPerPrompt, maxSequenceLength);
    }

    public JobDefaults withMaxSequenceLength(Integer length) {
        return new JobDefaults(negativePrompt, numInferenceSteps, guidanceScale, width, height, numImagesPerPrompt,
                jobSeed, maxSize, maxSteps, maxImagesPerPrompt, length);
    }
}
