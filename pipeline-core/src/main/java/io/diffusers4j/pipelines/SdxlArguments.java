// The arguments the StableDiffusionXL pipelines' __call__ add to StableDiffusionPipeline's (diffusers 0.30.3 names).
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * SDXL-only call arguments: the second encoder's prompts ({@code prompt_2}, {@code negative_prompt_2}; default the
 * first ones), the pooled embeddings given instead of prompts, the micro-conditioning sizes (diffusers' tuples
 * {@code (height, width)} and {@code (top, left)}), {@code denoising_end}; and those of
 * StableDiffusionXLImg2ImgPipeline only: {@code denoising_start}, the aesthetic scores and an image given as latents.
 * Everything null means diffusers' default; pipelines whose {@code __call__} lacks one refuse a call that sets it
 * ({@link CallArgument}). In per-prompt lists a null entry takes that prompt's default ({@code prompt_2}: the
 * prompt; {@code negative_prompt_2}: the negative prompt).
 */
public final class SdxlArguments {
    private List<String> prompt2;
    private List<String> negativePrompt2;
    private NDArray pooledPromptEmbeds;
    private NDArray negativePooledPromptEmbeds;
    private int[] originalSize;
    private int[] cropsCoordsTopLeft;
    private int[] targetSize;
    private int[] negativeOriginalSize;
    private int[] negativeCropsCoordsTopLeft;
    private int[] negativeTargetSize;
    private Double denoisingEnd;
    private Double denoisingStart;
    private Double aestheticScore;
    private Double negativeAestheticScore;
    private NDArray imageLatents;

    /** Prompts for tokenizer_2 / text_encoder_2: one per prompt; null = {@code prompt}. */
    public SdxlArguments prompt2(List<String> value) {
        this.prompt2 = value == null ? null : new ArrayList<>(value);
        return this;
    }

    public SdxlArguments prompt2(String... value) {
        return prompt2(List.of(value));
    }

    public List<String> prompt2() {
        return prompt2;
    }

    /** Negative prompts for the second encoder; null = {@code negative_prompt}. */
    public SdxlArguments negativePrompt2(List<String> value) {
        this.negativePrompt2 = value == null ? null : new ArrayList<>(value);
        return this;
    }

    public SdxlArguments negativePrompt2(String... value) {
        return negativePrompt2(List.of(value));
    }

    public List<String> negativePrompt2() {
        return negativePrompt2;
    }

    /** {@code [B, projection_dim]}, required with {@code prompt_embeds}. */
    public SdxlArguments pooledPromptEmbeds(NDArray value) {
        this.pooledPromptEmbeds = value;
        return this;
    }

    public NDArray pooledPromptEmbeds() {
        return pooledPromptEmbeds;
    }

    /** {@code [B, projection_dim]}, required with {@code negative_prompt_embeds}. */
    public SdxlArguments negativePooledPromptEmbeds(NDArray value) {
        this.negativePooledPromptEmbeds = value;
        return this;
    }

    public NDArray negativePooledPromptEmbeds() {
        return negativePooledPromptEmbeds;
    }

    /** (height, width); null = the output size. */
    public SdxlArguments originalSize(int height, int width) {
        this.originalSize = new int[] {height, width};
        return this;
    }

    public int[] originalSize() {
        return originalSize;
    }

    /** (top, left); null = (0, 0). */
    public SdxlArguments cropsCoordsTopLeft(int top, int left) {
        this.cropsCoordsTopLeft = new int[] {top, left};
        return this;
    }

    public int[] cropsCoordsTopLeft() {
        return cropsCoordsTopLeft;
    }

    /** (height, width); null = the output size. */
    public SdxlArguments targetSize(int height, int width) {
        this.targetSize = new int[] {height, width};
        return this;
    }

    public int[] targetSize() {
        return targetSize;
    }

    /** Used (with the other negative sizes) only when both negative_original_size and negative_target_size are set. */
    public SdxlArguments negativeOriginalSize(int height, int width) {
        this.negativeOriginalSize = new int[] {height, width};
        return this;
    }

    public int[] negativeOriginalSize() {
        return negativeOriginalSize;
    }

    public SdxlArguments negativeCropsCoordsTopLeft(int top, int left) {
        this.negativeCropsCoordsTopLeft = new int[] {top, left};
        return this;
    }

    public int[] negativeCropsCoordsTopLeft() {
        return negativeCropsCoordsTopLeft;
    }

    public SdxlArguments negativeTargetSize(int height, int width) {
        this.negativeTargetSize = new int[] {height, width};
        return this;
    }

    public int[] negativeTargetSize() {
        return negativeTargetSize;
    }

    /** Fraction in (0, 1) of the schedule to run before stopping (a base + refiner split); null = all of it. */
    public SdxlArguments denoisingEnd(Double value) {
        this.denoisingEnd = value;
        return this;
    }

    public Double denoisingEnd() {
        return denoisingEnd;
    }

    /**
     * img2img: the fraction of the schedule already done (a refiner after a base run with the same value as
     * {@code denoising_end}): only the timesteps below {@code round(T - denoising_start * T)} run, strength is
     * ignored and no noise is added; null = start from {@code strength}.
     */
    public SdxlArguments denoisingStart(Double value) {
        this.denoisingStart = value;
        return this;
    }

    public Double denoisingStart() {
        return denoisingStart;
    }

    /** img2img with {@code requires_aesthetics_score}: the positive time ids' score; null = 6.0. */
    public SdxlArguments aestheticScore(Double value) {
        this.aestheticScore = value;
        return this;
    }

    public Double aestheticScore() {
        return aestheticScore;
    }

    /** img2img with {@code requires_aesthetics_score}: the negative time ids' score; null = 2.5. */
    public SdxlArguments negativeAestheticScore(Double value) {
        this.negativeAestheticScore = value;
        return this;
    }

    public Double negativeAestheticScore() {
        return negativeAestheticScore;
    }

    /**
     * img2img: the image as latents {@code [B, C, h, w]} (diffusers' {@code image} tensor with the VAE's latent
     * channels, e.g. a base pipeline's {@code output_type="latent"} output): used as they are, no VAE encoding;
     * instead of {@link PipelineCall#image}.
     */
    public SdxlArguments imageLatents(NDArray value) {
        this.imageLatents = value;
        return this;
    }

    public NDArray imageLatents() {
        return imageLatents;
    }

    /** Adds the argument groups this sets to {@code out} (see {@link PipelineCall#setArguments()}). */
    void markSet(Map<CallArgument, String> out) {
        PipelineCall.mark(out, CallArgument.PROMPT_2, prompt2 != null ? "prompt_2" : negativePrompt2 != null
                ? "negative_prompt_2" : pooledPromptEmbeds != null ? "pooled_prompt_embeds"
                : negativePooledPromptEmbeds != null ? "negative_pooled_prompt_embeds" : null);
        String[] names = {"original_size", "crops_coords_top_left", "target_size", "negative_original_size",
            "negative_crops_coords_top_left", "negative_target_size"};
        int[][] sizes = {originalSize, cropsCoordsTopLeft, targetSize, negativeOriginalSize,
            negativeCropsCoordsTopLeft, negativeTargetSize};
        for (int i = 0; i < sizes.length; i++) {
            PipelineCall.mark(out, CallArgument.MICRO_CONDITIONING, sizes[i] != null ? names[i] : null);
        }
        PipelineCall.mark(out, CallArgument.DENOISING_END, denoisingEnd != null ? "denoising_end" : null);
        PipelineCall.mark(out, CallArgument.DENOISING_START, denoisingStart != null ? "denoising_start" : null);
        PipelineCall.mark(out, CallArgument.AESTHETIC_SCORE, aestheticScore != null ? "aesthetic_score"
                : negativeAestheticScore != null ? "negative_aesthetic_score" : null);
        PipelineCall.mark(out, CallArgument.IMAGE_LATENTS, imageLatents != null ? "image (as latents)" : null);
    }

    /** check_inputs of the SDXL pipelines that need no checkpoint. */
    void validate(PipelineCall call) {
        if (prompt2 != null && call.promptEmbeds() != null) {
            throw new IllegalArgumentException("Cannot forward both prompt_2 and prompt_embeds; give only one");
        }
        if (negativePrompt2 != null && call.negativePromptEmbeds() != null) {
            throw new IllegalArgumentException("Cannot forward both negative_prompt_2 and negative_prompt_embeds");
        }
        if (denoisingEnd != null && !(denoisingEnd >= 0 && denoisingEnd <= 1)) {
            throw new IllegalArgumentException("denoising_end must lie in [0, 1], got " + denoisingEnd);
        }
        if (prompt2 != null && call.prompt().size() != prompt2.size() && !call.prompt().isEmpty()) {
            throw new IllegalArgumentException("prompt_2 has batch size " + prompt2.size() + ", but prompt has batch "
                    + "size " + call.prompt().size());
        }
    }

    /** A copy (lists and size pairs copied, arrays shared). */
    SdxlArguments copy() {
        SdxlArguments c = new SdxlArguments();
        c.prompt2 = prompt2 == null ? null : new ArrayList<>(prompt2);
        c.negativePrompt2 = negativePrompt2 == null ? null : new ArrayList<>(negativePrompt2);
        c.pooledPromptEmbeds = pooledPromptEmbeds;
        c.negativePooledPromptEmbeds = negativePooledPromptEmbeds;
        c.originalSize = originalSize;
        c.cropsCoordsTopLeft = cropsCoordsTopLeft;
        c.targetSize = targetSize;
        c.negativeOriginalSize = negativeOriginalSize;
        c.negativeCropsCoordsTopLeft = negativeCropsCoordsTopLeft;
        c.negativeTargetSize = negativeTargetSize;
        c.denoisingEnd = denoisingEnd;
        c.denoisingStart = denoisingStart;
        c.aestheticScore = aestheticScore;
        c.negativeAestheticScore = negativeAestheticScore;
        c.imageLatents = imageLatents;
        return c;
    }
}
