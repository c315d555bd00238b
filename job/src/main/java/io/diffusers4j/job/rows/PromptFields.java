// The prompt dataset's field names: diffusers' StableDiffusionPipeline.__call__ argument names plus id and seed.
package io.diffusers4j.job.rows;

import java.util.List;

/**
 * Field (column, JSON key) names of a prompt dataset. They are diffusers' argument names, so a row reads like
 * the keyword arguments of one {@code pipe(...)} call: {@code prompt} is required, every other field falls back
 * to the job-level default. Fields not listed here are ignored (a dataset may carry its own bookkeeping columns).
 */
public final class PromptFields {
    public static final String ID = "id";
    public static final String PROMPT = "prompt";
    public static final String NEGATIVE_PROMPT = "negative_prompt";
    public static final String SEED = "seed";
    public static final String NUM_INFERENCE_STEPS = "num_inference_steps";
    public static final String GUIDANCE_SCALE = "guidance_scale";
    public static final String WIDTH = "width";
    public static final String HEIGHT = "height";
    public static final String SCHEDULER = "scheduler";
    public static final String NUM_IMAGES_PER_PROMPT = "num_images_per_prompt";
    /** StableDiffusionXLPipeline's prompt for its second text encoder (diffusers' default: {@code prompt}). */
    public static final String PROMPT_2 = "prompt_2";
    /** StableDiffusionXLPipeline's negative prompt for its second text encoder. */
    public static final String NEGATIVE_PROMPT_2 = "negative_prompt_2";
    /** StableDiffusion3Pipeline's prompt for its third (T5) text encoder (diffusers' default: {@code prompt}). */
    public static final String PROMPT_3 = "prompt_3";
    /** StableDiffusion3Pipeline's negative prompt for its T5 text encoder (default: {@code negative_prompt}). */
    public static final String NEGATIVE_PROMPT_3 = "negative_prompt_3";
    /** The T5 prompt length in tokens, 1..512 (Stable Diffusion 3, FLUX; default: the pipeline's). */
    public static final String MAX_SEQUENCE_LENGTH = "max_sequence_length";
    /** A custom schedule: the timesteps (diffusers' {@code timesteps=}). */
    public static final String TIMESTEPS = "timesteps";
    /** A custom schedule: the sigmas, the last one the final sigma (diffusers' {@code sigmas=}). */
    public static final String SIGMAS = "sigmas";
    /** LoRAs: a list of {@code {"name": PATH_OR_HUB_ID, "scale": 0.8}} ({@link AdapterFields}). */
    public static final String LORAS = "loras";
    /** Textual inversions: a list of {@code {"name": PATH, "token": "<tok>"}} ({@link AdapterFields}). */
    public static final String TEXTUAL_INVERSIONS = "textual_inversions";
    /** DanceDiffusionPipeline's clip length in seconds (diffusers' default: the UNet's sample_size / sample_rate). */
    public static final String AUDIO_LENGTH_IN_S = "audio_length_in_s";

    /** Every field the job reads, in the order used for CSV/JSON examples. */
    public static final List<String> ALL = List.of(ID, PROMPT, NEGATIVE_PROMPT, SEED, NUM_INFERENCE_STEPS,
            GUIDANCE_SCALE, WIDTH, HEIGHT, SCHEDULER, NUM_IMAGES_PER_PROMPT, PROMPT_2, NEGATIVE_PROMPT_2, PROMPT_3,
            NEGATIVE_PROMPT_3, MAX_SEQUENCE_LENGTH, TIMESTEPS, SIGMAS, LORAS, TEXTUAL_INVERSIONS, AUDIO_LENGTH_IN_S);

    private PromptFields() {
    }
}
