// What diffusers' Stable Diffusion pipelines share ("# Copied from ... encode_prompt", prepare_latents, decode).
package io.diffusers4j.pipelines;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.index.NDIndex;
import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;
import io.diffusers4j.config.IntOrList;
import io.diffusers4j.config.ModelIndex;
import io.diffusers4j.hub.HubOptions;
import io.diffusers4j.image.VaeImageProcessor;
import io.diffusers4j.loaders.LoraLoader;
import io.diffusers4j.loaders.TextualInversionLoader;
import io.diffusers4j.models.clip.CLIPTextEncoder;
import io.diffusers4j.models.clip.CLIPTextOutput;
import io.diffusers4j.models.nn.Bf16Support;
import io.diffusers4j.models.nn.LoraLayers;
import io.diffusers4j.models.nn.LoraScale;
import io.diffusers4j.models.unet.UNet2DConditionModel;
import io.diffusers4j.models.unet.UNetInputs;
import io.diffusers4j.models.vae.VaeModel;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.Schedulers;
import io.diffusers4j.schedulers.SchedulerOutput;
import io.diffusers4j.tokenizers.CLIPTokenizer;
import io.diffusers4j.utils.RandnTensor;
import io.diffusers4j.utils.TorchGenerator;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Lock;
import java.util.function.Supplier;

/**
 * The parts every Stable Diffusion pipeline shares: components, the call defaults and checks of the contract,
 * prompt encoding with classifier-free guidance, initial noise, the guidance combination, the shared denoising loop
 * ({@link #denoise}, adapted per pipeline by {@link LoopHooks}), VAE encoding and decoding. Image and mask
 * preparation live in {@link ImageToImage} and {@link Inpainting}, which both families use.
 *
 * <p>Thread safety: a call uses its own copy of the scheduler and its own sub-manager, the models are stateless,
 * so concurrent calls on one pipeline are safe.
 */
public abstract class AbstractStableDiffusionPipeline extends DiffusionPipeline {
    protected final VaeModel vae;
    protected final CLIPTextEncoder textEncoder;
    protected final CLIPTokenizer tokenizer;
    protected final UNet2DConditionModel unet;
    protected volatile Scheduler scheduler;
    /** Parent of every call's sub-manager, on the pipeline's device. */
    protected final NDManager manager;
    private final boolean ownsComponents;
    /** Text-encoder output of repeated prompt rows (bounded; see {@link #setTextEmbeddingCacheSize}). */
    private final TextEmbeddingCache embeddingCache;
    /** Components this pipeline closes although it does not own all of them (copies made by {@link #to}). */
    private final List<AutoCloseable> adopted = new CopyOnWriteArrayList<>();

    protected AbstractStableDiffusionPipeline(StableDiffusionComponents c, boolean ownsComponents) {
        this(c.vae(), c.textEncoder(), c.tokenizer(), c.unet(), c.scheduler(), ownsComponents);
    }

    /** For pipelines whose first text encoder and tokenizer may be absent (the SDXL refiner); the rest is required. */
    protected AbstractStableDiffusionPipeline(VaeModel vae, CLIPTextEncoder textEncoder, CLIPTokenizer tokenizer,
                                              UNet2DConditionModel unet, Scheduler scheduler, boolean ownsComponents) {
        this.vae = vae;
        this.textEncoder = textEncoder;
        this.tokenizer = tokenizer;
        this.unet = unet;
        this.scheduler = scheduler;
        this.ownsComponents = ownsComponents;
        this.manager = NDManager.newBaseManager(ComponentLoader.deviceOf(unet));
        this.embeddingCache = new TextEmbeddingCache(manager, textEmbeddingCacheSize());
    }

    @Override
    public void setTextEmbeddingCacheSize(int rows) {
        super.setTextEmbeddingCacheSize(rows);
        embeddingCache.setCapacity(rows);
    }

    /** {hits, misses} of the text embedding cache, in prompt rows. */
    public long[] textEmbeddingCacheStats() {
        return embeddingCache.stats();
    }

    /** 2^(len(vae.config.block_out_channels) - 1). */
    public int vaeScaleFactor() {
        return vae.scaleFactor();
    }

    /** unet.config.sample_size * vae_scale_factor; an error when the UNet config has no sample_size. */
    public int defaultHeight() {
        return sampleSize().get(0) * vaeScaleFactor();
    }

    public int defaultWidth() {
        return sampleSize().get(sampleSize().size() - 1) * vaeScaleFactor();
    }

    private IntOrList sampleSize() {
        if (unet.config().sampleSize == null) {
            throw new IllegalArgumentException("the UNet config has no sample_size: pass height and width");
        }
        return unet.config().sampleSize;
    }

    /** diffusers' default {@code num_inference_steps} of this pipeline's {@code __call__}. */
    protected int defaultNumInferenceSteps() {
        return 50;
    }

    /** diffusers' default {@code guidance_scale} of this pipeline's {@code __call__}. */
    protected double defaultGuidanceScale() {
        return 7.5;
    }

    /** diffusers' default {@code strength} of this pipeline's {@code __call__}; null without an input image. */
    protected Double defaultStrength() {
        return null;
    }

    @Override
    public PipelineDefaults defaults() {
        boolean sized = acceptedArguments().contains(CallArgument.SIZE) && unet.config().sampleSize != null;
        return new PipelineDefaults(defaultNumInferenceSteps(), defaultGuidanceScale(), defaultStrength(),
                sized ? defaultHeight() : null, sized ? defaultWidth() : null, vaeScaleFactor());
    }

    /**
     * The (height, width) a resolved call produces: its size, or for image-to-image the input image's size rounded
     * down to the VAE factor (diffusers' {@code get_default_height_width}).
     */
    @Override
    public int[] outputSize(PipelineCall resolved) {
        if (resolved.height() == null || resolved.width() == null) {
            sampleSize();
        }
        return super.outputSize(resolved);
    }

    @Override
    public long[] outputShape(PipelineCall resolved, String outputType) {
        if (!outputType.equals("latent")) {
            return super.outputShape(resolved, outputType);
        }
        int[] size = outputSize(resolved);
        int f = vaeScaleFactor();
        return new long[] {vae.latentChannels(), size[0] / f, size[1] / f};
    }

    /** The UNet fits the pipeline, and sizes are multiples of the VAE factor (diffusers' check_inputs message). */
    @Override
    protected void checkPipelineInputs(PipelineCall call) {
        checkUnet();
        int[] size = outputSize(call);
        int f = sizeMultiple();
        if (size[0] % f != 0 || size[1] % f != 0) {
            throw new IllegalArgumentException("`height` and `width` have to be divisible by " + f + " but are "
                    + size[0] + " and " + size[1] + ".");
        }
    }

    /**
     * The UNet takes the VAE's latent channels; an inpainting pipeline's takes them or, besides, the mask and the
     * masked image's latents.
     */
    protected void checkUnet() {
        if (task() == PipelineTask.INPAINTING) {
            new Inpainting(this).checkUnet();
            return;
        }
        int unetChannels = unet.config().inChannels;
        int latentChannels = vae.latentChannels();
        if (unetChannels != latentChannels) {
            throw new IllegalArgumentException(className() + " needs a UNet with the VAE's " + latentChannels
                    + " latent input channels, but the UNet takes " + unetChannels + " (an inpainting UNet: run "
                    + "the inpainting pipeline with image and mask_image)");
        }
    }

    /** What height and width must be multiples of: the VAE factor. */
    protected int sizeMultiple() {
        return vaeScaleFactor();
    }

    public int unetInChannels() {
        return unet.config().inChannels;
    }

    @Override
    public Scheduler scheduler() {
        return scheduler;
    }

    /** diffusers' {@code __call__}: one generation with this pipeline's own arguments (image, mask, ...). */
    @Override
    public abstract ImagePipelineOutput call(PipelineCall call);

    @Override
    public void setScheduler(Scheduler replacement) {
        if (replacement == null) {
            throw new IllegalArgumentException("scheduler must not be null");
        }
        this.scheduler = replacement;
    }

    public VaeModel vae() {
        return vae;
    }

    public CLIPTextEncoder textEncoder() {
        return textEncoder;
    }

    public CLIPTokenizer tokenizer() {
        return tokenizer;
    }

    public UNet2DConditionModel unet() {
        return unet;
    }

    public Device device() {
        return manager.getDevice();
    }

    public DataType dtype() {
        return ComponentLoader.dtypeOf(unet);
    }

    /**
     * diffusers' {@code pipe.to(device, dtype)}: the models copied to {@code device} in {@code dtype}, as a new
     * pipeline of the same class that owns the copies (this one is unchanged; close it if no longer needed).
     * float16 is for CUDA; bfloat16 is the CPU autocast of {@link PipelineOptions#dtype(String)} (float32 weights,
     * bfloat16 compute), refused with the reason where {@link Bf16Support} refuses it.
     */
    public AbstractStableDiffusionPipeline to(Device device, DataType dtype) {
        if (dtype == DataType.BFLOAT16) {
            Bf16Support.require(device);
        }
        Map<String, Object> mine = components();
        Map<String, Object> copies = ComponentLoader.copyTo(mine, device, dtype);
        AbstractStableDiffusionPipeline moved;
        try {
            moved = (AbstractStableDiffusionPipeline) PipelineRegistry.require(className()).create(copies,
                    modelIndexKeys(), false);
        } catch (RuntimeException e) {
            copies.forEach((k, v) -> {
                if (v != mine.get(k)) {
                    ComponentLoader.closeAll(Map.of(k, v));
                }
            });
            throw e;
        }
        // the copies belong to the new pipeline; tokenizers and scheduler stay shared with this one
        copies.forEach((k, v) -> {
            if (v instanceof AutoCloseable c && v != mine.get(k)) {
                moved.adopted.add(c);
            }
        });
        moved.setProgressBar(progressBar());
        return moved;
    }

    @Override
    public Map<String, Object> components() {
        return new StableDiffusionComponents(vae, textEncoder, tokenizer, unet, scheduler).asMap();
    }

    /**
     * The model_index.json keys that are not loaded components: absent components ({@code [null, null]}) and
     * pipeline config values, as diffusers' {@code register_to_config} writes them.
     */
    @Override
    protected Map<String, JsonElement> modelIndexKeys() {
        Map<String, JsonElement> keys = new LinkedHashMap<>();
        keys.put("feature_extractor", ModelIndex.absent());
        keys.put("image_encoder", ModelIndex.absent());
        keys.put("requires_safety_checker", new JsonPrimitive(false));
        keys.put("safety_checker", ModelIndex.absent());
        return keys;
    }

    @Override
    public void enableAttentionSlicing(String sliceSize) {
        ComponentLoader.setAttentionSlicing(unet, sliceSize);
    }

    @Override
    public void disableAttentionSlicing() {
        ComponentLoader.setAttentionSlicing(unet, null);
    }

    @Override
    public void enableMemoryEfficientAttention() {
        ComponentLoader.setMemoryEfficient(unet, vae, true);
    }

    @Override
    public void disableMemoryEfficientAttention() {
        ComponentLoader.setMemoryEfficient(unet, vae, false);
    }

    @Override
    public void enableVaeSlicing() {
        vae.enableSlicing();
    }

    public void disableVaeSlicing() {
        vae.disableSlicing();
    }

    @Override
    public void enableVaeTiling() {
        vae.enableTiling();
    }

    public void disableVaeTiling() {
        vae.disableTiling();
    }

    // ---------------------------------------------------------------------------------------------------------
    // adapters

    /** The LoRA-loadable models: the UNet and the text encoder (diffusers' {@code _lora_loadable_modules}). */
    protected LoraLoader loraLoader() {
        Map<String, LoraLayers> encoders = new LinkedHashMap<>();
        if (textEncoder != null) {
            encoders.put("text_encoder", textEncoder.loraLayers());
        }
        return new LoraLoader(unet.loraLayers(), encoders, null, Set.of("text_encoder_2"));
    }

    /** The (tokenizer, text encoder) pairs textual inversions extend. */
    protected List<TextualInversionLoader.Encoder> textualInversionEncoders() {
        if (textEncoder == null) {
            throw new UnsupportedOperationException(className() + " has no text_encoder for textual inversion");
        }
        return List.of(new TextualInversionLoader.Encoder(tokenizer, textEncoder));
    }

    /** Runs {@code body} (a model forward) under the read lock that adapter changes wait for. */
    protected <T> T withAdapters(Supplier<T> body) {
        return LoraLoader.reading(unet.loraLayers(), body);
    }

    @Override
    public LoraLoader.AdapterInfo loadLoraWeights(String pathOrHubId, String weightName, String adapterName,
                                                  HubOptions hub) {
        return loraLoader().load(pathOrHubId, weightName, adapterName, hub);
    }

    @Override
    public void setAdapters(List<String> names, List<Double> weights) {
        loraLoader().setAdapters(names, weights);
    }

    @Override
    public void disableLora() {
        loraLoader().disable();
    }

    @Override
    public void enableLora() {
        loraLoader().enable();
    }

    @Override
    public void deleteAdapters(List<String> names) {
        loraLoader().delete(names);
    }

    @Override
    public void fuseLora(double scale, List<String> names) {
        loraLoader().fuse(scale, names);
    }

    @Override
    public void unfuseLora() {
        loraLoader().unfuse();
    }

    @Override
    public List<String> getActiveAdapters() {
        return loraLoader().activeAdapters();
    }

    @Override
    public Map<String, List<String>> getListAdapters() {
        return loraLoader().listAdapters();
    }

    @Override
    public TextualInversionLoader.Loaded loadTextualInversion(String pathOrHubId, String weightName, String token,
                                                             HubOptions hub) {
        List<TextualInversionLoader.Encoder> encoders = textualInversionEncoders();
        Lock lock = unet.loraLayers().lock().writeLock();
        lock.lock();
        try {
            embeddingCache.clear(); // the encoder's embedding table changes
            return TextualInversionLoader.load(pathOrHubId, weightName, token, encoders, hub);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<String> unloadTextualInversion() {
        List<TextualInversionLoader.Encoder> encoders = textualInversionEncoders();
        Lock lock = unet.loraLayers().lock().writeLock();
        lock.lock();
        try {
            embeddingCache.clear();
            return TextualInversionLoader.unload(encoders);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        super.close();
        embeddingCache.close();
        manager.close();
        if (ownsComponents) {
            ComponentLoader.closeAll(components());
        }
        for (AutoCloseable c : adopted) {
            ComponentLoader.closeAll(Map.of("adopted", c));
        }
        adopted.clear();
    }

    // ---------------------------------------------------------------------------------------------------------
    // encode_prompt

    /**
     * The UNet conditioning: {@code cat([negative, positive])} when guidance is on, else the positive embeds; the
     * text encoder's LoRA layers run with the call's {@code lora_scale}.
     */
    protected NDArray encodePrompt(NDManager m, PipelineCall args, int batchSize, boolean doCfg) {
        return LoraScale.with(args.loraScale(), () -> encodePromptScaled(m, args, batchSize, doCfg));
    }

    private NDArray encodePromptScaled(NDManager m, PipelineCall args, int batchSize, boolean doCfg) {
        int perPrompt = args.numImagesPerPrompt();
        NDArray positive;
        if (args.promptEmbeds() != null) {
            positive = args.promptEmbeds().toDevice(m.getDevice(), true);
            positive.attach(m);
        } else {
            positive = textEmbeddings(m, args.prompt(), args.clipSkip());
        }
        positive = repeatPerPrompt(positive, perPrompt);
        if (!doCfg) {
            return positive;
        }
        NDArray negative;
        if (args.negativePromptEmbeds() != null) {
            negative = args.negativePromptEmbeds().toDevice(m.getDevice(), true);
            negative.attach(m);
        } else {
            List<String> uncond = orEmpty(perPrompt(args.negativePrompt() == null ? List.of("")
                    : args.negativePrompt(), batchSize, "negative_prompt"));
            // diffusers encodes the negative prompt with the last hidden state even when clip_skip is set
            negative = textEmbeddings(m, uncond, null);
        }
        negative = repeatPerPrompt(negative, perPrompt);
        if (!negative.getShape().equals(positive.getShape())) {
            throw new IllegalArgumentException("negative_prompt_embeds " + negative.getShape()
                    + " and prompt_embeds " + positive.getShape() + " must have the same shape");
        }
        return NDArrays.concat(new NDList(negative, positive), 0);
    }

    /** One negative prompt for every prompt, or one per prompt (else an error naming {@code argument}). */
    protected static List<String> perPrompt(List<String> given, int batchSize, String argument) {
        if (given.size() == batchSize) {
            return given;
        }
        if (given.size() != 1) {
            throw new IllegalArgumentException(argument + " has batch size " + given.size()
                    + ", but prompt has batch size " + batchSize + ": give one " + argument.replace('_', ' ')
                    + " or one per prompt");
        }
        List<String> all = new ArrayList<>();
        for (int i = 0; i < batchSize; i++) {
            all.add(given.get(0));
        }
        return all;
    }

    /** {@code values} (null: {@code defaults}) with each null entry replaced by the same entry of {@code defaults}. */
    protected static List<String> orDefault(List<String> values, List<String> defaults) {
        if (values == null) {
            return defaults;
        }
        List<String> out = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            out.add(values.get(i) != null || i >= defaults.size() ? values.get(i) : defaults.get(i));
        }
        return out;
    }

    /** The prompts with every null entry (no negative prompt for that prompt) as "", diffusers' None. */
    protected static List<String> orEmpty(List<String> prompts) {
        List<String> out = new ArrayList<>(prompts.size());
        for (String p : prompts) {
            out.add(p == null ? "" : p);
        }
        return out;
    }

    /**
     * Tokenize (textual-inversion tokens expanded: {@code maybe_convert_prompt}; max_length padding, truncation with
     * a warning) and run the text encoder.
     */
    protected NDArray textEmbeddings(NDManager m, List<String> prompts, Integer clipSkip) {
        long[][] ids = tokenizer.encode(TextualInversionLoader.maybeConvertPrompts(prompts, tokenizer)).inputIds();
        if (textEncoderAdapted()) { // LoRA layers change the encoder's numbers for the same ids: never cached
            return encodeIds(m, ids, clipSkip);
        }
        return embeddingCache.get(m, textEncoder, clipSkip, dtype(), ids, rows -> encodeIds(m, rows, clipSkip));
    }

    /** Whether LoRA adapters are loaded into (or fused with) the text encoder. */
    private boolean textEncoderAdapted() {
        LoraLayers layers = textEncoder.loraLayers();
        return !layers.adapterNames().isEmpty() || layers.fused();
    }

    /** The text encoder on token ids (diffusers' encode_prompt after tokenization), in the pipeline's dtype. */
    private NDArray encodeIds(NDManager m, long[][] ids, Integer clipSkip) {
        NDArray input = m.create(ids);
        CLIPTextOutput out = withAdapters(() -> textEncoder.forward(input, null, clipSkip != null));
        NDArray embeds;
        if (clipSkip == null) {
            embeds = out.lastHiddenState();
        } else {
            List<NDArray> hidden = out.hiddenStates();
            // hidden_states[-(clip_skip + 1)], then the final layer norm (diffusers' encode_prompt)
            int index = hidden.size() - 1 - clipSkip;
            if (index < 0) {
                throw new IllegalArgumentException("clip_skip " + clipSkip + " is larger than the text encoder's "
                        + (hidden.size() - 1) + " layers");
            }
            embeds = textEncoder.finalLayerNorm(hidden.get(index));
        }
        embeds.attach(m);
        return embeds.getDataType() == dtype() ? embeds : embeds.toType(dtype(), false);
    }

    /**
     * prompt_embeds.repeat(1, n, 1).view(bs * n, seq, -1): each prompt's n copies stay together
     * ({@code [p0, p0, p1, p1]}), which is DJL's element-wise repeat along the batch axis.
     */
    protected static NDArray repeatPerPrompt(NDArray embeds, int n) {
        return n == 1 ? embeds : embeds.repeat(0, n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // latents and guidance

    /** prepare_latents: given latents, or randn_tensor(shape, generator) — then times init_noise_sigma. */
    protected NDArray prepareLatents(NDManager m, PipelineCall args, int batch, int channels, int height,
                                     int width, Scheduler scheduler) {
        Shape shape = new Shape(batch, channels, height / vaeScaleFactor(), width / vaeScaleFactor());
        NDArray latents;
        if (args.latents() == null) {
            checkGenerators(args.generators(), batch);
            latents = RandnTensor.randnTensor(m, shape, args.generators(), dtype());
        } else {
            if (!args.latents().getShape().equals(shape)) {
                throw new IllegalArgumentException("Unexpected latents shape, got " + args.latents().getShape()
                        + ", expected " + shape);
            }
            latents = given(m, args.latents(), dtype());
        }
        return latents.muli((float) scheduler.initNoiseSigma());
    }

    protected static void checkGenerators(List<TorchGenerator> gens, int batch) {
        if (gens != null && gens.size() > 1 && gens.size() != batch) {
            throw new IllegalArgumentException("You have passed a list of generators of length " + gens.size()
                    + ", but requested an effective batch size of " + batch
                    + ". Make sure the batch size matches the length of the generators.");
        }
    }

    /** noise_pred = uncond + scale * (text - uncond), then guidance_rescale like diffusers' rescale_noise_cfg. */
    protected static NDArray guide(NDArray noisePred, double scale, double rescale) {
        NDList halves = noisePred.split(2, 0);
        NDArray uncond = halves.get(0);
        NDArray text = halves.get(1);
        NDArray guided = text.sub(uncond).muli((float) scale).addi(uncond);
        if (rescale > 0) {
            guided = rescaleNoiseCfg(guided, text, rescale);
        }
        return guided;
    }

    /** Rescales guided noise to the text prediction's std (Lin et al. 2023, section 3.4); std is unbiased. */
    static NDArray rescaleNoiseCfg(NDArray noiseCfg, NDArray noiseText, double rescale) {
        NDArray stdText = std(noiseText);
        NDArray stdCfg = std(noiseCfg);
        NDArray rescaled = noiseCfg.mul(stdText.div(stdCfg));
        return rescaled.muli((float) rescale).addi(noiseCfg.mul((float) (1 - rescale)));
    }

    private static NDArray std(NDArray x) {
        long n = x.getShape().get(0);
        NDArray flat = x.reshape(n, -1);
        long count = flat.getShape().get(1);
        NDArray mean = flat.mean(new int[] {1}, true);
        NDArray var = flat.sub(mean).square().sum(new int[] {1}, true).divi((float) Math.max(1, count - 1));
        long[] keep = new long[x.getShape().dimension()];
        Arrays.fill(keep, 1);
        keep[0] = n;
        return var.sqrt().reshape(new Shape(keep));
    }

    /** What a pipeline adds to the shared denoising loop (inpainting: extra UNet channels, the mask blend). */
    protected interface LoopHooks {
        /** The UNet input after scale_model_input (e.g. concatenated with mask and masked-image latents). */
        default NDArray unetInput(NDArray scaled) {
            return scaled;
        }

        /** The latents after scheduler.step of iteration {@code i} (e.g. blended with the known region). */
        default NDArray afterStep(int i, NDArray latents) {
            return latents;
        }

        /**
         * Sees every scheduler.step output (e.g. the LCM pipeline keeps the last {@code denoised}); its arrays are
         * freed with the step unless the hook attaches what it keeps to a longer-lived manager.
         */
        default void onStepOutput(int i, SchedulerOutput out) {
        }

        /** The UNet's {@code added_cond_kwargs} for every step (SDXL: {@code text_embeds}, {@code time_ids}). */
        default Map<String, NDArray> addedCondKwargs() {
            return Map.of();
        }

        /** These hooks with {@code added} as the UNet's {@code added_cond_kwargs}. */
        default LoopHooks withAddedCondKwargs(Map<String, NDArray> added) {
            LoopHooks inner = this;
            return new LoopHooks() {
                @Override
                public NDArray unetInput(NDArray scaled) {
                    return inner.unetInput(scaled);
                }

                @Override
                public NDArray afterStep(int i, NDArray latents) {
                    return inner.afterStep(i, latents);
                }

                @Override
                public void onStepOutput(int i, SchedulerOutput out) {
                    inner.onStepOutput(i, out);
                }

                @Override
                public Map<String, NDArray> addedCondKwargs() {
                    return added;
                }
            };
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // the loop

    /**
     * diffusers' denoising loop: for each timestep, the CFG batch through one UNet call (with the guidance-scale
     * {@code timestep_cond} for a UNet with {@code time_cond_proj_dim}), guidance, scheduler step, the step-end
     * callback and progress. Each iteration runs in a sub-manager of {@code m}; only the new latents survive it
     * (attached to {@code m}).
     */
    protected NDArray denoise(NDManager m, Scheduler scheduler, double[] timesteps, NDArray latents,
                              NDArray promptEmbeds, boolean doCfg, PipelineCall args, LoopHooks hooks) {
        NDArray timestepCond = timestepCond(m, guidanceScale(args), (int) latents.getShape().get(0));
        return DenoisingLoop.run(m, timesteps, latents, args, progress(args), (step, i, t, current) -> {
            NDArray latentModelInput = hooks.unetInput(scheduler.scaleModelInput(cfgInput(current, doCfg), t));
            UNetInputs inputs = new UNetInputs(latentModelInput, timestep(step, t), promptEmbeds)
                    .timestepCond(timestepCond).addedCondKwargs(hooks.addedCondKwargs());
            NDArray noisePred = withAdapters(() -> LoraScale.with(args.loraScale(), () -> unet.forward(inputs)));
            if (doCfg) {
                noisePred = guide(noisePred, guidanceScale(args), args.guidanceRescale());
            }
            SchedulerOutput out = scheduler.step(noisePred, t, current, args.eta(), args.generators());
            hooks.onStepOutput(i, out);
            return hooks.afterStep(i, out.prevSample());
        });
    }

    /**
     * The UNet's {@code timestep_cond}: for a UNet with {@code time_cond_proj_dim}, the guidance-scale embedding of
     * {@code guidance_scale - 1} for each of the {@code batch} latents (in the pipeline's dtype); else null.
     */
    protected NDArray timestepCond(NDManager m, double guidanceScale, int batch) {
        Integer dim = unet.config().timeCondProjDim;
        if (dim == null) {
            return null;
        }
        NDArray emb = GuidanceScaleEmbedding.forGuidanceScale(m, guidanceScale, batch, dim);
        return emb.getDataType() == dtype() ? emb : emb.toType(dtype(), false);
    }

    /** Timestep as the UNet takes it: a 0-d float tensor. */
    protected static NDArray timestep(NDManager m, double t) {
        return m.create((float) t);
    }

    /** The latents with the CFG batch doubled: cat([latents] * 2). */
    protected static NDArray cfgInput(NDArray latents, boolean doCfg) {
        return doCfg ? NDArrays.concat(new NDList(latents, latents), 0) : latents;
    }

    /**
     * _encode_vae_image / retrieve_latents(sample_mode="sample"): with a generator list, image i is encoded and
     * sampled with generator i; otherwise the whole batch is encoded and sampled in one draw. Times scaling_factor.
     */
    protected NDArray encodeVaeImage(NDArray image, List<TorchGenerator> gens) {
        NDArray latents;
        if (gens != null && gens.size() > 1) {
            NDList parts = new NDList();
            for (int i = 0; i < image.getShape().get(0); i++) {
                NDArray one = image.get(new NDIndex("{}:{}", i, i + 1));
                parts.add(vae.retrieveLatents(one.toType(vae.dtype(), false), List.of(gens.get(i))));
            }
            latents = NDArrays.concat(parts, 0);
        } else {
            latents = vae.retrieveLatents(image.toType(vae.dtype(), false), gens);
        }
        return scaleLatents(latents).toType(dtype(), false);
    }

    /** The VAE's posterior sample as the UNet's latents: {@code x * scaling_factor}. */
    protected NDArray scaleLatents(NDArray x) {
        return x.muli((float) vae.scalingFactor());
    }

    // ---------------------------------------------------------------------------------------------------------
    // decode and output

    /** vae.decode(latents / scaling_factor (+ shift_factor)) then postprocess, or the latents for output "latent". */
    protected ImagePipelineOutput output(NDArray latents, String outputType) {
        if (outputType.equals("latent")) {
            return VaeOutput.latents(latents);
        }
        return VaeOutput.decode(vae, imageProcessor(), unscaleLatents(latents), outputType);
    }

    /** The latents as the VAE decodes them: {@code latents / scaling_factor (+ shift_factor)}. */
    protected NDArray unscaleLatents(NDArray latents) {
        return VaeOutput.unscale(vae, latents);
    }

    /** The pipeline's VaeImageProcessor (vae_scale_factor from the VAE config). */
    protected VaeImageProcessor imageProcessor() {
        return VaeImageProcessor.create(vaeScaleFactor());
    }

    /** The inpainting mask processor (grayscale, no normalisation, binarised). */
    protected VaeImageProcessor maskProcessor() {
        return VaeImageProcessor.forMask(vaeScaleFactor());
    }

    /** The call's guidance scale, else {@link #defaultGuidanceScale()}. */
    protected double guidanceScale(PipelineCall args) {
        return args.guidanceScale() != null ? args.guidanceScale() : defaultGuidanceScale();
    }


    /** diffusers' {@code do_classifier_free_guidance}: guidance_scale above 1 and no guidance-embedding UNet. */
    protected boolean doClassifierFreeGuidance(PipelineCall args) {
        return guidanceScale(args) > 1 && unet.config().timeCondProjDim == null;
    }

    /**
     * diffusers' {@code retrieve_timesteps} for the call: its custom {@code timesteps} / {@code sigmas} when given,
     * else {@code numInferenceSteps} spaced by the scheduler; returns the effective number of inference steps.
     */
    protected static int retrieveTimesteps(Scheduler scheduler, PipelineCall args) {
        return Schedulers.retrieveTimesteps(scheduler, args.numInferenceSteps(), args.timesteps(), args.sigmas());
    }

    /** The input images as the VAE's pixels: RGB, resized to {@code height} x {@code width}, in [-1, 1]. */
    protected NDArray preprocess(NDManager m, List<BufferedImage> images, int height, int width) {
        return PipelineImages.preprocess(imageProcessor(), m, images, height, width, dtype());
    }

}
