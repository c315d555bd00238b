// diffusers.pipelines.stable_diffusion_xl.pipeline_stable_diffusion_xl.StableDiffusionXLPipeline (text-to-image).
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;
import io.diffusers4j.models.clip.CLIPTextEncoder;
import io.diffusers4j.models.clip.CLIPTextOutput;
import io.diffusers4j.models.vae.AutoencoderKLConfig;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.tokenizers.CLIPTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stable Diffusion XL text-to-image, diffusers 0.30.3's {@code __call__} step for step: both CLIP encoders'
 * penultimate hidden states concatenated, the second encoder's projected pooled output and the micro-conditioning
 * {@code add_time_ids} as the UNet's {@code added_cond_kwargs}, the shared denoising loop, VAE decoding (in float32
 * for a {@code force_upcast} VAE under float16). The invisible watermark is not applied: diffusers applies it only
 * when the {@code invisible-watermark} package is installed, and this port behaves as if it is not.
 */
public class StableDiffusionXLPipeline extends AbstractStableDiffusionPipeline {
    public static final double DEFAULT_GUIDANCE_SCALE = 5.0;
    private static final String FORCE_ZEROS = "force_zeros_for_empty_prompt";
    private final CLIPTextEncoder textEncoder2;
    private final CLIPTokenizer tokenizer2;
    private final boolean forceZerosForEmptyPrompt;

    public StableDiffusionXLPipeline(StableDiffusionXLComponents c, boolean forceZerosForEmptyPrompt,
                                     boolean ownsComponents) {
        super(c.vae(), c.textEncoder(), c.tokenizer(), c.unet(), c.scheduler(), ownsComponents);
        this.textEncoder2 = c.textEncoder2();
        this.tokenizer2 = c.tokenizer2();
        this.forceZerosForEmptyPrompt = forceZerosForEmptyPrompt;
    }

    /** A pipeline over shared components with {@code force_zeros_for_empty_prompt} true (diffusers' default). */
    public StableDiffusionXLPipeline(Map<String, Object> components) {
        this(StableDiffusionXLComponents.from(components), true, false);
    }

    /** model_index.json's {@code force_zeros_for_empty_prompt} (a pipeline config value), default true. */
    static boolean forceZerosForEmptyPrompt(Map<String, JsonElement> config) {
        JsonElement v = config.get(FORCE_ZEROS);
        if (v == null || v.isJsonNull()) {
            return true;
        }
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isBoolean()) {
            throw new IllegalArgumentException("model_index.json: key '" + FORCE_ZEROS + "' must be true or false, got "
                    + v);
        }
        return v.getAsBoolean();
    }

    public boolean forceZerosForEmptyPrompt() {
        return forceZerosForEmptyPrompt;
    }

    public CLIPTextEncoder textEncoder2() {
        return textEncoder2;
    }

    public CLIPTokenizer tokenizer2() {
        return tokenizer2;
    }

    @Override
    public Map<String, Object> components() {
        return new StableDiffusionXLComponents(vae, textEncoder, textEncoder2, tokenizer, tokenizer2, unet, scheduler)
                .asMap();
    }

    @Override
    protected Map<String, JsonElement> modelIndexKeys() {
        Map<String, JsonElement> keys = new LinkedHashMap<>();
        keys.put("feature_extractor", ModelIndex.absent());
        keys.put(FORCE_ZEROS, new JsonPrimitive(forceZerosForEmptyPrompt));
        keys.put("image_encoder", ModelIndex.absent());
        return keys;
    }

    @Override
    public double defaultGuidanceScale() {
        return DEFAULT_GUIDANCE_SCALE;
    }

    @Override
    protected boolean acceptsSdxlArguments() {
        return true;
    }

    /** {@code __call__}. */
    public ImagePipelineOutput call(StableDiffusionCall a) {
        int height = a.height() != null ? a.height() : defaultHeight();
        int width = a.width() != null ? a.width() : defaultWidth();
        checkInputs(a, height, width);
        checkSdxlInputs(a);
        SdxlArguments x = a.sdxl();
        int batch = batchSize(a);
        int images = batch * a.numImagesPerPrompt();
        boolean doCfg = doClassifierFreeGuidance(a);
        try (Scheduler s = callScheduler(a);
             NDManager m = manager.newSubManager()) {
            Conditioning positive = positiveConditioning(m, a, batch);
            retrieveTimesteps(s, a);
            double[] timesteps = denoisingEndTimesteps(s, s.timesteps(), x.denoisingEnd());
            NDArray latents = prepareLatents(m, a, images, unet.config().inChannels, height, width, s);

            int projectionDim = textEncoder2.config().projectionDim;
            NDArray addTimeIds = addTimeIds(m, orDefault(x.originalSize(), height, width),
                    orDefault(x.cropsCoordsTopLeft(), 0, 0), orDefault(x.targetSize(), height, width), projectionDim);
            Conditioning repeated = positive.repeat(a.numImagesPerPrompt());
            NDArray promptEmbeds = repeated.embeds();
            NDArray textEmbeds = repeated.pooled();
            if (doCfg) {
                Conditioning negative = negativeConditioning(m, a, batch, positive).repeat(a.numImagesPerPrompt());
                NDArray negativeTimeIds = x.negativeOriginalSize() != null && x.negativeTargetSize() != null
                        ? addTimeIds(m, x.negativeOriginalSize(), orDefault(x.negativeCropsCoordsTopLeft(), 0, 0),
                                x.negativeTargetSize(), projectionDim)
                        : addTimeIds;
                promptEmbeds = NDArrays.concat(new NDList(negative.embeds(), promptEmbeds), 0);
                textEmbeds = NDArrays.concat(new NDList(negative.pooled(), textEmbeds), 0);
                addTimeIds = NDArrays.concat(new NDList(negativeTimeIds, addTimeIds), 0);
            }
            // add_time_ids.repeat(batch_size * num_images_per_prompt, 1): the (negative, positive) PAIR is tiled, so
            // with CFG and several images the rows alternate negative/positive, exactly as diffusers 0.30.3 does
            NDArray timeIds = addTimeIds.tile(new long[] {images, 1});
            Map<String, NDArray> added = Map.of("text_embeds", textEmbeds, "time_ids", timeIds);
            latents = denoise(m, s, timesteps, latents, promptEmbeds, doCfg, a, new LoopHooks() {
                @Override
                public Map<String, NDArray> addedCondKwargs() {
                    return added;
                }
            });
            return output(latents, a.outputType());
        }
    }

    /** The sequence embeddings {@code [B, 77, D1 + D2]} and pooled embeddings {@code [B, projection_dim]}. */
    record Conditioning(NDArray embeds, NDArray pooled) {
        /** {@code repeat(1, n, 1).view(bs * n, ...)}: each prompt's copies stay together. */
        Conditioning repeat(int n) {
            return new Conditioning(repeatPerPrompt(embeds, n), repeatPerPrompt(pooled, n));
        }
    }

    private Conditioning positiveConditioning(NDManager m, StableDiffusionCall a, int batch) {
        if (a.promptEmbeds() != null) {
            return new Conditioning(given(m, a.promptEmbeds()), given(m, a.sdxl().pooledPromptEmbeds()));
        }
        List<String> prompt2 = a.sdxl().prompt2() != null ? a.sdxl().prompt2() : a.prompt();
        if (prompt2.size() != batch) {
            throw new IllegalArgumentException("prompt_2 has batch size " + prompt2.size() + ", but prompt has batch "
                    + "size " + batch);
        }
        return encode(m, a.prompt(), prompt2, a.clipSkip());
    }

    /**
     * encode_prompt's negative half: the given embeds; zeros when {@code negative_prompt} is None and
     * {@code force_zeros_for_empty_prompt}; else the negative prompts ({@code ""} when None) encoded with the
     * penultimate layer (clip_skip never applies to them in diffusers 0.30.3).
     */
    private Conditioning negativeConditioning(NDManager m, StableDiffusionCall a, int batch, Conditioning positive) {
        if (a.negativePromptEmbeds() != null) {
            return new Conditioning(given(m, a.negativePromptEmbeds()), given(m, a.sdxl().negativePooledPromptEmbeds()));
        }
        if (a.negativePrompt() == null && forceZerosForEmptyPrompt) {
            return new Conditioning(positive.embeds().zerosLike(), positive.pooled().zerosLike());
        }
        List<String> negative = perPrompt(a.negativePrompt() == null || a.negativePrompt().isEmpty() ? List.of("")
                : a.negativePrompt(), batch, "negative_prompt");
        List<String> negative2 = a.sdxl().negativePrompt2() == null || a.sdxl().negativePrompt2().isEmpty() ? negative
                : perPrompt(a.sdxl().negativePrompt2(), batch, "negative_prompt_2");
        return encode(m, negative, negative2, null);
    }

    /** The (prompt, tokenizer, text encoder) pairs of encode_prompt, each with output_hidden_states. */
    private Conditioning encode(NDManager m, List<String> prompt, List<String> prompt2, Integer clipSkip) {
        List<CLIPTokenizer> tokenizers = new ArrayList<>();
        List<CLIPTextEncoder> encoders = new ArrayList<>();
        if (textEncoder != null) {
            tokenizers.add(tokenizer);
            encoders.add(textEncoder);
        }
        tokenizers.add(tokenizer2);
        encoders.add(textEncoder2);
        // zip([prompt, prompt_2], tokenizers, text_encoders): without text_encoder, prompt (not prompt_2) goes to
        // text_encoder_2, as in diffusers
        List<List<String>> prompts = List.of(prompt, prompt2);
        int layer = clipSkip == null ? -2 : -(clipSkip + 2);
        NDList hidden = new NDList();
        NDArray pooled = null;
        for (int i = 0; i < encoders.size(); i++) {
            NDArray ids = m.create(tokenizers.get(i).encode(prompts.get(i)).inputIds());
            CLIPTextOutput out = encoders.get(i).forward(ids, null, true);
            hidden.add(out.hiddenState(layer));
            // pooled = output[0] of the last encoder: text_embeds of the CLIPTextModelWithProjection
            pooled = out.textEmbeds();
        }
        NDArray embeds = NDArrays.concat(hidden, -1);
        return new Conditioning(embeds.toType(dtype(), false), pooled.toType(dtype(), false));
    }

    private NDArray given(NDManager m, NDArray x) {
        NDArray out = x.toDevice(m.getDevice(), true).toType(dtype(), false);
        out.attach(m);
        return out;
    }

    private static int[] orDefault(int[] value, int first, int second) {
        return value != null ? value : new int[] {first, second};
    }

    /**
     * _get_add_time_ids: {@code [original_size + crops_coords_top_left + target_size]} ({@code [1, 6]}), checked
     * against the UNet's {@code add_embedding.linear_1} input size.
     */
    private NDArray addTimeIds(NDManager m, int[] originalSize, int[] cropsCoordsTopLeft, int[] targetSize,
                               int projectionDim) {
        float[] ids = new float[6];
        int[][] parts = {originalSize, cropsCoordsTopLeft, targetSize};
        for (int p = 0; p < 3; p++) {
            ids[2 * p] = parts[p][0];
            ids[2 * p + 1] = parts[p][1];
        }
        Integer timeDim = unet.config().additionTimeEmbedDim;
        Integer expected = unet.config().projectionClassEmbeddingsInputDim;
        int passed = (timeDim == null ? 0 : timeDim) * ids.length + projectionDim;
        if (expected == null || expected != passed) {
            throw new IllegalArgumentException("Model expects an added time embedding vector of length " + expected
                    + ", but a vector of " + passed + " was created. The model has an incorrect config. Please check "
                    + "`unet.config.time_embedding_type` and `text_encoder_2.config.projection_dim`.");
        }
        return m.create(ids, new Shape(1, 6)).toType(dtype(), false);
    }

    /**
     * denoising_end in (0, 1): keep the timesteps {@code >= round(T - denoising_end * T)} (Python's round, half to
     * even) of the scheduler's schedule; any other value keeps them all.
     */
    static double[] denoisingEndTimesteps(Scheduler s, double[] timesteps, Double denoisingEnd) {
        if (denoisingEnd == null || !(denoisingEnd > 0 && denoisingEnd < 1)) {
            return timesteps;
        }
        int train = s.config().numTrainTimesteps;
        double cutoff = Math.rint(train - denoisingEnd * train);
        int n = 0;
        for (double t : timesteps) {
            if (t >= cutoff) {
                n++;
            }
        }
        return Arrays.copyOf(timesteps, n);
    }

    /** latents * latents_std / scaling_factor + latents_mean when the VAE config has both, else / scaling_factor. */
    @Override
    protected NDArray unscaleLatents(NDArray latents) {
        AutoencoderKLConfig cfg = vae.config();
        if (cfg.latentsMean == null || cfg.latentsStd == null) {
            return latents.div((float) cfg.scalingFactor);
        }
        Shape perChannel = new Shape(1, cfg.latentsMean.size(), 1, 1);
        NDArray mean = latents.getManager().create(floats(cfg.latentsMean), perChannel).toType(latents.getDataType(),
                false);
        NDArray std = latents.getManager().create(floats(cfg.latentsStd), perChannel).toType(latents.getDataType(),
                false);
        return latents.mul(std).divi((float) cfg.scalingFactor).addi(mean);
    }

    private static float[] floats(List<Double> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (double) values.get(i);
        }
        return out;
    }

    /** check_inputs of StableDiffusionXLPipeline beyond the shared ones. */
    private void checkSdxlInputs(StableDiffusionCall a) {
        SdxlArguments x = a.sdxl();
        if (x.prompt2() != null && a.promptEmbeds() != null) {
            throw new IllegalArgumentException("Cannot forward both prompt_2 and prompt_embeds; give only one");
        }
        if (x.negativePrompt2() != null && a.negativePromptEmbeds() != null) {
            throw new IllegalArgumentException("Cannot forward both negative_prompt_2 and negative_prompt_embeds");
        }
        if (a.promptEmbeds() != null && x.pooledPromptEmbeds() == null) {
            throw new IllegalArgumentException("If `prompt_embeds` are provided, `pooled_prompt_embeds` also have to "
                    + "be passed");
        }
        if (a.negativePromptEmbeds() != null && x.negativePooledPromptEmbeds() == null) {
            throw new IllegalArgumentException("If `negative_prompt_embeds` are provided, "
                    + "`negative_pooled_prompt_embeds` also have to be passed");
        }
        Double end = x.denoisingEnd();
        if (end != null && !(end >= 0 && end <= 1)) {
            throw new IllegalArgumentException("denoising_end must lie in [0, 1], got " + end);
        }
    }
}
