// The optional keyword arguments of diffusers' pipeline __call__ methods, grouped as the pipelines accept them.
package io.diffusers4j.pipelines;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Argument groups of a {@link PipelineCall} that not every pipeline takes. Each pipeline lists the groups its
 * diffusers {@code __call__} has ({@link DiffusionPipeline#acceptedArguments()}) and refuses a call that sets
 * another, as Python refuses an unexpected keyword argument. Arguments every pipeline takes
 * ({@code num_inference_steps}, {@code generator}, {@code output_type}) and what Diffusers4J adds to every pipeline
 * (the step-end callback, the progress listener, a per-call scheduler) are not listed.
 */
public enum CallArgument {
    /** {@code prompt} or {@code prompt_embeds}. */
    PROMPT("prompt"),
    /** {@code negative_prompt} or {@code negative_prompt_embeds}. */
    NEGATIVE_PROMPT("negative_prompt"),
    /** {@code height} and {@code width} (image-to-image pipelines take the input image's size instead). */
    SIZE("height/width"),
    /** {@code image}: the input image(s). */
    IMAGE("image"),
    /** {@code strength}: how much of the schedule an input image is noised through. */
    STRENGTH("strength"),
    /** {@code mask_image}. */
    MASK_IMAGE("mask_image"),
    /** {@code image} given as VAE latents (StableDiffusionXLImg2ImgPipeline). */
    IMAGE_LATENTS("image (as latents)"),
    /** {@code latents}: the initial noise. */
    LATENTS("latents"),
    /** {@code eta} (DDIM). */
    ETA("eta"),
    /** {@code guidance_rescale}. */
    GUIDANCE_RESCALE("guidance_rescale"),
    /** {@code clip_skip}. */
    CLIP_SKIP("clip_skip"),
    /** {@code timesteps}: a custom schedule. */
    TIMESTEPS("timesteps"),
    /** {@code sigmas}: custom sigmas. */
    SIGMAS("sigmas"),
    /** {@code original_inference_steps} (latent consistency models). */
    ORIGINAL_INFERENCE_STEPS("original_inference_steps"),
    /** SDXL's second text encoder: {@code prompt_2}, {@code negative_prompt_2} and the pooled embeddings. */
    PROMPT_2("prompt_2"),
    /** Stable Diffusion 3's third (T5) text encoder: {@code prompt_3} and {@code negative_prompt_3}. */
    PROMPT_3("prompt_3"),
    /** {@code max_sequence_length}: the T5 tokenizer's padded length (Stable Diffusion 3, FLUX). */
    MAX_SEQUENCE_LENGTH("max_sequence_length"),
    /** SDXL's micro-conditioning: {@code original_size}, {@code crops_coords_top_left}, {@code target_size}, ... */
    MICRO_CONDITIONING("original_size"),
    /** SDXL's {@code denoising_end}. */
    DENOISING_END("denoising_end"),
    /** SDXL image pipelines' {@code denoising_start}. */
    DENOISING_START("denoising_start"),
    /** SDXL image pipelines' {@code aesthetic_score} and {@code negative_aesthetic_score}. */
    AESTHETIC_SCORE("aesthetic_score"),
    /** {@code cross_attention_kwargs={"scale": s}}: the LoRA scale of the call. */
    CROSS_ATTENTION_KWARGS("cross_attention_kwargs"),
    /** {@code guidance_scale}: every pipeline that takes a prompt takes it ({@link PipelineRegistry.Entry}). */
    GUIDANCE_SCALE("guidance_scale"),
    /** {@code num_images_per_prompt}: every pipeline that takes a prompt takes it. */
    NUM_IMAGES_PER_PROMPT("num_images_per_prompt"),
    /** {@code batch_size}: how many samples an unconditional pipeline draws (DDPM, DDIM, Dance Diffusion). */
    BATCH_SIZE("batch_size"),
    /** {@code use_clipped_model_output} (DDIMPipeline). */
    USE_CLIPPED_MODEL_OUTPUT("use_clipped_model_output"),
    /** {@code audio_length_in_s} (DanceDiffusionPipeline). */
    AUDIO_LENGTH_IN_S("audio_length_in_s");

    private final String diffusersName;

    CallArgument(String diffusersName) {
        this.diffusersName = diffusersName;
    }

    /** The diffusers keyword (the group's main one), for messages. */
    public String diffusersName() {
        return diffusersName;
    }

    /** An unmodifiable set of groups. */
    public static Set<CallArgument> setOf(CallArgument first, CallArgument... rest) {
        return Collections.unmodifiableSet(EnumSet.of(first, rest));
    }
}
