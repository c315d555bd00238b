// The default arguments of a pipeline's __call__ for its checkpoint.
package io.diffusers4j.pipelines;

/**
 * What a pipeline uses for arguments a call leaves unset: diffusers' {@code __call__} defaults of its class
 * ({@code num_inference_steps}, {@code guidance_scale}, {@code strength}, {@code max_sequence_length}) and the size
 * its checkpoint implies ({@code unet.config.sample_size * vae_scale_factor}). A null field does not apply to the
 * pipeline (no strength without an input image; no default size without a {@code sample_size}, or when the size
 * comes from the input image; no {@code max_sequence_length} without a T5 text encoder).
 *
 * @param vaeScaleFactor    the multiple every height and width must be
 * @param maxSequenceLength the T5 prompt length (Stable Diffusion 3, FLUX), or null
 */
public record PipelineDefaults(int numInferenceSteps, double guidanceScale, Double strength, Integer height,
                               Integer width, int vaeScaleFactor, Integer maxSequenceLength) {
    /** Defaults of a pipeline without a T5 text encoder. */
    public PipelineDefaults(int numInferenceSteps, double guidanceScale, Double strength, Integer height,
                            Integer width, int vaeScaleFactor) {
        this(numInferenceSteps, guidanceScale, strength, height, width, vaeScaleFactor, null);
    }
}
