// Port of transformers.models.clip.modeling_clip.CLIPTextModelWithProjection (transformers 4.45).
package io.diffusers4j.models.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.weights.TensorSource;
import io.diffusers4j.weights.WeightScope;

import java.util.Map;
import java.util.function.Function;

/**
 * The CLIP text tower plus {@code text_projection} ({@code [projection_dim, hidden_size]}, no bias), as in SDXL's
 * {@code text_encoder_2/}. {@link CLIPTextOutput#textEmbeds()} is {@code text_projection(pooled_output)}.
 */
public final class CLIPTextModelWithProjection implements CLIPTextEncoder {
    private final CLIPTextTransformer textModel;
    private final Linear textProjection;
    private final WeightScope root;
    private final NDManager owned;

    private CLIPTextModelWithProjection(CLIPTextTransformer textModel, Linear textProjection, WeightScope root,
                                        NDManager owned) {
        this.textModel = textModel;
        this.textProjection = textProjection;
        this.root = root;
        this.owned = owned;
    }

    /** Builds on {@code root}; the caller calls {@code root.finish()} and owns the weights. */
    public static CLIPTextModelWithProjection load(CLIPTextConfig cfg, WeightScope root) {
        CLIPTextTransformer tm = new CLIPTextTransformer(root.pp("text_model"), cfg);
        Linear proj = Linear.load(root.pp("text_projection"), cfg.hiddenSize, cfg.projectionDim, false);
        return new CLIPTextModelWithProjection(tm, proj, root, null);
    }

    /** Strict load into a sub-manager of {@code manager} (freed by {@link #close()}). */
    public static CLIPTextModelWithProjection load(CLIPTextConfig cfg, TensorSource source, NDManager manager,
                                                   DataType dtype) {
        return build(manager, weights -> WeightScope.load(source, weights, dtype), cfg, true);
    }

    /** Seeded random weights. */
    public static CLIPTextModelWithProjection randomInit(CLIPTextConfig cfg, long seed, NDManager manager,
                                                         DataType dtype) {
        return build(manager, weights -> WeightScope.randomInit(seed, weights, dtype), cfg, false);
    }

    private static CLIPTextModelWithProjection build(NDManager manager, Function<NDManager, WeightScope> scope,
                                                     CLIPTextConfig cfg, boolean strict) {
        NDManager weights = manager.newSubManager();
        try {
            WeightScope root = scope.apply(weights);
            CLIPTextModelWithProjection m = load(cfg, root);
            if (strict) {
                root.finish();
            }
            return new CLIPTextModelWithProjection(m.textModel, m.textProjection, root, weights);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    @Override
    public CLIPTextOutput forward(NDArray inputIds, NDArray attentionMaskOrNull, boolean outputHiddenStates) {
        return textModel.forward(inputIds, attentionMaskOrNull, outputHiddenStates, textProjection);
    }

    @Override
    public NDArray finalLayerNorm(NDArray hiddenState) {
        return textModel.finalLayerNorm(hiddenState);
    }

    @Override
    public CLIPTextConfig config() {
        return textModel.config();
    }

    @Override
    public Map<String, NDArray> stateDict() {
        return root.tensors();
    }

    @Override
    public AttentionOptions attentionOptions() {
        return textModel.attentionOptions();
    }

    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }
}
