// Port of diffusers.models.transformers.transformer_flux.FluxTransformer2DModel (diffusers 0.30.3).
package io.diffusers4j.models.transformers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.OwnedModel;
import io.diffusers4j.models.blocks.AdaLayerNormContinuous;
import io.diffusers4j.models.blocks.CombinedTimestepGuidanceTextProjEmbeddings;
import io.diffusers4j.models.blocks.CombinedTimestepTextProjEmbeddings;
import io.diffusers4j.models.blocks.EmbedND;
import io.diffusers4j.models.blocks.RotaryEmbedding;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.weights.OwnedWeights;
import io.diffusers4j.weights.TensorSource;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The FLUX.1 transformer: packed latent tokens {@code [B, N, in_channels]} ({@code x_embedder}) and projected text
 * tokens ({@code context_embedder}) go through {@code num_layers} double-stream {@link FluxTransformerBlock}s, then,
 * concatenated (text first), through {@code num_single_layers} {@link FluxSingleTransformerBlock}s; the image tokens
 * are normalised ({@code norm_out}) and projected ({@code proj_out}) to {@code [B, N, patch^2 * in_channels]}. The
 * conditioning is the timestep (and, for guidance-distilled checkpoints, the guidance scale), both multiplied by 1000
 * as diffusers does, plus the pooled text embedding ({@code time_text_embed}); positions are rotary, from the text and
 * image ids ({@code pos_embed}, {@link EmbedND}). Weights are diffusers' keys
 * ({@code single_transformer_blocks.7.attn.norm_q.weight}, ...).
 *
 * <p>Not ported: ControlNet residuals (not in 0.30.3's forward either), LoRA scales through
 * {@code joint_attention_kwargs}, gradient checkpointing.
 *
 * <p>Compute happens in the weights' dtype (float32 on the CPU, float16 on CUDA; never bfloat16), with the rotary
 * embedding and the q/k RMS norms in float32 and float16 activations clipped to +-65504 where diffusers clips them.
 * Memory: the weights live in a sub-manager the model owns (capped once built); every forward runs in a sub-manager
 * of the hidden states' manager and each block in a sub-manager of that.
 */
public final class FluxTransformer2DModel extends OwnedModel<FluxTransformer2DConfig> {
    private final AttentionOptions attentionOptions = new AttentionOptions();
    private final EmbedND posEmbed;
    private final CombinedTimestepTextProjEmbeddings timeTextEmbed;
    private final CombinedTimestepGuidanceTextProjEmbeddings timeGuidanceTextEmbed;
    private final Linear contextEmbedder;
    private final Linear xEmbedder;
    private final List<FluxTransformerBlock> transformerBlocks = new ArrayList<>();
    private final List<FluxSingleTransformerBlock> singleTransformerBlocks = new ArrayList<>();
    private final AdaLayerNormContinuous normOut;
    private final Linear projOut;

    private FluxTransformer2DModel(FluxTransformer2DConfig cfg, WeightScope root, NDManager owned) {
        super(cfg, root, owned);
        cfg.validate();
        int inner = cfg.innerDim();
        this.posEmbed = new EmbedND(10000, cfg.axesDimsRope);
        WeightScope time = root.pp("time_text_embed");
        this.timeGuidanceTextEmbed = cfg.guidanceEmbeds
                ? new CombinedTimestepGuidanceTextProjEmbeddings(time, inner, cfg.pooledProjectionDim) : null;
        this.timeTextEmbed = cfg.guidanceEmbeds ? null
                : new CombinedTimestepTextProjEmbeddings(time, inner, cfg.pooledProjectionDim);
        this.contextEmbedder = Linear.load(root.pp("context_embedder"), cfg.jointAttentionDim, inner, true);
        this.xEmbedder = Linear.load(root.pp("x_embedder"), cfg.inChannels, inner, true);
        for (int i = 0; i < cfg.numLayers; i++) {
            transformerBlocks.add(new FluxTransformerBlock(root.pp("transformer_blocks").pp(i), inner,
                    cfg.numAttentionHeads, cfg.attentionHeadDim, attentionOptions));
        }
        for (int i = 0; i < cfg.numSingleLayers; i++) {
            singleTransformerBlocks.add(new FluxSingleTransformerBlock(root.pp("single_transformer_blocks").pp(i),
                    inner, cfg.numAttentionHeads, cfg.attentionHeadDim, attentionOptions));
        }
        this.normOut = new AdaLayerNormContinuous(root.pp("norm_out"), inner, inner, false, 1e-6, true);
        this.projOut = Linear.load(root.pp("proj_out"), inner, cfg.outFeatures(), true);
    }

    /**
     * Loads strictly from {@code source} (every missing, unused or mis-shaped key fails, listed) into a new
     * sub-manager of {@code manager} that the model owns; the config's sizes are checked against the checkpoint's
     * header first.
     */
    public static FluxTransformer2DModel load(FluxTransformer2DConfig cfg, TensorSource source, NDManager manager,
                                              DataType dtype) {
        cfg.validate();
        cfg.checkWeights(source);
        return OwnedWeights.load(source, manager, dtype, true, (root, owned) -> new FluxTransformer2DModel(cfg, root,
                owned));
    }

    /** Seeded random weights ({@link WeightScope#randomInit}) in a new sub-manager of {@code manager}. */
    public static FluxTransformer2DModel randomInit(FluxTransformer2DConfig cfg, long seed, NDManager manager,
                                                    DataType dtype) {
        cfg.validate();
        return OwnedWeights.randomInit(seed, manager, dtype, true, (root, owned) -> new FluxTransformer2DModel(cfg,
                root, owned));
    }

    /** The options every attention of the model computes with (slicing, memory-efficient / fused kernels). */
    public AttentionOptions attentionOptions() {
        return attentionOptions;
    }

    /** {@code pos_embed}. */
    public EmbedND posEmbed() {
        return posEmbed;
    }

    /** {@code x_embedder}. */
    public Linear xEmbedder() {
        return xEmbedder;
    }

    /** {@code context_embedder}. */
    public Linear contextEmbedder() {
        return contextEmbedder;
    }

    /** {@code transformer_blocks} (double-stream), in order. */
    public List<FluxTransformerBlock> transformerBlocks() {
        return Collections.unmodifiableList(transformerBlocks);
    }

    /** {@code single_transformer_blocks}, in order. */
    public List<FluxSingleTransformerBlock> singleTransformerBlocks() {
        return Collections.unmodifiableList(singleTransformerBlocks);
    }

    /** {@code norm_out}. */
    public AdaLayerNormContinuous normOut() {
        return normOut;
    }

    /**
     * {@code time_text_embed(timestep, [guidance,] pooled_projections)} on values already multiplied by 1000 (what
     * the model's forward hands it); {@code guidance} is required exactly when {@code guidance_embeds}.
     */
    public NDArray timeTextEmbed(NDArray timestep, NDArray guidance, NDArray pooledProjections) {
        return timeGuidanceTextEmbed != null ? timeGuidanceTextEmbed.forward(timestep, guidance, pooledProjections)
                : timeTextEmbed.forward(timestep, pooledProjections);
    }

    /**
     * {@code transformer(hidden_states, encoder_hidden_states, pooled_projections, timestep, img_ids, txt_ids,
     * guidance).sample}: {@code hiddenStates [B, N, in_channels]} (packed latents), {@code encoderHiddenStates
     * [B, T, joint_attention_dim]}, {@code pooledProjections [B, pooled_projection_dim]} (all in the model's dtype),
     * {@code timestep [B]} (or {@code [1]}, a scalar) already divided by 1000 as FluxPipeline passes it,
     * {@code guidanceOrNull [B]} (the guidance scale; required exactly when {@code guidance_embeds}), {@code txtIds
     * [B, T, 3]} and {@code imgIds [B, N, 3]} as 0.30.3's FluxPipeline builds them (also accepted without the batch
     * axis, {@code [T, 3]} / {@code [N, 3]}). Returns {@code [B, N, patch^2 * in_channels]} attached to the hidden
     * states' manager.
     */
    public NDArray forward(NDArray hiddenStates, NDArray encoderHiddenStates, NDArray pooledProjections,
                           NDArray timestep, NDArray guidanceOrNull, NDArray txtIds, NDArray imgIds) {
        checkInputs(hiddenStates, encoderHiddenStates, pooledProjections, timestep, guidanceOrNull, txtIds, imgIds);
        return ForwardScope.run(hiddenStates.getManager(), sub -> compute(hiddenStates, encoderHiddenStates,
                pooledProjections, timestep, guidanceOrNull, txtIds, imgIds), hiddenStates, encoderHiddenStates,
                pooledProjections, timestep, guidanceOrNull, txtIds, imgIds);
    }

    private void checkInputs(NDArray hidden, NDArray encoder, NDArray pooled, NDArray timestep, NDArray guidance,
                             NDArray txtIds, NDArray imgIds) {
        FluxTransformer2DConfig cfg = config();
        if (hidden == null || encoder == null || pooled == null || timestep == null || txtIds == null
                || imgIds == null) {
            throw new IllegalArgumentException("hidden_states, encoder_hidden_states, pooled_projections, timestep, "
                    + "txt_ids and img_ids are required");
        }
        Shape h = hidden.getShape();
        if (h.dimension() != 3 || h.get(2) != cfg.inChannels || h.get(1) < 1) {
            throw new IllegalArgumentException("hidden_states must be [batch, tokens, " + cfg.inChannels
                    + "] (packed latents), got " + h);
        }
        long batch = h.get(0);
        Shape e = encoder.getShape();
        if (e.dimension() != 3 || e.get(0) != batch || e.get(2) != cfg.jointAttentionDim) {
            throw new IllegalArgumentException("encoder_hidden_states must be [batch=" + batch + ", sequence, "
                    + cfg.jointAttentionDim + "], got " + e);
        }
        Shape p = pooled.getShape();
        if (p.dimension() != 2 || p.get(0) != batch || p.get(1) != cfg.pooledProjectionDim) {
            throw new IllegalArgumentException("pooled_projections must be [batch=" + batch + ", "
                    + cfg.pooledProjectionDim + "], got " + p);
        }
        TransformerInputs.checkTimestep(timestep, batch, "timestep");
        if (cfg.guidanceEmbeds && guidance == null) {
            throw new IllegalArgumentException("this FluxTransformer2DModel has guidance_embeds true (a "
                    + "guidance-distilled model such as FLUX.1-dev): pass the guidance scale as guidance [batch]");
        }
        if (!cfg.guidanceEmbeds && guidance != null) {
            throw new IllegalArgumentException("this FluxTransformer2DModel has guidance_embeds false (such as "
                    + "FLUX.1-schnell): it takes no guidance, got shape " + guidance.getShape());
        }
        if (guidance != null) {
            TransformerInputs.checkTimestep(guidance, batch, "guidance");
        }
        checkIds(txtIds, "txt_ids", e.get(1), batch);
        checkIds(imgIds, "img_ids", h.get(1), batch);
        if (txtIds.getShape().dimension() != imgIds.getShape().dimension()
                || (txtIds.getShape().dimension() == 3 && txtIds.getShape().get(0) != imgIds.getShape().get(0))) {
            throw new IllegalArgumentException("txt_ids " + txtIds.getShape() + " and img_ids " + imgIds.getShape()
                    + " must both have the same batch axis or both have none");
        }
        requireDtype(hidden, "hidden_states");
        requireDtype(encoder, "encoder_hidden_states");
        requireDtype(pooled, "pooled_projections");
    }

    private void checkIds(NDArray ids, String name, long length, long batch) {
        Shape s = ids.getShape();
        int axes = config().axesDimsRope.size();
        boolean batched = s.dimension() == 3 && (s.get(0) == batch || s.get(0) == 1);
        boolean flat = s.dimension() == 2;
        if (!(batched || flat) || s.get(s.dimension() - 2) != length || s.get(s.dimension() - 1) != axes) {
            throw new IllegalArgumentException(name + " must be [batch=" + batch + ", " + length + ", " + axes
                    + "] (or [" + length + ", " + axes + "]), got " + s);
        }
    }

    private NDArray compute(NDArray hiddenStates, NDArray encoderHiddenStates, NDArray pooledProjections,
                            NDArray timestep, NDArray guidance, NDArray txtIds, NDArray imgIds) {
        DataType dtype = dtype();
        long batch = hiddenStates.getShape().get(0);
        NDArray hidden = xEmbedder.forward(hiddenStates);
        NDArray temb;
        try (NDArray t = scaled(timestep, batch, dtype); NDArray g = guidance == null ? null
                : scaled(guidance, batch, dtype)) {
            temb = timeTextEmbed(t, g, pooledProjections);
        }
        NDArray encoder = contextEmbedder.forward(encoderHiddenStates);
        int seqAxis = txtIds.getShape().dimension() - 2;
        RotaryEmbedding rope;
        try (NDArray ids = NDArrays.concat(new NDList(txtIds, imgIds), seqAxis)) {
            rope = posEmbed.forward(ids);
        }

        for (FluxTransformerBlock block : transformerBlocks) {
            JointBlockOutput out = block.forward(hidden, encoder, temb, rope);
            hidden.close();
            encoder.close();
            hidden = out.hiddenStates();
            encoder = out.encoderHiddenStates();
        }
        long textLength = encoder.getShape().get(1);
        NDArray joint = NDArrays.concat(new NDList(encoder, hidden), 1);
        encoder.close();
        hidden.close();
        for (FluxSingleTransformerBlock block : singleTransformerBlocks) {
            joint = ForwardScope.replace(joint, block.forward(joint, temb, rope));
        }
        rope.close();
        try (NDArray image = joint.get(new NDIndex(":, {}:", textLength))) {
            joint.close();
            hidden = normOut.forward(image, temb);
        }
        return ForwardScope.replace(hidden, projOut.forward(hidden));
    }

    /** {@code values.to(dtype) * 1000} as a {@code [batch]} array (diffusers scales timestep and guidance so). */
    private static NDArray scaled(NDArray values, long batch, DataType dtype) {
        try (NDArray perSample = TransformerInputs.perSample(values, batch)) {
            NDArray typed = perSample.toType(dtype, true);
            return typed.muli(1000f);
        }
    }
}
