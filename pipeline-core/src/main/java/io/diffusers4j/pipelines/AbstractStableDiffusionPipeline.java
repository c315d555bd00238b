// What diffusers' Stable Diffusion pipelines share ("# Copied from ... encode_prompt", prepare_latents, decode).
package io.diffusers4j.pipelines;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;
import io.diffusers4j.models.clip.CLIPTextEncoder;
import io.diffusers4j.models.clip.CLIPTextOutput;
import io.diffusers4j.image.VaeImageProcessor;
import io.diffusers4j.models.unet.UNet2DConditionModel;
import io.diffusers4j.models.unet.UNetInputs;
import io.diffusers4j.models.vae.AutoencoderKL;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.Schedulers;
import io.diffusers4j.schedulers.SchedulerOutput;
import io.diffusers4j.tokenizers.CLIPTokenizer;
import io.diffusers4j.utils.RandnTensor;
import io.diffusers4j.utils.TorchGenerator;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts every Stable Diffusion pipeline shares: components, prompt encoding with classifier-free guidance,
 * initial noise, the guidance combination, the shared denoising loop ({@link #denoise}, adapted per pipeline by
 * {@link LoopHooks}), VAE decoding and post-processing.
 *
 * <p>Thread safety: a call uses its own copy of the scheduler and its own sub-manager, the models are stateless,
 * so concurrent calls on one pipeline are safe.
 */
public abstract class AbstractStableDiffusionPipeline extends DiffusionPipeline {
    protected final AutoencoderKL vae;
    protected final CLIPTextEncoder textEncoder;
    protected final CLIPTokenizer tokenizer;
    protected final UNet2DConditionModel unet;
    protected volatile Scheduler scheduler;
    /** Parent of every call's sub-manager, on the pipeline's device. */
    protected final NDManager manager;
    private final boolean ownsComponents;
    /** Components this pipeline closes although it does not own all of them (copies made by {@link #to}). */
    private final List<AutoCloseable> adopted = new java.util.concurrent.CopyOnWriteArrayList<>();

    protected AbstractStableDiffusionPipeline(StableDiffusionComponents c, boolean ownsComponents) {
        this(c.vae(), c.textEncoder(), c.tokenizer(), c.unet(), c.scheduler(), ownsComponents);
    }

    /** For pipelines whose first text encoder and tokenizer may be absent (the SDXL refiner); the rest is required. */
    protected AbstractStableDiffusionPipeline(AutoencoderKL vae, CLIPTextEncoder textEncoder, CLIPTokenizer tokenizer,
                                              UNet2DConditionModel unet, Scheduler scheduler, boolean ownsComponents) {
        this.vae = vae;
        this.textEncoder = textEncoder;
        this.tokenizer = tokenizer;
        this.unet = unet;
        this.scheduler = scheduler;
        this.ownsComponents = ownsComponents;
        this.manager = NDManager.newBaseManager(ComponentLoader.deviceOf(unet));
    }

    /** 2^(len(vae.config.block_out_channels) - 1). */
    public int vaeScaleFactor() {
        return 1 << (vae.config().blockOutChannels.length - 1);
    }

    /** unet.config.sample_size * vae_scale_factor. */
    public int defaultHeight() {
        return sampleSize().get(0) * vaeScaleFactor();
    }

    public int defaultWidth() {
        return sampleSize().get(sampleSize().size() - 1) * vaeScaleFactor();
    }

    private io.diffusers4j.config.IntOrList sampleSize() {
        if (unet.config().sampleSize == null) {
            throw new IllegalArgumentException("the UNet config has no sample_size: pass height and width");
        }
        return unet.config().sampleSize;
    }

    public int unetInChannels() {
        return unet.config().inChannels;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    /** diffusers' {@code __call__}: one generation with this pipeline's own arguments (image, mask, ...). */
    public abstract ImagePipelineOutput call(StableDiffusionCall a);

    /** Swaps the scheduler ({@code pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config)}). */
    public void setScheduler(Scheduler s) {
        if (s == null) {
            throw new IllegalArgumentException("scheduler must not be null");
        }
        this.scheduler = s;
    }

    public AutoencoderKL vae() {
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
     * float16 is for CUDA; bfloat16 is refused (DJL 0.36 aborts on it).
     */
    public AbstractStableDiffusionPipeline to(Device device, DataType dtype) {
        if (dtype == DataType.BFLOAT16) {
            throw new IllegalArgumentException("dtype bfloat16 is not supported: DJL 0.36's PyTorch engine aborts the "
                    + "JVM on bfloat16 tensors; use float32 or float16");
        }
        Map<String, Object> mine = components();
        Map<String, Object> copies = ComponentLoader.copyTo(mine, device, dtype);
        AbstractStableDiffusionPipeline moved;
        try {
            moved = DiffusionPipeline.create(getClass().getSimpleName(), copies, modelIndexKeys(), false);
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
    protected Map<String, JsonElement> modelIndexKeys() {
        Map<String, JsonElement> keys = new LinkedHashMap<>();
        keys.put("feature_extractor", ModelIndex.absent());
        keys.put("image_encoder", ModelIndex.absent());
        keys.put("requires_safety_checker", new JsonPrimitive(false));
        keys.put("safety_checker", ModelIndex.absent());
        return keys;
    }

    /** diffusers' enable_attention_slicing: "auto" (half the heads), "max" (one head at a time) or a slice size. */
    public void enableAttentionSlicing(String sliceSize) {
        ComponentLoader.setAttentionSlicing(unet, sliceSize);
    }

    public void disableAttentionSlicing() {
        ComponentLoader.setAttentionSlicing(unet, null);
    }

    /** Query-chunked attention that never materialises the full score matrix. */
    public void enableMemoryEfficientAttention() {
        ComponentLoader.setMemoryEfficient(unet, vae, true);
    }

    public void disableMemoryEfficientAttention() {
        ComponentLoader.setMemoryEfficient(unet, vae, false);
    }

    public void enableVaeSlicing() {
        vae.enableSlicing();
    }

    public void disableVaeSlicing() {
        vae.disableSlicing();
    }

    public void enableVaeTiling() {
        vae.enableTiling();
    }

    public void disableVaeTiling() {
        vae.disableTiling();
    }

    @Override
    public void savePretrained(Path dir, String variant) throws IOException {
        PipelineSaver.save(this, getClass().getSimpleName(), dir, variant);
    }

    @Override
    public void close() {
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

    /** The UNet conditioning: {@code cat([negative, positive])} when guidance is on, else the positive embeds. */
    protected NDArray encodePrompt(NDManager m, StableDiffusionCall args, int batchSize, boolean doCfg) {
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
            List<String> uncond = perPrompt(args.negativePrompt() == null ? List.of("") : args.negativePrompt(),
                    batchSize, "negative_prompt");
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

    /** Tokenize (max_length padding, truncation with a warning) and run the text encoder. */
    protected NDArray textEmbeddings(NDManager m, List<String> prompts, Integer clipSkip) {
        long[][] ids = tokenizer.encode(prompts).inputIds();
        NDArray input = m.create(ids);
        CLIPTextOutput out = textEncoder.forward(input, null, clipSkip != null);
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
    protected NDArray prepareLatents(NDManager m, StableDiffusionCall args, int batch, int channels, int height,
                                     int width, Scheduler s) {
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
            latents = args.latents().toDevice(m.getDevice(), true).toType(dtype(), false);
            latents.attach(m);
        }
        return latents.muli((float) s.initNoiseSigma());
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
        java.util.Arrays.fill(keep, 1);
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
    // inpainting

    /** An inpainting UNet takes 4 channels (the blend) or latents + mask + masked-image latents. */
    protected void checkInpaintUnet() {
        int unetChannels = unet.config().inChannels;
        int latentChannels = vae.config().latentChannels;
        if (unetChannels != 4 && unetChannels != latentChannels * 2 + 1) {
            throw new IllegalArgumentException("The unet should have either 4 or " + (latentChannels * 2 + 1)
                    + " input channels, not " + unetChannels);
        }
    }

    /** prepare_latents of inpainting: the loop's first latents, the noise, and the image latents (or null). */
    protected record InpaintLatents(NDArray latents, NDArray noise, NDArray imageLatents) {
    }

    /**
     * prepare_latents of inpainting (return_noise, return_image_latents for a 4-channel UNet). The image latents
     * (VAE-encoded with the generators, repeated to the batch) when the 4-channel blend needs them or strength
     * below 1 starts from them; then, drawing the noise: strength 1 starts from noise * init_noise_sigma, below 1
     * from the image latents noised to {@code latentTimestep}; given latents are the noise (times
     * init_noise_sigma); without {@code addNoise} (SDXL's denoising_start) the noise is drawn but the loop starts
     * from the image latents.
     */
    protected InpaintLatents prepareInpaintLatents(NDManager m, StableDiffusionCall a, NDArray initImage, int batch,
                                                   int height, int width, double[] latentTimestep,
                                                   boolean isStrengthMax, boolean addNoise, Scheduler s) {
        checkGenerators(a.generators(), batch);
        Shape shape = new Shape(batch, vae.config().latentChannels, height / vaeScaleFactor(),
                width / vaeScaleFactor());
        NDArray imageLatents = null;
        if (unet.config().inChannels == 4 || (a.latents() == null && !isStrengthMax)) {
            imageLatents = StableDiffusionImg2ImgPipeline.repeatBatch(encodeVaeImage(initImage, a.generators()), batch,
                    "image");
        }
        if (a.latents() != null && addNoise) {
            NDArray noise = a.latents().toDevice(m.getDevice(), true).toType(dtype(), false);
            noise.attach(m);
            return new InpaintLatents(noise.mul((float) s.initNoiseSigma()), noise, imageLatents);
        }
        NDArray noise = RandnTensor.randnTensor(m, shape, a.generators(), dtype());
        if (!addNoise) {
            if (imageLatents == null) {
                throw new IllegalArgumentException("denoising_start with strength 1 and a 9-channel UNet has no image "
                        + "latents to start from; give a strength below 1");
            }
            return new InpaintLatents(imageLatents, noise, imageLatents);
        }
        NDArray latents = isStrengthMax ? noise.mul((float) s.initNoiseSigma())
                : s.addNoise(imageLatents, noise, latentTimestep);
        return new InpaintLatents(latents, noise, imageLatents);
    }

    /** prepare_mask_latents' outputs before the CFG doubling: the mask at latent size and the masked image's latents. */
    protected record MaskLatents(NDArray mask, NDArray maskedImageLatents) {
    }

    /**
     * The mask processor's binarised mask, {@code masked_image = image * (mask < 0.5)}, the mask resized (nearest)
     * to the latents and the masked image VAE-encoded with the generators, both repeated to {@code batch}.
     */
    protected MaskLatents prepareMaskLatents(NDManager m, NDArray initImage, List<java.awt.image.BufferedImage> maskImage,
                                             int height, int width, int batch, List<TorchGenerator> gens) {
        NDArray maskCondition = PipelineImages.preprocess(maskProcessor(), m, maskImage, height, width, dtype());
        NDArray keep = maskCondition.lt(0.5f).toType(initImage.getDataType(), false);
        NDArray maskedImage = initImage.mul(keep);
        NDArray mask = StableDiffusionImg2ImgPipeline.repeatBatch(PipelineImages.resizeNearest(maskCondition,
                height / vaeScaleFactor(), width / vaeScaleFactor()), batch, "mask");
        NDArray maskedImageLatents = StableDiffusionImg2ImgPipeline.repeatBatch(encodeVaeImage(maskedImage, gens),
                batch, "image");
        return new MaskLatents(mask, maskedImageLatents);
    }

    /**
     * The inpainting loop's hooks: a 9-channel UNet sees {@code cat([latents, mask, masked_image_latents])}; with a
     * 4-channel UNet, after every step the known region ({@code imageLatents} re-noised with {@code noise} to the
     * next timestep) is blended back: {@code (1 - mask) * known + mask * latents}.
     */
    protected LoopHooks inpaintHooks(Scheduler s, double[] timesteps, MaskLatents masks, NDArray imageLatents,
                                     NDArray noise, boolean doCfg) {
        boolean nineChannels = unet.config().inChannels != 4;
        NDArray maskCfg = cfgInput(masks.mask(), doCfg);
        NDArray maskedCfg = cfgInput(masks.maskedImageLatents(), doCfg);
        NDArray mask = masks.mask();
        int total = (int) mask.getShape().get(0);
        return new LoopHooks() {
            @Override
            public NDArray unetInput(NDArray scaled) {
                return nineChannels ? NDArrays.concat(new NDList(scaled, maskCfg, maskedCfg), 1) : scaled;
            }

            @Override
            public NDArray afterStep(int i, NDArray next) {
                if (nineChannels) {
                    return next;
                }
                NDArray initLatentsProper = imageLatents;
                if (i < timesteps.length - 1) {
                    double[] noiseTimestep = new double[total];
                    java.util.Arrays.fill(noiseTimestep, timesteps[i + 1]);
                    initLatentsProper = s.addNoise(imageLatents, noise, noiseTimestep);
                }
                return next.mul(mask).addi(initLatentsProper.mul(mask.neg().addi(1f)));
            }
        };
    }

    /**
     * diffusers' denoising loop: for each timestep, the CFG batch through one UNet call (with the guidance-scale
     * {@code timestep_cond} for a UNet with {@code time_cond_proj_dim}), guidance, scheduler step, the step-end
     * callback and progress. Each iteration runs in a sub-manager of {@code m}; only the new latents survive it
     * (attached to {@code m}).
     */
    protected NDArray denoise(NDManager m, Scheduler s, double[] timesteps, NDArray latents, NDArray promptEmbeds,
                              boolean doCfg, StableDiffusionCall a, LoopHooks hooks) {
        NDArray timestepCond = timestepCond(m, guidanceScale(a), (int) latents.getShape().get(0));
        ProgressListener progress = progress(a);
        progress.start(timesteps.length);
        try {
            for (int i = 0; i < timesteps.length; i++) {
                double t = timesteps[i];
                try (NDManager step = m.newSubManager()) {
                    latents.attach(step);
                    NDArray latentModelInput = hooks.unetInput(s.scaleModelInput(cfgInput(latents, doCfg), t));
                    NDArray noisePred = unet.forward(new UNetInputs(latentModelInput, timestep(step, t), promptEmbeds)
                            .timestepCond(timestepCond).addedCondKwargs(hooks.addedCondKwargs()));
                    if (doCfg) {
                        noisePred = guide(noisePred, guidanceScale(a), a.guidanceRescale());
                    }
                    SchedulerOutput out = s.step(noisePred, t, latents, a.eta(), a.generators());
                    hooks.onStepOutput(i, out);
                    NDArray next = hooks.afterStep(i, out.prevSample());
                    if (a.callbackOnStepEnd() != null) {
                        next = a.callbackOnStepEnd().onStepEnd(i, t, next);
                    }
                    next.attach(m);
                    latents = next;
                }
                progress.step(i + 1, timesteps.length);
            }
        } finally {
            progress.end();
        }
        return latents;
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
                NDArray one = image.get(new ai.djl.ndarray.index.NDIndex("{}:{}", i, i + 1));
                parts.add(vae.encode(one.toType(vae.dtype(), false)).sample(List.of(gens.get(i))));
            }
            latents = NDArrays.concat(parts, 0);
        } else {
            latents = vae.encode(image.toType(vae.dtype(), false)).sample(gens);
        }
        return scaleLatents(latents).toType(dtype(), false);
    }

    /** The VAE's posterior sample as the UNet's latents: {@code x * scaling_factor}. */
    protected NDArray scaleLatents(NDArray x) {
        return x.muli((float) vae.config().scalingFactor);
    }

    // ---------------------------------------------------------------------------------------------------------
    // decode and output

    /** vae.decode(latents / scaling_factor (+ shift_factor)) then postprocess, or the latents for output "latent". */
    protected ImagePipelineOutput output(NDArray latents, String outputType) {
        if (outputType.equals("latent")) {
            return new ImagePipelineOutput("latent", latents.toType(DataType.FLOAT32, false).toFloatArray(),
                    latents.getShape().getShape());
        }
        NDArray z = unscaleLatents(latents);
        // a float32 (force_upcast) VAE under a float16 pipeline decodes float32 latents, as diffusers' upcast_vae
        NDArray nhwc = imageProcessor().postprocessNp(vae.decode(z.toType(vae.dtype(), false)));
        return new ImagePipelineOutput(outputType, nhwc.toFloatArray(), nhwc.getShape().getShape());
    }

    /** The latents as the VAE decodes them: {@code latents / scaling_factor (+ shift_factor)}. */
    protected NDArray unscaleLatents(NDArray latents) {
        NDArray z = latents.div((float) vae.config().scalingFactor);
        if (vae.config().shiftFactor != null) {
            z = z.addi((float) (double) vae.config().shiftFactor);
        }
        return z;
    }

    /** The pipeline's VaeImageProcessor (vae_scale_factor from the VAE config). */
    protected VaeImageProcessor imageProcessor() {
        return VaeImageProcessor.create(vaeScaleFactor());
    }

    /** The inpainting mask processor (grayscale, no normalisation, binarised). */
    protected VaeImageProcessor maskProcessor() {
        return VaeImageProcessor.forMask(vaeScaleFactor());
    }

    protected static void checkOutputType(String outputType) {
        if (!List.of("pil", "np", "latent").contains(outputType)) {
            throw new IllegalArgumentException("output_type must be pil, np or latent, got '" + outputType + "'");
        }
    }

    /** check_inputs shared by every Stable Diffusion pipeline. */
    protected void checkInputs(StableDiffusionCall a, int height, int width) {
        int f = vaeScaleFactor();
        if (height % f != 0 || width % f != 0) {
            throw new IllegalArgumentException("height and width have to be divisible by the VAE factor " + f
                    + " but are " + height + " and " + width);
        }
        if (a.numInferenceSteps() < 1) {
            throw new IllegalArgumentException("num_inference_steps must be >= 1, got " + a.numInferenceSteps());
        }
        if (a.numImagesPerPrompt() < 1) {
            throw new IllegalArgumentException("num_images_per_prompt must be >= 1, got " + a.numImagesPerPrompt());
        }
        // the guidance is applied in float32: a finite double beyond float range would become inf and turn every
        // latent into NaN (a black image), so it is refused like NaN and inf (diffusers does not check)
        double guidance = guidanceScale(a);
        if (!Double.isFinite(guidance) || !Float.isFinite((float) guidance)) {
            throw new IllegalArgumentException("guidance_scale must be a finite float32 number, got " + guidance);
        }
        if (!Double.isFinite(a.guidanceRescale()) || !Float.isFinite((float) a.guidanceRescale())) {
            throw new IllegalArgumentException("guidance_rescale must be a finite float32 number, got "
                    + a.guidanceRescale());
        }
        boolean hasPrompt = a.prompt() != null && !a.prompt().isEmpty();
        if (hasPrompt && a.promptEmbeds() != null) {
            throw new IllegalArgumentException("Cannot forward both prompt and prompt_embeds; give only one");
        }
        if (!hasPrompt && a.promptEmbeds() == null) {
            throw new IllegalArgumentException("Provide either prompt or prompt_embeds");
        }
        if (a.negativePrompt() != null && a.negativePromptEmbeds() != null) {
            throw new IllegalArgumentException("Cannot forward both negative_prompt and negative_prompt_embeds");
        }
        checkOutputType(a.outputType());
        String sdxlOnly = a.sdxl().firstSet();
        if (sdxlOnly != null && !acceptsSdxlArguments()) {
            throw new IllegalArgumentException(sdxlOnly + " is an argument of the StableDiffusionXL pipelines, not of "
                    + getClass().getSimpleName());
        }
    }

    /** Whether {@link StableDiffusionCall#sdxl()} arguments apply to this pipeline. */
    protected boolean acceptsSdxlArguments() {
        return false;
    }

    /** diffusers' default {@code guidance_scale} of this pipeline's {@code __call__}. */
    public double defaultGuidanceScale() {
        return 7.5;
    }

    /** The call's guidance scale, else {@link #defaultGuidanceScale()}. */
    protected double guidanceScale(StableDiffusionCall a) {
        return a.guidanceScale() != null ? a.guidanceScale() : defaultGuidanceScale();
    }

    /** The call's progress listener, else the pipeline's (diffusers' set_progress_bar_config). */
    protected ProgressListener progress(StableDiffusionCall a) {
        return a.progress() != null ? a.progress() : progressBar();
    }

    protected int batchSize(StableDiffusionCall a) {
        return a.promptEmbeds() != null ? (int) a.promptEmbeds().getShape().get(0) : a.prompt().size();
    }

    /** diffusers' {@code do_classifier_free_guidance}: guidance_scale above 1 and no guidance-embedding UNet. */
    protected boolean doClassifierFreeGuidance(StableDiffusionCall a) {
        return guidanceScale(a) > 1 && unet.config().timeCondProjDim == null;
    }

    /** This call's own copy of its scheduler (the call's, else the pipeline's): calls never share scheduler state. */
    protected Scheduler callScheduler(StableDiffusionCall a) {
        return (a.scheduler() != null ? a.scheduler() : scheduler).copy();
    }

    /**
     * diffusers' {@code retrieve_timesteps} for the call: its custom {@code timesteps} / {@code sigmas} when given,
     * else {@code numInferenceSteps} spaced by the scheduler; returns the effective number of inference steps.
     */
    protected static int retrieveTimesteps(Scheduler s, StableDiffusionCall a) {
        return Schedulers.retrieveTimesteps(s, a.numInferenceSteps(), a.timesteps(), a.sigmas());
    }

}
