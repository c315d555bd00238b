// Port of diffusers.models.unets.unet_2d_condition.UNet2DConditionModel (SD 1.x / 2.x / XL configurations).
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.blocks.Attention;
import io.diffusers4j.models.blocks.CrossAttentionInputs;
import io.diffusers4j.models.blocks.ResnetArgs;
import io.diffusers4j.models.blocks.TimestepEmbedding;
import io.diffusers4j.models.blocks.TimestepEmbeddingConfig;
import io.diffusers4j.models.blocks.Timesteps;
import io.diffusers4j.models.blocks.UNetMidBlock2DConfig;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.Conv2d;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.models.nn.GroupNorm;
import io.diffusers4j.models.nn.LoraLayers;
import io.diffusers4j.weights.OwnedWeights;
import io.diffusers4j.weights.TensorSource;
import io.diffusers4j.weights.WeightLoadException;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static io.diffusers4j.models.unet.UNet2DConditionConfig.isTrue;

/**
 * The conditional 2-D UNet of Stable Diffusion, built from a {@link UNet2DConditionConfig} and a weight scope whose
 * keys are diffusers' ({@code down_blocks.1.attentions.0.proj_in.weight}, ...), computing what diffusers 0.30's
 * {@code UNet2DConditionModel.forward} computes.
 *
 * <p>Supported: down blocks {@value #SUPPORTED_DOWN}, mid blocks {@value #SUPPORTED_MID} or none, up blocks
 * {@value #SUPPORTED_UP}; positional time embeddings with optional {@code time_cond_proj_dim},
 * {@code time_embedding_act_fn}, {@code timestep_post_act}; {@code addition_embed_type} null or "text_time" (SDXL);
 * resnet time scale shift "default" or "scale_shift"; per-block heads, layers, transformer depth and cross-attention
 * dims; linear or 1x1-conv projections; {@code only_cross_attention}; {@code upcast_attention}; any in/out channels
 * and conv kernels. Anything else fails at construction with the offending value and the supported ones.
 *
 * <p>Memory: the weights live in one manager. Models made by {@link #load(UNet2DConditionConfig, TensorSource,
 * NDManager, DataType)} or {@link #randomInit} own a sub-manager of the manager passed in (capped after loading, so an
 * op that would put a result into it fails) and {@link #close()} frees the weights; a model made by
 * {@link #load(UNet2DConditionConfig, WeightScope)} uses the scope's manager, which stays the caller's, and
 * {@code close()} does nothing. Every forward call runs in a sub-manager of the sample's manager: all temporaries are
 * freed and only the result is attached to the sample's manager. Concurrent forwards are safe as long as they do
 * not share input arrays (inputs are temp-attached to the call's scope while it runs).
 */
public final class UNet2DConditionModel implements AutoCloseable {
    static final String SUPPORTED_DOWN = "DownBlock2D, CrossAttnDownBlock2D";
    static final String SUPPORTED_MID = "UNetMidBlock2DCrossAttn, UNetMidBlock2D";
    static final String SUPPORTED_UP = "UpBlock2D, CrossAttnUpBlock2D";

    private final UNet2DConditionConfig config;
    private final WeightScope weights;
    private final NDManager ownedManager;
    private final DataType dtype;
    private final AttentionOptions attentionOptions = new AttentionOptions();
    private final Conv2d convIn;
    private final Timesteps timeProj;
    private final TimestepEmbedding timeEmbedding;
    private final Timesteps addTimeProj;
    private final TimestepEmbedding addEmbedding;
    private final List<UNet2DBlocks.DownBlock> downBlocks = new ArrayList<>();
    private final UNet2DBlocks.MidBlock midBlock;
    private final List<UNet2DBlocks.UpBlock> upBlocks = new ArrayList<>();
    private final GroupNorm convNormOut;
    private final Conv2d convOut;
    private final int numUpsamplers;
    private final List<Attention> attentionModules = new ArrayList<>();
    private volatile LoraLayers loraLayers;

    private UNet2DConditionModel(UNet2DConditionConfig cfg, WeightScope root, NDManager owned) {
        cfg.validate();
        checkSupported(cfg);
        this.config = cfg;
        this.weights = root;
        this.ownedManager = owned;
        this.dtype = root.dtype();
        int n = cfg.numBlocks();
        int[] boc = cfg.blockOutChannels;
        int convInPad = (cfg.convInKernel - 1) / 2;
        this.convIn = Conv2d.load(root.pp("conv_in"), cfg.inChannels, boc[0], cfg.convInKernel, 1, convInPad);

        int timeEmbedDim = cfg.timeEmbedDim();
        this.timeProj = new Timesteps(root.manager(), boc[0], cfg.flipSinToCos, cfg.freqShift);
        this.timeEmbedding = new TimestepEmbedding(root.pp("time_embedding"), TimestepEmbeddingConfig.of(boc[0],
                timeEmbedDim).withActFn(cfg.actFn).withPostActFn(cfg.timestepPostAct)
                .withCondProjDim(cfg.timeCondProjDim));
        if ("text_time".equals(cfg.additionEmbedType)) {
            this.addTimeProj = new Timesteps(root.manager(), cfg.additionTimeEmbedDim, cfg.flipSinToCos,
                    cfg.freqShift);
            this.addEmbedding = new TimestepEmbedding(root.pp("add_embedding"),
                    TimestepEmbeddingConfig.of(cfg.projectionClassEmbeddingsInputDim, timeEmbedDim));
        } else {
            this.addTimeProj = null;
            this.addEmbedding = null;
        }

        List<CrossAttnConfig> attention = crossAttention(cfg);
        int[] layers = cfg.layersPerBlock.expand(n, "layers_per_block");
        int groups = cfg.normNumGroups;
        ResnetArgs resnetArgs = ResnetArgs.defaults().withResnetEps(cfg.normEps).withResnetActFn(cfg.actFn)
                .withResnetGroups(groups).withResnetTimeScaleShift(cfg.resnetTimeScaleShift);

        int output = boc[0];
        for (int i = 0; i < n; i++) {
            int input = output;
            output = boc[i];
            boolean last = i == n - 1;
            DownBlock2DConfig block = DownBlock2DConfig.of(input, output, timeEmbedDim).withNumLayers(layers[i])
                    .withResnetArgs(resnetArgs).withAddDownsample(!last).withDownsamplePadding(cfg.downsamplePadding);
            downBlocks.add(UNet2DBlocks.getDownBlock(cfg.downBlockTypes.get(i), root.pp("down_blocks").pp(i), block,
                    attention.get(i), attentionOptions));
        }
        UNetMidBlock2DConfig mid = UNetMidBlock2DConfig.of(boc[n - 1], timeEmbedDim)
                .withResnetArgs(resnetArgs.withOutputScaleFactor(cfg.midBlockScaleFactor));
        this.midBlock = UNet2DBlocks.getMidBlock(cfg.midBlockType, root.pp("mid_block"), mid,
                attention.get(n - 1).withOnlyCrossAttention(false), attentionOptions);

        int upsamplers = 0;
        output = boc[n - 1];
        for (int i = 0; i < n; i++) {
            int r = n - 1 - i;   // index into the non-reversed per-block lists
            boolean last = i == n - 1;
            int prev = output;
            output = boc[r];
            int input = boc[Math.max(r - 1, 0)];
            if (!last) {
                upsamplers++;
            }
            UpBlock2DConfig block = UpBlock2DConfig.of(input, prev, output, timeEmbedDim).withNumLayers(layers[r] + 1)
                    .withResnetArgs(resnetArgs).withAddUpsample(!last);
            upBlocks.add(UNet2DBlocks.getUpBlock(cfg.upBlockTypes.get(i), root.pp("up_blocks").pp(i), block,
                    attention.get(r), attentionOptions));
        }
        this.numUpsamplers = upsamplers;
        this.convNormOut = GroupNorm.load(root.pp("conv_norm_out"), groups, boc[0], cfg.normEps);
        int convOutPad = (cfg.convOutKernel - 1) / 2;
        this.convOut = Conv2d.load(root.pp("conv_out"), boc[0], cfg.outChannels, cfg.convOutKernel, 1, convOutPad);

        downBlocks.forEach(block -> attentionModules.addAll(block.attentions()));
        if (midBlock != null) {
            attentionModules.addAll(midBlock.attentions());
        }
        upBlocks.forEach(block -> attentionModules.addAll(block.attentions()));
    }

    /** The transformer arguments of each down block (index i) and of the up block that mirrors it. */
    private static List<CrossAttnConfig> crossAttention(UNet2DConditionConfig cfg) {
        int n = cfg.numBlocks();
        boolean[] onlyCross = cfg.onlyCrossAttention.expand(n, "only_cross_attention");
        int[] heads = cfg.headsPerBlock();
        int[] crossDim = cfg.crossAttentionDim == null ? null : cfg.crossAttentionDim.expand(n, "cross_attention_dim");
        int[] transformerLayers = cfg.transformerLayersPerBlock.expand(n, "transformer_layers_per_block");
        List<CrossAttnConfig> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(CrossAttnConfig.defaults().withTransformerLayersPerBlock(transformerLayers[i])
                    .withNumAttentionHeads(heads[i]).withCrossAttentionDim(crossDim == null ? null : crossDim[i])
                    .withUseLinearProjection(isTrue(cfg.useLinearProjection)).withOnlyCrossAttention(onlyCross[i])
                    .withUpcastAttention(isTrue(cfg.upcastAttention)));
        }
        return out;
    }

    /** Fails with the offending value and the supported ones for configurations this port does not build. */
    static void checkSupported(UNet2DConditionConfig cfg) {
        for (String type : cfg.downBlockTypes) {
            if (!UNet2DBlocks.isSupportedDown(type)) {
                throw new IllegalArgumentException("unsupported down block type '" + type + "' (supported: "
                        + SUPPORTED_DOWN + ")");
            }
        }
        for (String type : cfg.upBlockTypes) {
            if (!UNet2DBlocks.isSupportedUp(type)) {
                throw new IllegalArgumentException("unsupported up block type '" + type + "' (supported: "
                        + SUPPORTED_UP + ")");
            }
        }
        if (cfg.midBlockType != null && !UNet2DBlocks.MID_BLOCK_TYPES.contains(cfg.midBlockType)) {
            throw new IllegalArgumentException("unknown mid_block_type : " + cfg.midBlockType + " (supported: "
                    + SUPPORTED_MID + ", null)");
        }
        if (cfg.classEmbedType != null || cfg.numClassEmbeds != null) {
            throw new IllegalArgumentException("class_embed_type '" + cfg.classEmbedType + "' with num_class_embeds "
                    + cfg.numClassEmbeds + " is not supported (supported: class_embed_type null and "
                    + "num_class_embeds null)");
        }
        if (cfg.additionEmbedType != null && !cfg.additionEmbedType.equals("text_time")) {
            throw new IllegalArgumentException("addition_embed_type '" + cfg.additionEmbedType
                    + "' is not supported (supported: null, 'text_time')");
        }
        if (cfg.encoderHidDimType != null || cfg.encoderHidDim != null) {
            throw new IllegalArgumentException("encoder_hid_dim_type '" + cfg.encoderHidDimType + "' (encoder_hid_dim "
                    + cfg.encoderHidDim + ") is not supported (supported: null)");
        }
        if (!cfg.timeEmbeddingType.equals("positional")) {
            throw new IllegalArgumentException("time_embedding_type '" + cfg.timeEmbeddingType
                    + "' is not supported (supported: positional)");
        }
        if (!cfg.attentionType.equals("default")) {
            throw new IllegalArgumentException("attention_type '" + cfg.attentionType
                    + "' is not supported (supported: default)");
        }
        if (isTrue(cfg.dualCrossAttention)) {
            throw new IllegalArgumentException("dual_cross_attention true is not supported (supported: false)");
        }
        if (!cfg.resnetTimeScaleShift.equals("default") && !cfg.resnetTimeScaleShift.equals("scale_shift")) {
            throw new IllegalArgumentException("resnet_time_scale_shift '" + cfg.resnetTimeScaleShift
                    + "' is not supported (supported: default, scale_shift)");
        }
        // resnet_skip_time_act, resnet_out_scale_factor, cross_attention_norm and mid_block_only_cross_attention are
        // only read by the ResnetDownsampleBlock2D / SimpleCrossAttn families, so they do not affect these blocks
        if (cfg.normNumGroups == null) {
            throw new IllegalArgumentException("norm_num_groups null is not supported (supported: an int)");
        }
        if (cfg.reverseTransformerLayersPerBlock != null) {
            throw new IllegalArgumentException("reverse_transformer_layers_per_block "
                    + cfg.reverseTransformerLayersPerBlock + " (asymmetric UNets) is not supported (supported: null)");
        }
        Activations.check(cfg.actFn);
        if (cfg.timeEmbeddingActFn != null) {
            Activations.check(cfg.timeEmbeddingActFn);
        }
    }

    /** Builds the model on {@code root} without finishing it (call {@code root.finish()} for strict loading). */
    public static UNet2DConditionModel load(UNet2DConditionConfig cfg, WeightScope root) {
        return new UNet2DConditionModel(cfg, root, null);
    }

    /**
     * Loads strictly from {@code source} into a new sub-manager of {@code manager} that the model owns: throws
     * {@link WeightLoadException} listing every missing, unused and mis-shaped key.
     */
    public static UNet2DConditionModel load(UNet2DConditionConfig cfg, TensorSource source, NDManager manager,
                                            DataType dtype) {
        cfg.checkWeights(source);
        return OwnedWeights.load(source, manager, dtype, true, (root, owned) -> new UNet2DConditionModel(cfg, root,
                owned));
    }

    /** Seeded random weights (WeightScope.randomInit) in a new sub-manager of {@code manager} that the model owns. */
    public static UNet2DConditionModel randomInit(UNet2DConditionConfig cfg, long seed, NDManager manager,
                                                  DataType dtype) {
        return OwnedWeights.randomInit(seed, manager, dtype, true, (root, owned) -> new UNet2DConditionModel(cfg,
                root, owned));
    }

    public UNet2DConditionConfig config() {
        return config;
    }

    public DataType dtype() {
        return dtype;
    }

    /** The state dict (full key → tensor, in build order), for {@code save_pretrained}. */
    public Map<String, NDArray> stateDict() {
        return weights.tensors();
    }

    /** The options every attention module of this model computes with (slicing, memory-efficient chunking). */
    public AttentionOptions attentionOptions() {
        return attentionOptions;
    }

    /** The attention modules in diffusers' module order (down, mid, up). */
    public List<Attention> attentionModules() {
        return Collections.unmodifiableList(attentionModules);
    }

    /**
     * The LoRA state of this model: its linear and convolution layers by module path (diffusers' names), the
     * adapters loaded into them (peft's tuner on the UNet).
     */
    public LoraLayers loraLayers() {
        LoraLayers l = loraLayers;
        if (l == null) {
            synchronized (this) {
                if (loraLayers == null) {
                    loraLayers = new LoraLayers("unet", LoraLayers.targetsOf(weights.modules()));
                }
                l = loraLayers;
            }
        }
        return l;
    }

    /** {@code 2^numUpsamplers} is the factor sample sizes should be a multiple of. */
    public int numUpsamplers() {
        return numUpsamplers;
    }

    /** diffusers' {@code set_attention_slice("auto" | "max")}. */
    public void enableAttentionSlicing(String sliceSize) {
        switch (sliceSize) {
            case "auto" -> attentionOptions.sliceAuto();
            case "max" -> attentionOptions.sliceMax();
            default -> {
                try {
                    enableAttentionSlicing(Integer.parseInt(sliceSize));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("slice_size must be \"auto\", \"max\" or an int, got '"
                            + sliceSize + "'");
                }
            }
        }
    }

    /** diffusers' {@code set_attention_slice(int)}: every module must have at least {@code sliceSize} heads. */
    public void enableAttentionSlicing(int sliceSize) {
        if (sliceSize < 1) {
            throw new IllegalArgumentException("slice_size must be >= 1, got " + sliceSize);
        }
        for (Attention attention : attentionModules) {
            if (sliceSize > attention.heads()) {
                throw new IllegalArgumentException("size " + sliceSize + " has to be smaller or equal to "
                        + attention.heads() + ".");
            }
        }
        attentionOptions.sliceSize(sliceSize);
    }

    public void disableAttentionSlicing() {
        attentionOptions.disableSlicing();
    }

    /** Query-chunked attention (bounded score memory; same result up to float rounding). */
    public void enableMemoryEfficientAttention(boolean on) {
        attentionOptions.memoryEfficient(on);
    }

    /** {@code unet(sample, timestep, encoder_hidden_states).sample}. */
    public NDArray forward(NDArray sample, NDArray timestep, NDArray encoderHiddenStates) {
        return forward(new UNetInputs(sample, timestep, encoderHiddenStates));
    }

    /** With {@code added_cond_kwargs} (SDXL: {@code text_embeds} [B, D], {@code time_ids} [B, 6]). */
    public NDArray forward(NDArray sample, NDArray timestep, NDArray encoderHiddenStates,
                           Map<String, NDArray> addedCondKwargs) {
        return forward(new UNetInputs(sample, timestep, encoderHiddenStates).addedCondKwargs(addedCondKwargs));
    }

    /** A timestep given as a number (diffusers: a Python int or float). */
    public NDArray forward(NDArray sample, Number timestep, NDArray encoderHiddenStates) {
        try (NDManager tmp = sample.getManager().newSubManager()) {
            NDArray timesteps = timestep instanceof Double || timestep instanceof Float
                    ? tmp.create(new double[] {timestep.doubleValue()})
                    : tmp.create(new long[] {timestep.longValue()});
            return forward(sample, timesteps, encoderHiddenStates);
        }
    }

    /** The full call; the result ({@code [B, out_channels, H, W]}) is attached to the sample's manager. */
    public NDArray forward(UNetInputs in) {
        checkInputs(in);
        return ForwardScope.run(in.sample.getManager(), sub -> compute(sub, in), in.arrays());
    }

    private void checkInputs(UNetInputs in) {
        if (in.sample == null || in.timestep == null || in.encoderHiddenStates == null) {
            throw new IllegalArgumentException("sample, timestep and encoder_hidden_states are required");
        }
        Shape sampleShape = in.sample.getShape();
        if (sampleShape.dimension() != 4 || sampleShape.get(1) != config.inChannels) {
            throw new IllegalArgumentException("sample must be [batch, " + config.inChannels
                    + ", height, width], got " + sampleShape);
        }
        if (in.sample.getDataType() != dtype || in.encoderHiddenStates.getDataType() != dtype) {
            throw new IllegalArgumentException("the UNet runs in " + dtype + " but sample is "
                    + in.sample.getDataType() + " and encoder_hidden_states " + in.encoderHiddenStates.getDataType()
                    + "; cast the inputs to the model's dtype");
        }
        Shape encoderShape = in.encoderHiddenStates.getShape();
        if (encoderShape.dimension() != 3 || encoderShape.get(0) != sampleShape.get(0)) {
            throw new IllegalArgumentException("encoder_hidden_states must be [batch=" + sampleShape.get(0)
                    + ", sequence, dim], got " + encoderShape);
        }
        if (config.crossAttentionDim != null && !config.crossAttentionDim.isList()
                && encoderShape.get(2) != config.crossAttentionDim.value()) {
            throw new IllegalArgumentException("encoder_hidden_states has dim " + encoderShape.get(2)
                    + " but cross_attention_dim is " + config.crossAttentionDim.value());
        }
        long timesteps = in.timestep.getShape().size();
        if (in.timestep.getShape().dimension() > 1 || (timesteps != 1 && timesteps != sampleShape.get(0))) {
            throw new IllegalArgumentException("timestep must be 0-d, [1] or [batch=" + sampleShape.get(0)
                    + "], got shape " + in.timestep.getShape());
        }
    }

    private NDArray compute(NDManager sub, UNetInputs in) {
        NDArray sample = in.sample;
        long batch = sample.getShape().get(0);
        long factor = 1L << numUpsamplers;
        boolean forwardUpsampleSize = sample.getShape().get(2) % factor != 0
                || sample.getShape().get(3) % factor != 0;
        NDArray attentionMask = toBias(in.attentionMask);
        NDArray encoderAttentionMask = toBias(in.encoderAttentionMask);
        if (isTrue(config.centerInputSample)) {
            sample = sample.mul(2f).subi(1f);
        }

        // 1. time
        NDArray emb = timeEmbedding(in, batch);
        CrossAttentionInputs cond = new CrossAttentionInputs(in.encoderHiddenStates, attentionMask,
                encoderAttentionMask);

        // 2. pre-process
        NDArray h = convIn.forward(sample);

        // 3. down
        List<NDArray> res = new ArrayList<>();
        res.add(h);
        for (UNet2DBlocks.DownBlock block : downBlocks) {
            UNet2DBlocks.DownOutput out = block.forward(h, emb, cond);
            h = out.hidden();
            res.addAll(out.resSamples());
        }
        if (in.downBlockAdditionalResiduals != null) {
            if (in.downBlockAdditionalResiduals.size() != res.size()) {
                throw new IllegalArgumentException("down_block_additional_residuals has "
                        + in.downBlockAdditionalResiduals.size() + " tensors but the UNet has " + res.size()
                        + " skip connections");
            }
            for (int i = 0; i < res.size(); i++) {
                res.set(i, res.get(i).add(in.downBlockAdditionalResiduals.get(i)));
            }
        }

        // 4. mid
        if (midBlock != null) {
            h = midBlock.forward(h, emb, cond);
        }
        if (in.midBlockAdditionalResidual != null) {
            h = h.add(in.midBlockAdditionalResidual);
        }

        // 5. up
        long[] upsampleSize = null;
        for (int i = 0; i < upBlocks.size(); i++) {
            UNet2DBlocks.UpBlock block = upBlocks.get(i);
            boolean last = i == upBlocks.size() - 1;
            int k = block.numResnets();
            List<NDArray> mine = new ArrayList<>(res.subList(res.size() - k, res.size()));
            res.subList(res.size() - k, res.size()).clear();
            if (!last && forwardUpsampleSize) {
                Shape skipShape = res.get(res.size() - 1).getShape();
                upsampleSize = new long[] {skipShape.get(2), skipShape.get(3)};
            }
            NDArray next = block.forward(h, mine, emb, cond, upsampleSize);
            h.close();
            mine.forEach(NDArray::close);
            h = next;
        }

        // 6. post-process
        h = ForwardScope.replace(h, convNormOut.forward(h));
        h = ForwardScope.replace(h, Activations.applyInPlace(config.actFn, h));
        return ForwardScope.replace(h, convOut.forward(h));
    }

    /** {@code get_time_embed} + {@code time_embedding} + the addition embedding + {@code time_embed_act}. */
    private NDArray timeEmbedding(UNetInputs in, long batch) {
        NDArray timesteps = in.timestep.getShape().dimension() == 0 ? in.timestep.reshape(1) : in.timestep;
        if (timesteps.getShape().get(0) != batch) {
            timesteps = timesteps.broadcast(batch);
        }
        NDArray tEmb = timeProj.forward(timesteps);
        if (tEmb.getDataType() != dtype) {
            tEmb = ForwardScope.replace(tEmb, tEmb.toType(dtype, false));
        }
        NDArray emb = timeEmbedding.forward(tEmb, in.timestepCond);
        tEmb.close();
        if (addEmbedding != null) {
            NDArray aug = textTimeEmbedding(in);
            emb.addi(aug);
            aug.close();
        }
        if (config.timeEmbeddingActFn != null) {
            emb = ForwardScope.replace(emb, Activations.apply(config.timeEmbeddingActFn, emb));
        }
        return emb;
    }

    /** SDXL's {@code get_aug_embed} for addition_embed_type "text_time". */
    private NDArray textTimeEmbedding(UNetInputs in) {
        NDArray textEmbeds = in.addedCondKwargs.get("text_embeds");
        if (textEmbeds == null) {
            throw new IllegalArgumentException("UNet2DConditionModel has the config param `addition_embed_type` set "
                    + "to 'text_time' which requires the keyword argument `text_embeds` to be passed in "
                    + "`added_cond_kwargs`");
        }
        NDArray timeIds = in.addedCondKwargs.get("time_ids");
        if (timeIds == null) {
            throw new IllegalArgumentException("UNet2DConditionModel has the config param `addition_embed_type` set "
                    + "to 'text_time' which requires the keyword argument `time_ids` to be passed in "
                    + "`added_cond_kwargs`");
        }
        long b = textEmbeds.getShape().get(0);
        try (NDArray flat = timeIds.flatten(); NDArray timeEmbeds = addTimeProj.forward(flat);
             NDArray perRow = timeEmbeds.reshape(b, -1);
             NDArray text32 = textEmbeds.toType(DataType.FLOAT32, true);
             NDArray cat = NDArrays.concat(new NDList(text32, perRow), 1);
             NDArray addEmbeds = cat.toType(dtype, true)) {
            return addEmbedding.forward(addEmbeds, null);
        }
    }

    /** {@code (1 - mask.to(dtype)) * -10000.0} with a singleton query axis: [B, keys] → [B, 1, keys]. */
    private NDArray toBias(NDArray mask) {
        if (mask == null) {
            return null;
        }
        if (mask.getShape().dimension() != 2) {
            throw new IllegalArgumentException("attention masks must be [batch, keys], got " + mask.getShape());
        }
        NDArray bias = mask.toType(dtype, true);
        bias.negi().addi(1f).muli(-10000f);
        return bias.expandDims(1);
    }

    @Override
    public void close() {
        if (loraLayers != null) {
            loraLayers.close();
        }
        if (ownedManager != null) {
            ownedManager.close();
        }
    }
}
