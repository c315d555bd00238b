// Port of diffusers.models.transformers.transformer_sd3.SD3Transformer2DModel (diffusers 0.30.3).
package io.diffusers4j.models.transformers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.OwnedModel;
import io.diffusers4j.models.blocks.AdaLayerNormContinuous;
import io.diffusers4j.models.blocks.CombinedTimestepTextProjEmbeddings;
import io.diffusers4j.models.blocks.PatchEmbed;
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
 * The MMDiT of Stable Diffusion 3: latents {@code [B, C, H, W]} become patch tokens ({@code pos_embed}, with the
 * cropped sine-cosine table), the text tokens are projected ({@code context_embedder}), the timestep and pooled text
 * embedding make the conditioning ({@code time_text_embed}); {@code num_layers} {@link JointTransformerBlock}s (the
 * last {@code context_pre_only}), an {@link AdaLayerNormContinuous} ({@code norm_out}) and {@code proj_out} give
 * {@code p*p*out_channels} values per patch, folded back to {@code [B, out_channels, H, W]} (diffusers' einsum
 * {@code nhwpqc->nchpwq}). Weights are diffusers' keys ({@code transformer_blocks.3.attn.add_q_proj.weight}, ...).
 *
 * <p>Not ported: {@code block_controlnet_hidden_states} (SD3 ControlNet), LoRA scales through
 * {@code joint_attention_kwargs}, fused QKV projections, gradient checkpointing.
 *
 * <p>Compute happens in the weights' dtype (float32 on the CPU, float16 on CUDA; never bfloat16, see
 * docs/design.md); the timestep's sinusoids are float32 and cast, as in diffusers. Memory: the weights live in a
 * sub-manager the model owns (capped once built); every forward runs in a sub-manager of the hidden states' manager
 * and each block in a sub-manager of that, so a block's temporaries are freed when it returns and only the result is
 * attached to the caller's manager.
 */
public final class SD3Transformer2DModel extends OwnedModel<SD3Transformer2DConfig> {
    private final AttentionOptions attentionOptions = new AttentionOptions();
    private final PatchEmbed posEmbed;
    private final CombinedTimestepTextProjEmbeddings timeTextEmbed;
    private final Linear contextEmbedder;
    private final List<JointTransformerBlock> transformerBlocks = new ArrayList<>();
    private final AdaLayerNormContinuous normOut;
    private final Linear projOut;
    private volatile FeedForwardChunking chunking;

    private SD3Transformer2DModel(SD3Transformer2DConfig cfg, WeightScope root, NDManager owned) {
        super(cfg, root, owned);
        cfg.validate();
        int inner = cfg.innerDim();
        this.posEmbed = new PatchEmbed(root.pp("pos_embed"), cfg.sampleSize, cfg.sampleSize, cfg.patchSize,
                cfg.inChannels, inner, cfg.posEmbedMaxSize);
        this.timeTextEmbed = new CombinedTimestepTextProjEmbeddings(root.pp("time_text_embed"), inner,
                cfg.pooledProjectionDim);
        this.contextEmbedder = Linear.load(root.pp("context_embedder"), cfg.jointAttentionDim,
                cfg.captionProjectionDim, true);
        for (int i = 0; i < cfg.numLayers; i++) {
            transformerBlocks.add(new JointTransformerBlock(root.pp("transformer_blocks").pp(i), inner,
                    cfg.numAttentionHeads, cfg.attentionHeadDim, i == cfg.numLayers - 1, attentionOptions,
                    () -> chunking));
        }
        this.normOut = new AdaLayerNormContinuous(root.pp("norm_out"), inner, inner, false, 1e-6, true);
        this.projOut = Linear.load(root.pp("proj_out"), inner,
                (long) cfg.patchSize * cfg.patchSize * cfg.resolvedOutChannels(), true);
    }

    /**
     * Loads strictly from {@code source} (every missing, unused or mis-shaped key fails, listed) into a new
     * sub-manager of {@code manager} that the model owns; the config's sizes are checked against the checkpoint's
     * header first.
     */
    public static SD3Transformer2DModel load(SD3Transformer2DConfig cfg, TensorSource source, NDManager manager,
                                             DataType dtype) {
        cfg.validate();
        cfg.checkWeights(source);
        return OwnedWeights.load(source, manager, dtype, true, (root, owned) -> new SD3Transformer2DModel(cfg, root,
                owned));
    }

    /** Seeded random weights ({@link WeightScope#randomInit}) in a new sub-manager of {@code manager}. */
    public static SD3Transformer2DModel randomInit(SD3Transformer2DConfig cfg, long seed, NDManager manager,
                                                   DataType dtype) {
        cfg.validate();
        return OwnedWeights.randomInit(seed, manager, dtype, true, (root, owned) -> new SD3Transformer2DModel(cfg,
                root, owned));
    }

    /** The options every attention of the model computes with (slicing, memory-efficient / fused kernels). */
    public AttentionOptions attentionOptions() {
        return attentionOptions;
    }

    /**
     * diffusers' {@code enable_forward_chunking(chunk_size, dim)}: every feed-forward runs on slices of
     * {@code chunkSize} along dim 0 (batch) or 1 (tokens); null chunk size = 1.
     */
    public void enableForwardChunking(Integer chunkSize, int dim) {
        this.chunking = new FeedForwardChunking(chunkSize == null ? 1 : chunkSize, dim);
    }

    /** diffusers' {@code disable_forward_chunking()}. */
    public void disableForwardChunking() {
        this.chunking = null;
    }

    /** {@code pos_embed}. */
    public PatchEmbed posEmbed() {
        return posEmbed;
    }

    /** {@code time_text_embed}. */
    public CombinedTimestepTextProjEmbeddings timeTextEmbed() {
        return timeTextEmbed;
    }

    /** {@code context_embedder}. */
    public Linear contextEmbedder() {
        return contextEmbedder;
    }

    /** {@code transformer_blocks}, in order (the last one {@code context_pre_only}). */
    public List<JointTransformerBlock> transformerBlocks() {
        return Collections.unmodifiableList(transformerBlocks);
    }

    /** {@code norm_out}. */
    public AdaLayerNormContinuous normOut() {
        return normOut;
    }

    /**
     * {@code transformer(hidden_states, encoder_hidden_states, pooled_projections, timestep).sample}:
     * {@code hiddenStates [B, in_channels, H, W]}, {@code encoderHiddenStates [B, T, joint_attention_dim]},
     * {@code pooledProjections [B, pooled_projection_dim]} (all in the model's dtype), {@code timestep} {@code [B]},
     * {@code [1]} or a scalar (any numeric dtype; the SD3 pipeline passes {@code t} in [0, 1000]). Returns
     * {@code [B, out_channels, (H/p)*p, (W/p)*p]} attached to the hidden states' manager.
     */
    public NDArray forward(NDArray hiddenStates, NDArray encoderHiddenStates, NDArray pooledProjections,
                           NDArray timestep) {
        checkInputs(hiddenStates, encoderHiddenStates, pooledProjections, timestep);
        return ForwardScope.run(hiddenStates.getManager(),
                sub -> compute(hiddenStates, encoderHiddenStates, pooledProjections, timestep), hiddenStates,
                encoderHiddenStates, pooledProjections, timestep);
    }

    private void checkInputs(NDArray hidden, NDArray encoder, NDArray pooled, NDArray timestep) {
        SD3Transformer2DConfig cfg = config();
        if (hidden == null || encoder == null || pooled == null || timestep == null) {
            throw new IllegalArgumentException("hidden_states, encoder_hidden_states, pooled_projections and timestep "
                    + "are required");
        }
        Shape h = hidden.getShape();
        if (h.dimension() != 4 || h.get(1) != cfg.inChannels || h.get(2) < cfg.patchSize
                || h.get(3) < cfg.patchSize) {
            throw new IllegalArgumentException("hidden_states must be [batch, " + cfg.inChannels + ", height >= "
                    + cfg.patchSize + ", width >= " + cfg.patchSize + "], got " + h);
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
        requireDtype(hidden, "hidden_states");
        requireDtype(encoder, "encoder_hidden_states");
        requireDtype(pooled, "pooled_projections");
    }

    private NDArray compute(NDArray hiddenStates, NDArray encoderHiddenStates, NDArray pooledProjections,
                            NDArray timestep) {
        SD3Transformer2DConfig cfg = config();
        long batch = hiddenStates.getShape().get(0);
        long height = hiddenStates.getShape().get(2) / cfg.patchSize;
        long width = hiddenStates.getShape().get(3) / cfg.patchSize;

        NDArray hidden = posEmbed.forward(hiddenStates);
        NDArray temb;
        try (NDArray t = TransformerInputs.perSample(timestep, batch)) {
            temb = timeTextEmbed.forward(t, pooledProjections);
        }
        NDArray encoder = contextEmbedder.forward(encoderHiddenStates);

        for (JointTransformerBlock block : transformerBlocks) {
            JointBlockOutput out = block.forward(hidden, encoder, temb);
            hidden.close();
            encoder.close();
            hidden = out.hiddenStates();
            encoder = out.encoderHiddenStates();
        }
        if (encoder != null) {
            encoder.close();
        }
        hidden = ForwardScope.replace(hidden, normOut.forward(hidden, temb));
        hidden = ForwardScope.replace(hidden, projOut.forward(hidden));

        int p = cfg.patchSize;
        int c = cfg.resolvedOutChannels();
        try (NDArray grid = hidden.reshape(batch, height, width, p, p, c);
             NDArray nchpwq = grid.transpose(0, 5, 1, 3, 2, 4)) {
            hidden.close();
            return nchpwq.reshape(batch, c, height * p, width * p);
        }
    }
}
