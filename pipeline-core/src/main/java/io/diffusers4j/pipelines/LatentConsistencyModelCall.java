// The arguments of diffusers' LatentConsistencyModelPipeline.__call__ (text-to-image), diffusers' names and defaults.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.utils.TorchGenerator;

import java.util.ArrayList;
import java.util.List;

/**
 * Arguments of a latent consistency model call with diffusers' defaults: 4 steps, guidance 8.5 (embedded into the
 * UNet's time embedding, no classifier-free guidance batch), the scheduler's {@code original_inference_steps}, one
 * image per prompt, output type {@code pil}. There is no negative prompt (diffusers' LCM pipeline takes none: the
 * distilled model learned guidance against the empty prompt). Generators as in {@link StableDiffusionCall}.
 */
public final class LatentConsistencyModelCall {
    public static final int DEFAULT_NUM_INFERENCE_STEPS = 4;
    public static final double DEFAULT_GUIDANCE_SCALE = 8.5;

    private List<String> prompt = new ArrayList<>();
    private Integer height;
    private Integer width;
    private int numInferenceSteps = DEFAULT_NUM_INFERENCE_STEPS;
    private Integer originalInferenceSteps;
    private double[] timesteps;
    private double guidanceScale = DEFAULT_GUIDANCE_SCALE;
    private int numImagesPerPrompt = 1;
    private List<TorchGenerator> generators = new ArrayList<>();
    private NDArray latents;
    private NDArray promptEmbeds;
    private String outputType = "pil";
    private Integer clipSkip;
    private Scheduler scheduler;
    private StepEndCallback callbackOnStepEnd;
    private ProgressListener progress;

    public LatentConsistencyModelCall prompt(String... prompts) {
        this.prompt = new ArrayList<>(List.of(prompts));
        return this;
    }

    public LatentConsistencyModelCall prompt(List<String> prompts) {
        this.prompt = new ArrayList<>(prompts);
        return this;
    }

    public List<String> prompt() {
        return prompt;
    }

    public LatentConsistencyModelCall height(Integer value) {
        this.height = value;
        return this;
    }

    public Integer height() {
        return height;
    }

    public LatentConsistencyModelCall width(Integer value) {
        this.width = value;
        return this;
    }

    public Integer width() {
        return width;
    }

    public LatentConsistencyModelCall numInferenceSteps(int value) {
        this.numInferenceSteps = value;
        return this;
    }

    public int numInferenceSteps() {
        return numInferenceSteps;
    }

    /** The distillation schedule length the timesteps are drawn from; null = the scheduler's (50 for LCM-SD1.5). */
    public LatentConsistencyModelCall originalInferenceSteps(Integer value) {
        this.originalInferenceSteps = value;
        return this;
    }

    public Integer originalInferenceSteps() {
        return originalInferenceSteps;
    }

    /**
     * A custom schedule (diffusers' {@code timesteps=}): replaces {@code numInferenceSteps}; timesteps off the
     * distillation schedule are logged as warnings, as in diffusers. Null = the LCM spacing.
     */
    public LatentConsistencyModelCall timesteps(double[] value) {
        this.timesteps = value == null ? null : value.clone();
        return this;
    }

    public double[] timesteps() {
        return timesteps == null ? null : timesteps.clone();
    }

    /** Imagen-style scale: the UNet is conditioned on {@code guidance_scale - 1}. */
    public LatentConsistencyModelCall guidanceScale(double value) {
        this.guidanceScale = value;
        return this;
    }

    public double guidanceScale() {
        return guidanceScale;
    }

    public LatentConsistencyModelCall numImagesPerPrompt(int value) {
        this.numImagesPerPrompt = value;
        return this;
    }

    public int numImagesPerPrompt() {
        return numImagesPerPrompt;
    }

    /** One seed = one generator for the whole batch (initial noise and every step's noise). */
    public LatentConsistencyModelCall seed(long seed) {
        this.generators = new ArrayList<>(List.of(new TorchGenerator(seed)));
        return this;
    }

    /** One generator per image (diffusers' generator list), or a single one for the whole batch. */
    public LatentConsistencyModelCall generators(List<TorchGenerator> gens) {
        this.generators = gens == null ? new ArrayList<>() : new ArrayList<>(gens);
        return this;
    }

    public List<TorchGenerator> generators() {
        return generators;
    }

    /** Initial noise latents {@code [batch * numImagesPerPrompt, C, H/f, W/f]} instead of drawing them. */
    public LatentConsistencyModelCall latents(NDArray value) {
        this.latents = value;
        return this;
    }

    public NDArray latents() {
        return latents;
    }

    public LatentConsistencyModelCall promptEmbeds(NDArray value) {
        this.promptEmbeds = value;
        return this;
    }

    public NDArray promptEmbeds() {
        return promptEmbeds;
    }

    /** "pil" (default), "np" or "latent" (the last step's {@code denoised} latents). */
    public LatentConsistencyModelCall outputType(String value) {
        this.outputType = value;
        return this;
    }

    public String outputType() {
        return outputType;
    }

    public LatentConsistencyModelCall clipSkip(Integer value) {
        this.clipSkip = value;
        return this;
    }

    public Integer clipSkip() {
        return clipSkip;
    }

    /** An LCMScheduler to use for this call instead of the pipeline's own (its config, fresh state). */
    public LatentConsistencyModelCall scheduler(Scheduler value) {
        this.scheduler = value;
        return this;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    /** Called with the latents after every step (the {@code latents} of diffusers' callback_on_step_end). */
    public LatentConsistencyModelCall callbackOnStepEnd(StepEndCallback value) {
        this.callbackOnStepEnd = value;
        return this;
    }

    public StepEndCallback callbackOnStepEnd() {
        return callbackOnStepEnd;
    }

    public LatentConsistencyModelCall progress(ProgressListener value) {
        this.progress = value;
        return this;
    }

    public ProgressListener progress() {
        return progress;
    }

    /** The same arguments as the shared pipeline helpers take them (no CFG: no negative prompt, eta 0). */
    StableDiffusionCall toStableDiffusionCall() {
        return new StableDiffusionCall().prompt(prompt).height(height).width(width)
                .numInferenceSteps(numInferenceSteps).timesteps(timesteps).guidanceScale(guidanceScale)
                .numImagesPerPrompt(numImagesPerPrompt).generators(generators).latents(latents)
                .promptEmbeds(promptEmbeds).outputType(outputType).clipSkip(clipSkip).scheduler(scheduler)
                .callbackOnStepEnd(callbackOnStepEnd).progress(progress);
    }
}
