// The keyword arguments of diffusers' pipeline __call__ methods, diffusers' names, one object for every pipeline.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.Schedulers;
import io.diffusers4j.utils.TorchGenerator;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The arguments of one pipeline call. Unset values (null) take the pipeline's own defaults
 * ({@link DiffusionPipeline#withDefaults}): steps, guidance scale, strength and size come from the pipeline class
 * and its checkpoint. A pipeline refuses a call that sets an argument its diffusers {@code __call__} does not take
 * ({@link #setArguments()}, {@link DiffusionPipeline#acceptedArguments()}). The SDXL arguments ({@code prompt_2},
 * micro-conditioning sizes, ...) live in {@link SdxlArguments}. Generators follow diffusers: one generator draws for
 * the whole batch; a list of one per image draws per image.
 */
public final class PipelineCall {
    private List<String> prompt = new ArrayList<>();
    private List<String> negativePrompt;
    private Integer height;
    private Integer width;
    private Integer numInferenceSteps;
    private Integer originalInferenceSteps;
    private double[] timesteps;
    private double[] sigmas;
    private Double guidanceScale;
    private int numImagesPerPrompt = 1;
    private Double eta;
    private Double guidanceRescale;
    private Integer clipSkip;
    private Double loraScale;
    private List<TorchGenerator> generators = new ArrayList<>();
    private NDArray latents;
    private NDArray promptEmbeds;
    private NDArray negativePromptEmbeds;
    private String outputType = "pil";
    private List<BufferedImage> image;
    private List<BufferedImage> maskImage;
    private Double strength;
    private Scheduler scheduler;
    private StepEndCallback callbackOnStepEnd;
    private ProgressListener progress;
    private SdxlArguments sdxl = new SdxlArguments();
    private Integer batchSize;
    private Double audioLengthInS;
    private Boolean useClippedModelOutput;
    private List<String> prompt3;
    private List<String> negativePrompt3;
    private Integer maxSequenceLength;

    public PipelineCall prompt(String... prompts) {
        this.prompt = new ArrayList<>(List.of(prompts));
        return this;
    }

    public PipelineCall prompt(List<String> prompts) {
        this.prompt = new ArrayList<>(prompts);
        return this;
    }

    public List<String> prompt() {
        return prompt;
    }

    /**
     * One negative prompt for all prompts, or one per prompt; null = none (diffusers' {@code negative_prompt=None}:
     * the empty prompt's embeddings, or zeros for SDXL's {@code force_zeros_for_empty_prompt}). In a per-prompt list
     * a null entry means none for that prompt alone.
     */
    public PipelineCall negativePrompt(List<String> negative) {
        this.negativePrompt = negative == null ? null : new ArrayList<>(negative);
        return this;
    }

    public PipelineCall negativePrompt(String... negative) {
        return negativePrompt(List.of(negative));
    }

    public List<String> negativePrompt() {
        return negativePrompt;
    }

    public PipelineCall height(Integer value) {
        this.height = value;
        return this;
    }

    public Integer height() {
        return height;
    }

    public PipelineCall width(Integer value) {
        this.width = value;
        return this;
    }

    public Integer width() {
        return width;
    }

    /** Null = the pipeline's default (50; latent consistency models 4). */
    public PipelineCall numInferenceSteps(Integer value) {
        this.numInferenceSteps = value;
        return this;
    }

    public Integer numInferenceSteps() {
        return numInferenceSteps;
    }

    /** Latent consistency models: the distillation schedule length; null = the scheduler's. */
    public PipelineCall originalInferenceSteps(Integer value) {
        this.originalInferenceSteps = value;
        return this;
    }

    public Integer originalInferenceSteps() {
        return originalInferenceSteps;
    }

    /**
     * A custom schedule (diffusers' {@code timesteps=}) for the schedulers that accept one; it replaces
     * {@code numInferenceSteps}, which becomes its length. Null = the scheduler's own spacing.
     */
    public PipelineCall timesteps(double[] value) {
        this.timesteps = value == null ? null : value.clone();
        return this;
    }

    public double[] timesteps() {
        return timesteps == null ? null : timesteps.clone();
    }

    /** Custom sigmas (diffusers' {@code sigmas=}, EulerDiscreteScheduler), the last one the final sigma; or null. */
    public PipelineCall sigmas(double[] value) {
        this.sigmas = value == null ? null : value.clone();
        return this;
    }

    public double[] sigmas() {
        return sigmas == null ? null : sigmas.clone();
    }

    public PipelineCall guidanceScale(Double value) {
        this.guidanceScale = value;
        return this;
    }

    /** The guidance scale set on this call, or null for the pipeline's default (7.5; SDXL 5.0; LCM 8.5). */
    public Double guidanceScale() {
        return guidanceScale;
    }

    public PipelineCall numImagesPerPrompt(int value) {
        this.numImagesPerPrompt = value;
        return this;
    }

    public int numImagesPerPrompt() {
        return numImagesPerPrompt;
    }

    /** DDIM's eta; null = 0. */
    public PipelineCall eta(Double value) {
        this.eta = value;
        return this;
    }

    public double eta() {
        return eta == null ? 0.0 : eta;
    }

    /** Null = 0 (no rescale). */
    public PipelineCall guidanceRescale(Double value) {
        this.guidanceRescale = value;
        return this;
    }

    public double guidanceRescale() {
        return guidanceRescale == null ? 0.0 : guidanceRescale;
    }

    public PipelineCall clipSkip(Integer value) {
        this.clipSkip = value;
        return this;
    }

    public Integer clipSkip() {
        return clipSkip;
    }

    /**
     * The LoRA scale of this call: diffusers' {@code cross_attention_kwargs={"scale": s}} (the UNet's adapters) and
     * the {@code lora_scale} it passes to {@code encode_prompt} (the text encoders'); every unfused active adapter's
     * scaling is multiplied by it. Null = 1.0.
     */
    public PipelineCall loraScale(Double value) {
        this.loraScale = value;
        return this;
    }

    public Double loraScale() {
        return loraScale;
    }

    /** One seed = one generator for the whole batch (diffusers' {@code generator=torch.Generator().manual_seed(s)}). */
    public PipelineCall seed(long seed) {
        this.generators = new ArrayList<>(List.of(new TorchGenerator(seed)));
        return this;
    }

    /** One generator per image seeded with {@code seeds[i]}: diffusers' {@code [Generator().manual_seed(s), ...]}. */
    public PipelineCall seeds(long... seeds) {
        List<TorchGenerator> gens = new ArrayList<>(seeds.length);
        for (long s : seeds) {
            gens.add(new TorchGenerator(s));
        }
        this.generators = gens;
        return this;
    }

    /** One generator per image (diffusers' generator list), or a single one for the whole batch. */
    public PipelineCall generators(List<TorchGenerator> gens) {
        this.generators = gens == null ? new ArrayList<>() : new ArrayList<>(gens);
        return this;
    }

    public List<TorchGenerator> generators() {
        return generators;
    }

    /** Initial noise latents {@code [batch * numImagesPerPrompt, C, H/f, W/f]} instead of drawing them. */
    public PipelineCall latents(NDArray value) {
        this.latents = value;
        return this;
    }

    public NDArray latents() {
        return latents;
    }

    public PipelineCall promptEmbeds(NDArray value) {
        this.promptEmbeds = value;
        return this;
    }

    public NDArray promptEmbeds() {
        return promptEmbeds;
    }

    public PipelineCall negativePromptEmbeds(NDArray value) {
        this.negativePromptEmbeds = value;
        return this;
    }

    public NDArray negativePromptEmbeds() {
        return negativePromptEmbeds;
    }

    /** "pil" (default), "np" or "latent". */
    public PipelineCall outputType(String value) {
        this.outputType = value;
        return this;
    }

    public String outputType() {
        return outputType;
    }

    /** img2img / inpainting input image(s): one for all prompts or one per prompt; null = none. */
    public PipelineCall image(List<BufferedImage> value) {
        this.image = value == null ? null : new ArrayList<>(value);
        return this;
    }

    public List<BufferedImage> image() {
        return image;
    }

    public PipelineCall maskImage(List<BufferedImage> value) {
        this.maskImage = value == null ? null : new ArrayList<>(value);
        return this;
    }

    public List<BufferedImage> maskImage() {
        return maskImage;
    }

    /** img2img/inpaint strength in [0, 1]; null = the pipeline's default (0.8 img2img, 1.0 inpaint). */
    public PipelineCall strength(Double value) {
        this.strength = value;
        return this;
    }

    public Double strength() {
        return strength;
    }

    /** A scheduler to use for this call instead of the pipeline's own (its config, fresh state). */
    public PipelineCall scheduler(Scheduler value) {
        this.scheduler = value;
        return this;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    public PipelineCall callbackOnStepEnd(StepEndCallback value) {
        this.callbackOnStepEnd = value;
        return this;
    }

    public StepEndCallback callbackOnStepEnd() {
        return callbackOnStepEnd;
    }

    public PipelineCall progress(ProgressListener value) {
        this.progress = value;
        return this;
    }

    public ProgressListener progress() {
        return progress;
    }

    /**
     * diffusers' {@code batch_size} of the unconditional pipelines (DDPM, DDIM, Dance Diffusion): how many samples
     * to draw; null = not set (1 once the pipeline's defaults apply). Pipelines that take a prompt refuse it: their
     * batch is the prompts ({@link #batchSize()}).
     */
    public PipelineCall batchSize(Integer value) {
        this.batchSize = value;
        return this;
    }

    /** The {@code batch_size} argument as set, or null. */
    public Integer batchSizeArgument() {
        return batchSize;
    }

    /** Dance Diffusion's {@code audio_length_in_s}; null = the UNet's {@code sample_size / sample_rate}. */
    public PipelineCall audioLengthInS(Double value) {
        this.audioLengthInS = value;
        return this;
    }

    public Double audioLengthInS() {
        return audioLengthInS;
    }

    /**
     * DDIM's {@code use_clipped_model_output}: recompute the noise from the clipped (or thresholded) predicted
     * sample; null = not passed (false).
     */
    public PipelineCall useClippedModelOutput(Boolean value) {
        this.useClippedModelOutput = value;
        return this;
    }

    public Boolean useClippedModelOutput() {
        return useClippedModelOutput;
    }

    /** Stable Diffusion 3's {@code prompt_3} (one per prompt; a null entry: that prompt), or null. */
    public PipelineCall prompt3(List<String> value) {
        this.prompt3 = value == null ? null : new ArrayList<>(value);
        return this;
    }

    public List<String> prompt3() {
        return prompt3;
    }

    /** Stable Diffusion 3's {@code negative_prompt_3} (a null entry: that prompt's negative prompt), or null. */
    public PipelineCall negativePrompt3(List<String> value) {
        this.negativePrompt3 = value == null ? null : new ArrayList<>(value);
        return this;
    }

    public List<String> negativePrompt3() {
        return negativePrompt3;
    }

    /** {@code max_sequence_length}: the T5 prompt length (Stable Diffusion 3, FLUX); null: the pipeline's default. */
    public PipelineCall maxSequenceLength(Integer value) {
        this.maxSequenceLength = value;
        return this;
    }

    public Integer maxSequenceLength() {
        return maxSequenceLength;
    }

    /** The SDXL arguments of this call (never null; all unset by default). */
    public SdxlArguments sdxl() {
        return sdxl;
    }

    public PipelineCall sdxl(SdxlArguments value) {
        this.sdxl = value == null ? new SdxlArguments() : value;
        return this;
    }

    /** The task this call asks for: inpainting with a mask, image-to-image with an image, else text-to-image. */
    public PipelineTask task() {
        if (isSet(maskImage)) {
            return PipelineTask.INPAINTING;
        }
        return isSet(image) || sdxl.imageLatents() != null ? PipelineTask.IMAGE_TO_IMAGE : PipelineTask.TEXT_TO_IMAGE;
    }

    private static boolean isSet(List<?> values) {
        return values != null && !values.isEmpty();
    }

    /**
     * The optional argument groups this call sets, each with the diffusers name of the first argument of the
     * group that is set (for messages), in {@link CallArgument} order.
     */
    public Map<CallArgument, String> setArguments() {
        Map<CallArgument, String> out = new EnumMap<>(CallArgument.class);
        mark(out, CallArgument.PROMPT, isSet(prompt) ? "prompt" : promptEmbeds != null ? "prompt_embeds" : null);
        mark(out, CallArgument.NEGATIVE_PROMPT, negativePrompt != null ? "negative_prompt"
                : negativePromptEmbeds != null ? "negative_prompt_embeds" : null);
        mark(out, CallArgument.SIZE, height != null ? "height" : width != null ? "width" : null);
        mark(out, CallArgument.IMAGE, isSet(image) ? "image" : null);
        mark(out, CallArgument.STRENGTH, strength != null ? "strength" : null);
        mark(out, CallArgument.MASK_IMAGE, maskImage != null ? "mask_image" : null);
        mark(out, CallArgument.LATENTS, latents != null ? "latents" : null);
        mark(out, CallArgument.ETA, eta != null && eta != 0 ? "eta" : null);
        mark(out, CallArgument.GUIDANCE_RESCALE, guidanceRescale != null && guidanceRescale != 0
                ? "guidance_rescale" : null);
        mark(out, CallArgument.CLIP_SKIP, clipSkip != null ? "clip_skip" : null);
        mark(out, CallArgument.TIMESTEPS, timesteps != null ? "timesteps" : null);
        mark(out, CallArgument.SIGMAS, sigmas != null ? "sigmas" : null);
        mark(out, CallArgument.ORIGINAL_INFERENCE_STEPS, originalInferenceSteps != null
                ? "original_inference_steps" : null);
        mark(out, CallArgument.GUIDANCE_SCALE, guidanceScale != null ? "guidance_scale" : null);
        mark(out, CallArgument.NUM_IMAGES_PER_PROMPT, numImagesPerPrompt != 1 ? "num_images_per_prompt" : null);
        mark(out, CallArgument.BATCH_SIZE, batchSize != null ? "batch_size" : null);
        mark(out, CallArgument.USE_CLIPPED_MODEL_OUTPUT, useClippedModelOutput != null
                ? "use_clipped_model_output" : null);
        mark(out, CallArgument.AUDIO_LENGTH_IN_S, audioLengthInS != null ? "audio_length_in_s" : null);
        sdxl.markSet(out);
        mark(out, CallArgument.PROMPT_3, prompt3 != null ? "prompt_3" : negativePrompt3 != null ? "negative_prompt_3"
                : null);
        mark(out, CallArgument.MAX_SEQUENCE_LENGTH, maxSequenceLength != null ? "max_sequence_length" : null);
        mark(out, CallArgument.CROSS_ATTENTION_KWARGS, loraScale != null ? "cross_attention_kwargs" : null);
        return out;
    }

    static void mark(Map<CallArgument, String> out, CallArgument group, String name) {
        if (name != null) {
            out.putIfAbsent(group, name);
        }
    }

    /**
     * The checks of diffusers' {@code check_inputs} that hold for every pipeline whatever its checkpoint (the
     * pipelines add theirs in {@link DiffusionPipeline#checkInputs}); front ends call it before loading a model.
     */
    public PipelineCall validate() {
        if (numInferenceSteps != null && numInferenceSteps < 1) {
            throw new IllegalArgumentException("num_inference_steps must be >= 1, got " + numInferenceSteps);
        }
        if (originalInferenceSteps != null && originalInferenceSteps < 1) {
            throw new IllegalArgumentException("original_inference_steps must be >= 1, got "
                    + originalInferenceSteps);
        }
        if (numImagesPerPrompt < 1) {
            throw new IllegalArgumentException("num_images_per_prompt must be >= 1, got " + numImagesPerPrompt);
        }
        // the guidance is applied in float32: a finite double beyond float range would become inf and turn every
        // latent into NaN (a black image), so it is refused like NaN and inf (diffusers does not check)
        requireFloat32("guidance_scale", guidanceScale);
        requireFloat32("guidance_rescale", guidanceRescale);
        requireFloat32("eta", eta);
        requireFloat32("cross_attention_kwargs['scale']", loraScale);
        if (batchSize != null && batchSize < 1) {
            throw new IllegalArgumentException("batch_size must be >= 1, got " + batchSize);
        }
        if (audioLengthInS != null && !(audioLengthInS > 0 && Double.isFinite(audioLengthInS))) {
            throw new IllegalArgumentException("audio_length_in_s must be a positive number of seconds, got "
                    + audioLengthInS);
        }
        if (height != null && height < 1 || width != null && width < 1) {
            throw new IllegalArgumentException("height and width must be positive, got " + height + " and " + width);
        }
        if (strength != null && !(strength >= 0 && strength <= 1)) {
            throw new IllegalArgumentException("The value of strength should in [0.0, 1.0] but is " + strength);
        }
        if (clipSkip != null && clipSkip < 0) {
            throw new IllegalArgumentException("clip_skip must be >= 0, got " + clipSkip);
        }
        if (isSet(prompt) && promptEmbeds != null) {
            throw new IllegalArgumentException("Cannot forward both prompt and prompt_embeds; give only one");
        }
        if (negativePrompt != null && negativePromptEmbeds != null) {
            throw new IllegalArgumentException("Cannot forward both negative_prompt and negative_prompt_embeds");
        }
        if (!OUTPUT_TYPES.contains(outputType)) {
            throw new IllegalArgumentException("output_type must be pil, np or latent, got '" + outputType + "'");
        }
        if (maxSequenceLength != null && maxSequenceLength < 1) {
            throw new IllegalArgumentException("max_sequence_length must be >= 1, got " + maxSequenceLength);
        }
        if (maxSequenceLength != null && maxSequenceLength > MAX_SEQUENCE_LENGTH) {
            throw new IllegalArgumentException("`max_sequence_length` cannot be greater than " + MAX_SEQUENCE_LENGTH
                    + " but is " + maxSequenceLength);
        }
        if (isSet(prompt3) && promptEmbeds != null) {
            throw new IllegalArgumentException("Cannot forward both `prompt_3` and `prompt_embeds`. Please make sure "
                    + "to only forward one of the two.");
        }
        if (negativePrompt3 != null && negativePromptEmbeds != null) {
            throw new IllegalArgumentException("Cannot forward both `negative_prompt_3` and `negative_prompt_embeds`. "
                    + "Please make sure to only forward one of the two.");
        }
        Schedulers.checkCustomSchedule(timesteps, sigmas);
        sdxl.validate(this);
        return this;
    }

    private static final List<String> OUTPUT_TYPES = List.of("pil", "np", "latent");
    /** diffusers' Stable Diffusion 3 and FLUX pipelines refuse a longer T5 prompt ({@code check_inputs}). */
    public static final int MAX_SEQUENCE_LENGTH = 512;

    private static void requireFloat32(String name, Double value) {
        if (value != null && (!Double.isFinite(value) || !Float.isFinite((float) (double) value))) {
            throw new IllegalArgumentException(name + " must be a finite float32 number, got " + value);
        }
    }

    /**
     * The batch before {@code num_images_per_prompt}: the {@code batch_size} argument when set (unconditional
     * pipelines), else the number of prompts (prompt_embeds' batch size when given, else the prompt list's size).
     */
    public int batchSize() {
        if (batchSize != null) {
            return batchSize;
        }
        return promptEmbeds != null ? (int) promptEmbeds.getShape().get(0) : prompt.size();
    }

    /** A copy (lists copied; arrays, images, generators and callbacks shared). */
    public PipelineCall copy() {
        PipelineCall c = new PipelineCall();
        c.prompt = new ArrayList<>(prompt);
        c.negativePrompt = negativePrompt == null ? null : new ArrayList<>(negativePrompt);
        c.height = height;
        c.width = width;
        c.numInferenceSteps = numInferenceSteps;
        c.originalInferenceSteps = originalInferenceSteps;
        c.timesteps = timesteps;
        c.sigmas = sigmas;
        c.guidanceScale = guidanceScale;
        c.numImagesPerPrompt = numImagesPerPrompt;
        c.eta = eta;
        c.guidanceRescale = guidanceRescale;
        c.clipSkip = clipSkip;
        c.loraScale = loraScale;
        c.generators = new ArrayList<>(generators);
        c.latents = latents;
        c.promptEmbeds = promptEmbeds;
        c.negativePromptEmbeds = negativePromptEmbeds;
        c.outputType = outputType;
        c.image = image == null ? null : new ArrayList<>(image);
        c.maskImage = maskImage == null ? null : new ArrayList<>(maskImage);
        c.strength = strength;
        c.scheduler = scheduler;
        c.callbackOnStepEnd = callbackOnStepEnd;
        c.progress = progress;
        c.sdxl = sdxl.copy();
        c.batchSize = batchSize;
        c.audioLengthInS = audioLengthInS;
        c.useClippedModelOutput = useClippedModelOutput;
        c.prompt3 = prompt3 == null ? null : new ArrayList<>(prompt3);
        c.negativePrompt3 = negativePrompt3 == null ? null : new ArrayList<>(negativePrompt3);
        c.maxSequenceLength = maxSequenceLength;
        return c;
    }
}
