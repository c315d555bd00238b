// Port of transformers.models.clip.modeling_clip.CLIPTextModelWithProjection (transformers 4.45).
package io.diffusers4j.models.clip;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.weights.OwnedWeights;
import io.diffusers4j.weights.TensorSource;
import io.diffusers4j.weights.WeightScope;

/**
 * The CLIP text tower plus {@code text_projection} ({@code [projection_dim, hidden_size]}, no bias), as in SDXL's
 * {@code text_encoder_2/}. {@link CLIPTextOutput#textEmbeds()} is {@code text_projection(pooled_output)}.
 */
public final class CLIPTextModelWithProjection extends AbstractCLIPTextModel {
    private CLIPTextModelWithProjection(CLIPTextConfig cfg, WeightScope root, NDManager owned) {
        super(new CLIPTextTransformer(root.pp("text_model"), cfg),
                Linear.load(root.pp("text_projection"), cfg.hiddenSize, cfg.projectionDim, false), root, owned);
    }

    /** Builds on {@code root}; the caller calls {@code root.finish()} and owns the weights. */
    public static CLIPTextModelWithProjection load(CLIPTextConfig cfg, WeightScope root) {
        return new CLIPTextModelWithProjection(cfg, root, null);
    }

    /** Strict load into a sub-manager of {@code manager} (freed by {@link #close()}). */
    public static CLIPTextModelWithProjection load(CLIPTextConfig cfg, TensorSource source, NDManager manager,
                                                   DataType dtype) {
        cfg.checkWeights(source);
        return OwnedWeights.load(source, manager, dtype, false, (root, owned) -> new CLIPTextModelWithProjection(cfg,
                root, owned));
    }

    /** Seeded random weights. */
    public static CLIPTextModelWithProjection randomInit(CLIPTextConfig cfg, long seed, NDManager manager,
                                                         DataType dtype) {
        return OwnedWeights.randomInit(seed, manager, dtype, false, (root, owned) -> new CLIPTextModelWithProjection(
                cfg, root, owned));
    }
}
