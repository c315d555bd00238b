// What diffusers' Stable Diffusion XL pipelines share ("# Copied from ...StableDiffusionXLPipeline.encode_prompt", ...).
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;
import io.diffusers4j.config.IntOrList;
import io.diffusers4j.config.ModelIndex;
import io.diffusers4j.loaders.LoraLoader;
import io.diffusers4j.loaders.TextualInversionLoader;
import io.diffusers4j.models.clip.CLIPTextEncoder;
import io.diffusers4j.models.clip.CLIPTextOutput;
import io.diffusers4j.models.nn.LoraLayers;
import io.diffusers4j.models.nn.LoraScale;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.tokenizers.CLIPTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The SDXL parts of text-to-image and image-to-image: both CLIP encoders' penultimate hidden states concatenated
 * and the second encoder's projected pooled output ({@code encode_prompt}), {@code force_zeros_for_empty_prompt},
 * the micro-conditioning {@code add_time_ids} checked against the UNet, the UNet's {@code added_cond_kwargs} in the
 * shared denoising loop, and the VAE's {@code latents_mean} / {@code latents_std} scaling.
 */
public abstract class AbstractStableDiffusionXLPipeline extends AbstractStableDiffusionPipeline {
    public static final double DEFAULT_GUIDANCE_SCALE = 5.0;
    static final String FORCE_ZEROS = "force_zeros_for_empty_prompt";
    public static final double DEFAULT_AESTHETIC_SCORE = 6.0;
    public static final double DEFAULT_NEGATIVE_AESTHETIC_SCORE = 2.5;
    static final String REQUIRES_AESTHETICS = "requires_aesthetics_score";
    protected final CLIPTextEncoder textEncoder2;
    protected final CLIPTokenizer tokenizer2;
    private final boolean forceZerosForEmptyPrompt;
    /** The image pipelines' {@code requires_aesthetics_score}; null for text-to-image, which has no such config. */
    private final Boolean requiresAestheticsScore;

    protected AbstractStableDiffusionXLPipeline(StableDiffusionXLComponents c, boolean forceZerosForEmptyPrompt,
                                                Boolean requiresAestheticsScore, boolean ownsComponents) {
        super(c.vae(), c.textEncoder(), c.tokenizer(), c.unet(), c.scheduler(), ownsComponents);
        this.textEncoder2 = c.textEncoder2();
        this.tokenizer2 = c.tokenizer2();
        this.forceZerosForEmptyPrompt = forceZerosForEmptyPrompt;
        this.requiresAestheticsScore = requiresAestheticsScore;
    }

    /** model_index.json's {@code requires_aesthetics_score} (a pipeline config value), default false. */
    static boolean requiresAestheticsScore(Map<String, JsonElement> config) {
        return configFlag(config, REQUIRES_AESTHETICS, false);
    }

    /** The image pipelines' {@code requires_aesthetics_score} (the refiner's time ids); false for text-to-image. */
    public boolean requiresAestheticsScore() {
        return Boolean.TRUE.equals(requiresAestheticsScore);
    }

    /** model_index.json's {@code force_zeros_for_empty_prompt} (a pipeline config value), default true. */
    static boolean forceZerosForEmptyPrompt(Map<String, JsonElement> config) {
        return configFlag(config, FORCE_ZEROS, true);
    }

    /** A boolean pipeline config value of model_index.json, {@code dflt} when absent or null. */
    static boolean configFlag(Map<String, JsonElement> config, String key, boolean dflt) {
        JsonElement v = config.get(key);
        if (v == null || v.isJsonNull()) {
            return dflt;
        }
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isBoolean()) {
            throw new IllegalArgumentException("model_index.json: key '" + key + "' must be true or false, got " + v);
        }
        return v.getAsBoolean();
    }

    public boolean forceZerosForEmptyPrompt() {
        return forceZerosForEmptyPrompt;
    }

    /**
     * The LoRA-loadable models of StableDiffusionXLLoraLoaderMixin: UNet, text_encoder, text_encoder_2; SGM block
     * names of Kohya files are mapped with the UNet's layers_per_block, as diffusers passes its config.
     */
    @Override
    protected LoraLoader loraLoader() {
        Map<String, LoraLayers> encoders = new LinkedHashMap<>();
        if (textEncoder != null) {
            encoders.put("text_encoder", textEncoder.loraLayers());
        }
        encoders.put("text_encoder_2", textEncoder2.loraLayers());
        IntOrList layers = unet.config().layersPerBlock;
        return new LoraLoader(unet.loraLayers(), encoders, layers.isList() ? null : layers.value(),
                textEncoder == null ? Set.of("text_encoder") : Set.of());
    }

    /** Both encoders (SDXL embeddings: clip_l to text_encoder, clip_g to text_encoder_2). */
    @Override
    protected List<TextualInversionLoader.Encoder> textualInversionEncoders() {
        List<TextualInversionLoader.Encoder> out = new ArrayList<>();
        if (textEncoder != null) {
            out.add(new TextualInversionLoader.Encoder(tokenizer, textEncoder));
        }
        out.add(new TextualInversionLoader.Encoder(tokenizer2, textEncoder2));
        return out;
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
        if (requiresAestheticsScore != null) {
            keys.put(REQUIRES_AESTHETICS, new JsonPrimitive(requiresAestheticsScore));
        }
        return keys;
    }

    @Override
    protected double defaultGuidanceScale() {
        return DEFAULT_GUIDANCE_SCALE;
    }

    /**
     * encode_prompt, each half repeated per image: the positive conditioning, or {@code cat([negative, positive])}
     * (embeds and pooled embeds) when guidance is on.
     */
    protected PromptEmbeddings conditioning(NDManager m, PipelineCall args, int batch, boolean doCfg) {
        return LoraScale.with(args.loraScale(), () -> scaledConditioning(m, args, batch, doCfg));
    }

    /** {@link #conditioning} under the call's LoRA scale (encode_prompt's {@code lora_scale}). */
    private PromptEmbeddings scaledConditioning(NDManager m, PipelineCall args, int batch, boolean doCfg) {
        PromptEmbeddings positive = positiveConditioning(m, args, batch);
        PromptEmbeddings repeated = positive.repeat(args.numImagesPerPrompt());
        if (!doCfg) {
            return repeated;
        }
        return PromptEmbeddings.guidanceBatch(negativeConditioning(m, args, batch, positive)
                .repeat(args.numImagesPerPrompt()), repeated);
    }

    private PromptEmbeddings positiveConditioning(NDManager m, PipelineCall args, int batch) {
        if (args.promptEmbeds() != null) {
            return new PromptEmbeddings(given(m, args.promptEmbeds(), dtype()),
                    given(m, args.sdxl().pooledPromptEmbeds(), dtype()));
        }
        List<String> prompt2 = orDefault(args.sdxl().prompt2(), args.prompt());
        if (prompt2.size() != batch) {
            throw new IllegalArgumentException("prompt_2 has batch size " + prompt2.size() + ", but prompt has batch "
                    + "size " + batch);
        }
        return encode(m, args.prompt(), prompt2, args.clipSkip());
    }

    /**
     * encode_prompt's negative half: the given embeds; zeros when {@code negative_prompt} is None and
     * {@code force_zeros_for_empty_prompt}; else the negative prompts ({@code ""} when None) encoded with the
     * penultimate layer (clip_skip never applies to them in diffusers 0.30.3). Per prompt, as a call of that prompt
     * alone would have it: in a per-prompt list a null negative prompt is None for that prompt (zeros under
     * {@code force_zeros_for_empty_prompt}), and a null {@code negative_prompt_2} is that prompt's negative prompt.
     */
    private PromptEmbeddings negativeConditioning(NDManager m, PipelineCall args, int batch,
                                                  PromptEmbeddings positive) {
        if (args.negativePromptEmbeds() != null) {
            return new PromptEmbeddings(given(m, args.negativePromptEmbeds(), dtype()),
                    given(m, args.sdxl().negativePooledPromptEmbeds(), dtype()));
        }
        if (args.negativePrompt() == null && forceZerosForEmptyPrompt) {
            return new PromptEmbeddings(positive.embeds().zerosLike(), positive.pooled().zerosLike());
        }
        List<String> negative = perPrompt(args.negativePrompt() == null || args.negativePrompt().isEmpty() ? List.of("")
                : args.negativePrompt(), batch, "negative_prompt");
        List<String> given2 = args.sdxl().negativePrompt2();
        List<String> negative2 = given2 == null || given2.isEmpty() ? negative
                : orDefault(perPrompt(given2, batch, "negative_prompt_2"), negative);
        PromptEmbeddings encoded = encode(m, orEmpty(negative), orEmpty(negative2), null);
        if (!forceZerosForEmptyPrompt || !negative.contains(null)) {
            return encoded;
        }
        float[] keep = new float[batch];
        for (int i = 0; i < batch; i++) {
            keep[i] = negative.get(i) == null ? 0f : 1f;
        }
        NDArray rows = m.create(keep).toType(dtype(), false);
        return new PromptEmbeddings(encoded.embeds().mul(rows.reshape(batch, 1, 1)),
                encoded.pooled().mul(rows.reshape(batch, 1)));
    }

    /** The (prompt, tokenizer, text encoder) pairs of encode_prompt, each with output_hidden_states. */
    private PromptEmbeddings encode(NDManager m, List<String> prompt, List<String> prompt2, Integer clipSkip) {
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
            CLIPTokenizer tok = tokenizers.get(i);
            NDArray ids = m.create(tok.encode(TextualInversionLoader.maybeConvertPrompts(prompts.get(i), tok))
                    .inputIds());
            CLIPTextEncoder encoder = encoders.get(i);
            CLIPTextOutput out = withAdapters(() -> encoder.forward(ids, null, true));
            hidden.add(out.hiddenState(layer));
            // pooled = output[0] of the last encoder: text_embeds of the CLIPTextModelWithProjection
            pooled = out.textEmbeds();
        }
        NDArray embeds = NDArrays.concat(hidden, -1);
        return new PromptEmbeddings(embeds.toType(dtype(), false), pooled.toType(dtype(), false));
    }

    static int[] orDefault(int[] value, int first, int second) {
        return value != null ? value : new int[] {first, second};
    }

    /**
     * One row of _get_add_time_ids ({@code [1, ids.length]} in the pipeline's dtype), after checking that
     * {@code addition_time_embed_dim * ids.length + projection_dim} is the UNet's {@code add_embedding.linear_1}
     * input size. {@code aestheticsHint}: img2img's messages for a vector one time id too long or too short.
     */
    protected NDArray timeIds(NDManager m, float[] ids, boolean aestheticsHint) {
        int projectionDim = textEncoder2.config().projectionDim;
        Integer timeDim = unet.config().additionTimeEmbedDim;
        int step = timeDim == null ? 0 : timeDim;
        Integer expected = unet.config().projectionClassEmbeddingsInputDim;
        int passed = step * ids.length + projectionDim;
        if (expected == null || expected != passed) {
            String prefix = "Model expects an added time embedding vector of length " + expected + ", but a vector of "
                    + passed + " was created. ";
            // one time id too many: the UNet wants the 5 of the aesthetics layout; one too few: the 6 with
            // target_size (diffusers 0.30.3 checks the same two cases but gives each the other's advice)
            if (aestheticsHint && expected != null && passed - expected == step) {
                throw new IllegalArgumentException(prefix + "The UNet expects the time ids of a refiner: set "
                        + "`requires_aesthetics_score` to true (model_index.json) so that `aesthetic_score` and "
                        + "`negative_aesthetic_score` are used instead of `target_size`.");
            }
            if (aestheticsHint && expected != null && expected - passed == step) {
                throw new IllegalArgumentException(prefix + "The UNet expects `target_size` in its time ids: set "
                        + "`requires_aesthetics_score` to false (model_index.json).");
            }
            throw new IllegalArgumentException(prefix + "The model has an incorrect config. Please check "
                    + "`unet.config.time_embedding_type` and `text_encoder_2.config.projection_dim`.");
        }
        return m.create(ids, new Shape(1, ids.length)).toType(dtype(), false);
    }

    /** Flattens (height, width) / (top, left) pairs and scalars into one time-ids row. */
    static float[] flatten(Object... parts) {
        List<Float> out = new ArrayList<>();
        for (Object p : parts) {
            if (p instanceof int[] pair) {
                for (int v : pair) {
                    out.add((float) v);
                }
            } else {
                out.add((float) (double) (Double) p);
            }
        }
        float[] ids = new float[out.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = out.get(i);
        }
        return ids;
    }

    /**
     * The shared denoising loop with {@code hooks} and the UNet's {@code added_cond_kwargs} ({@code text_embeds},
     * {@code time_ids}).
     */
    protected NDArray denoise(NDManager m, Scheduler scheduler, double[] timesteps, NDArray latents, PromptEmbeddings c,
                              NDArray timeIds, boolean doCfg, PipelineCall args, LoopHooks hooks) {
        Map<String, NDArray> added = Map.of("text_embeds", c.pooled(), "time_ids", timeIds);
        return denoise(m, scheduler, timesteps, latents, c.embeds(), doCfg, args, hooks.withAddedCondKwargs(added));
    }

    /**
     * _get_add_time_ids of the image pipelines, then {@code cat([negative.repeat(n, 1), positive.repeat(n, 1)])}
     * (blocks, unlike text-to-image's alternating rows). With {@code requires_aesthetics_score}: {@code
     * original_size + crops_coords_top_left + (aesthetic_score,)} and the negative sizes with the negative score;
     * else ending with {@code target_size}. The sizes default to {@code (height, width)} of the latents the loop
     * starts from, the negative ones to the positive ones; without aesthetics the negative row takes the positive
     * {@code crops_coords_top_left}, as diffusers 0.30.3 does.
     */
    protected NDArray imageTimeIds(NDManager m, SdxlArguments xl, NDArray latents, int total, boolean doCfg) {
        int height = (int) latents.getShape().get(2) * vaeScaleFactor();
        int width = (int) latents.getShape().get(3) * vaeScaleFactor();
        int[] original = orDefault(xl.originalSize(), height, width);
        int[] crops = orDefault(xl.cropsCoordsTopLeft(), 0, 0);
        int[] target = orDefault(xl.targetSize(), height, width);
        int[] negativeOriginal = xl.negativeOriginalSize() != null ? xl.negativeOriginalSize() : original;
        int[] negativeTarget = xl.negativeTargetSize() != null ? xl.negativeTargetSize() : target;
        float[] positive;
        float[] negative;
        if (requiresAestheticsScore()) {
            positive = flatten(original, crops, xl.aestheticScore() != null ? xl.aestheticScore()
                    : DEFAULT_AESTHETIC_SCORE);
            negative = flatten(negativeOriginal, orDefault(xl.negativeCropsCoordsTopLeft(), 0, 0),
                    xl.negativeAestheticScore() != null ? xl.negativeAestheticScore()
                            : DEFAULT_NEGATIVE_AESTHETIC_SCORE);
        } else {
            positive = flatten(original, crops, target);
            negative = flatten(negativeOriginal, crops, negativeTarget);
        }
        long[] reps = {total, 1};
        NDArray ids = timeIds(m, positive, true).tile(reps);
        return doCfg ? NDArrays.concat(new NDList(timeIds(m, negative, true).tile(reps), ids), 0) : ids;
    }

    /**
     * The image pipelines' denoising_start when it is valid (in (0, 1)), else null; an error when it is not below
     * a valid denoising_end.
     */
    static Double denoisingStart(SdxlArguments xl) {
        Double start = denoisingValueValid(xl.denoisingStart()) ? xl.denoisingStart() : null;
        Double end = xl.denoisingEnd();
        if (start != null && denoisingValueValid(end) && start >= end) {
            throw new IllegalArgumentException("`denoising_start`: " + start + " cannot be larger than or equal to "
                    + "`denoising_end`: " + end + " when using type float.");
        }
        return start;
    }

    /**
     * denoising_end in (0, 1): keep the timesteps {@code >= round(T - denoising_end * T)} (Python's round, half to
     * even) of the scheduler's schedule; any other value keeps them all.
     */
    static double[] denoisingEndTimesteps(Scheduler scheduler, double[] timesteps, Double denoisingEnd) {
        if (!denoisingValueValid(denoisingEnd)) {
            return timesteps;
        }
        double cutoff = discreteTimestepCutoff(scheduler, denoisingEnd);
        int n = 0;
        for (double t : timesteps) {
            if (t >= cutoff) {
                n++;
            }
        }
        return Arrays.copyOf(timesteps, n);
    }

    /** diffusers' {@code denoising_value_valid}: a value strictly inside (0, 1). */
    static boolean denoisingValueValid(Double value) {
        return value != null && value > 0 && value < 1;
    }

    /** {@code int(round(T - fraction * T))} with T = num_train_timesteps (Python's round: half to even). */
    static double discreteTimestepCutoff(Scheduler scheduler, double fraction) {
        int train = scheduler.config().numTrainTimesteps;
        return Math.rint(train - fraction * train);
    }

    /** latents * latents_std / scaling_factor + latents_mean when the VAE config has both, else / scaling_factor. */
    @Override
    protected NDArray unscaleLatents(NDArray latents) {
        if (vae.latentsMean() == null || vae.latentsStd() == null) {
            return latents.div((float) vae.scalingFactor());
        }
        return latents.mul(perChannel(latents, vae.latentsStd())).divi((float) vae.scalingFactor())
                .addi(perChannel(latents, vae.latentsMean()));
    }

    /** A VAE config list as a {@code [1, C, 1, 1]} array in {@code like}'s dtype. */
    static NDArray perChannel(NDArray like, List<Double> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (double) values.get(i);
        }
        return like.getManager().create(out, new Shape(1, out.length, 1, 1)).toType(like.getDataType(), false);
    }

    /** check_inputs of the SDXL pipelines beyond the shared ones. */
    @Override
    protected void checkPipelineInputs(PipelineCall call) {
        super.checkPipelineInputs(call);
        SdxlArguments xl = call.sdxl();
        if (call.promptEmbeds() != null && xl.pooledPromptEmbeds() == null) {
            throw new IllegalArgumentException("If `prompt_embeds` are provided, `pooled_prompt_embeds` also have to "
                    + "be passed");
        }
        if (call.negativePromptEmbeds() != null && xl.negativePooledPromptEmbeds() == null) {
            throw new IllegalArgumentException("If `negative_prompt_embeds` are provided, "
                    + "`negative_pooled_prompt_embeds` also have to be passed");
        }
        denoisingStart(xl);
    }
}
