// The arguments of StableDiffusionPipeline.__call__ (and its img2img / inpaint siblings), diffusers' names.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.utils.TorchGenerator;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * Arguments of a Stable Diffusion call with diffusers' defaults: 50 steps, the pipeline's guidance scale (7.5; SDXL
 * 5.0), one image per prompt, eta 0, output type {@code pil}, height/width from the UNet's sample size times the VAE
 * factor. The SDXL-only arguments ({@code prompt_2}, micro-conditioning sizes, ...) live in {@link SdxlArguments};
 * the SD 1.x/2.x pipelines refuse a call that sets them.
 * Generators follow diffusers: one generator draws for the whole batch; a list of one per image draws per image.
 */
public final class StableDiffusionCall {
    private List<String> prompt = new ArrayList<>();
    private List<String> negativePrompt;
    private Integer height;
    private Integer width;
    private int numInferenceSteps = 50;
    private double[] timesteps;
    private double[] sigmas;
    private Double guidanceScale;
    private int numImagesPerPrompt = 1;
    private double eta = 0.0;
    private double guidanceRescale = 0.0;
    private Integer clipSkip;
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

    public StableDiffusionCall prompt(String... prompts) {
        this.prompt = new ArrayList<>(List.of(prompts));
        return this;
    }

    public StableDiffusionCall prompt(List<String> prompts) {
        this.prompt = new ArrayList<>(prompts);
        return this;
    }

    public List<String> prompt() {
        return prompt;
    }

    /** One negative prompt for all prompts, or one per prompt; null = none (unconditional embeds of ""). */
    public StableDiffusionCall negativePrompt(List<String> negative) {
        this.negativePrompt = negative == null ? null : new ArrayList<>(negative);
        return this;
    }

    public StableDiffusionCall negativePrompt(String... negative) {
        return negativePrompt(List.of(negative));
    }

    public List<String> negativePrompt() {
        return negativePrompt;
    }

    public StableDiffusionCall height(Integer value) {
        this.height = value;
        return this;
    }

    public Integer height() {
        return height;
    }

    public StableDiffusionCall width(Integer value) {
        this.width = value;
        return this;
    }

    public Integer width() {
        return width;
    }

    public StableDiffusionCall numInferenceSteps(int value) {
        this.numInferenceSteps = value;
        return this;
    }

    public int numInferenceSteps() {
        return numInferenceSteps;
    }

    /**
     * A custom schedule (diffusers' {@code timesteps=}) for the schedulers that accept one; it replaces
     * {@code numInferenceSteps}, which becomes its length. Null = the scheduler's own spacing.
     */
    public StableDiffusionCall timesteps(double[] value) {
        this.timesteps = value == null ? null : value.clone();
        return this;
    }

    public double[] timesteps() {
        return timesteps == null ? null : timesteps.clone();
    }

    /** Custom sigmas (diffusers' {@code sigmas=}, EulerDiscreteScheduler), the last one the final sigma; or null. */
    public StableDiffusionCall sigmas(double[] value) {
        this.sigmas = value == null ? null : value.clone();
        return this;
    }

    public double[] sigmas() {
        return sigmas == null ? null : sigmas.clone();
    }

    public StableDiffusionCall guidanceScale(Double value) {
        this.guidanceScale = value;
        return this;
    }

    /** The guidance scale set on this call, or null for the pipeline's default (7.5; SDXL 5.0). */
    public Double guidanceScale() {
        return guidanceScale;
    }

    public StableDiffusionCall numImagesPerPrompt(int value) {
        this.numImagesPerPrompt = value;
        return this;
    }

    public int numImagesPerPrompt() {
        return numImagesPerPrompt;
    }

    public StableDiffusionCall eta(double value) {
        this.eta = value;
        return this;
    }

    public double eta() {
        return eta;
    }

    public StableDiffusionCall guidanceRescale(double value) {
        this.guidanceRescale = value;
        return this;
    }

    public double guidanceRescale() {
        return guidanceRescale;
    }

    public StableDiffusionCall clipSkip(Integer value) {
        this.clipSkip = value;
        return this;
    }

    public Integer clipSkip() {
        return clipSkip;
    }

    /** One seed = one generator for the whole batch (diffusers' {@code generator=torch.Generator().manual_seed(s)}). */
    public StableDiffusionCall seed(long seed) {
        this.generators = new ArrayList<>(List.of(new TorchGenerator(seed)));
        return this;
    }

    /** One generator per image (diffusers' generator list), or a single one for the whole batch. */
    public StableDiffusionCall generators(List<TorchGenerator> gens) {
        this.generators = gens == null ? new ArrayList<>() : new ArrayList<>(gens);
        return this;
    }

    public List<TorchGenerator> generators() {
        return generators;
    }

    /** Initial noise latents {@code [batch * numImagesPerPrompt, C, H/f, W/f]} instead of drawing them. */
    public StableDiffusionCall latents(NDArray value) {
        this.latents = value;
        return this;
    }

    public NDArray latents() {
        return latents;
    }

    public StableDiffusionCall promptEmbeds(NDArray value) {
        this.promptEmbeds = value;
        return this;
    }

    public NDArray promptEmbeds() {
        return promptEmbeds;
    }

    public StableDiffusionCall negativePromptEmbeds(NDArray value) {
        this.negativePromptEmbeds = value;
        return this;
    }

    public NDArray negativePromptEmbeds() {
        return negativePromptEmbeds;
    }

    /** "pil" (default), "np" or "latent". */
    public StableDiffusionCall outputType(String value) {
        this.outputType = value;
        return this;
    }

    public String outputType() {
        return outputType;
    }

    /** img2img / inpainting input image(s): one for all prompts or one per prompt. */
    public StableDiffusionCall image(List<BufferedImage> value) {
        this.image = value == null ? null : new ArrayList<>(value);
        return this;
    }

    public List<BufferedImage> image() {
        return image;
    }

    public StableDiffusionCall maskImage(List<BufferedImage> value) {
        this.maskImage = value == null ? null : new ArrayList<>(value);
        return this;
    }

    public List<BufferedImage> maskImage() {
        return maskImage;
    }

    /** img2img/inpaint strength in [0, 1]; null = the pipeline's default (0.8 img2img, 1.0 inpaint). */
    public StableDiffusionCall strength(Double value) {
        this.strength = value;
        return this;
    }

    public Double strength() {
        return strength;
    }

    /** A scheduler to use for this call instead of the pipeline's own (its config, fresh state). */
    public StableDiffusionCall scheduler(Scheduler value) {
        this.scheduler = value;
        return this;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    public StableDiffusionCall callbackOnStepEnd(StepEndCallback value) {
        this.callbackOnStepEnd = value;
        return this;
    }

    public StepEndCallback callbackOnStepEnd() {
        return callbackOnStepEnd;
    }

    public StableDiffusionCall progress(ProgressListener value) {
        this.progress = value;
        return this;
    }

    public ProgressListener progress() {
        return progress;
    }

    /** The SDXL arguments of this call (never null; all unset by default). */
    public SdxlArguments sdxl() {
        return sdxl;
    }

    public StableDiffusionCall sdxl(SdxlArguments value) {
        this.sdxl = value == null ? new SdxlArguments() : value;
        return this;
    }
}
