// Port of transformers.models.clip.modeling_clip.CLIPAttention (eager implementation, transformers 4.45).
package io.diffusers4j.models.clip;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.models.nn.ScaledDotProductAttention;
import io.diffusers4j.weights.WeightScope;

/**
 * Multi-head self-attention with biased {@code q_proj/k_proj/v_proj/out_proj}. As in transformers' eager path the
 * query is scaled by {@code head_dim^-0.5} before {@code Q K^T}, then the additive mask is added and the softmax
 * taken in the hidden dtype.
 */
final class CLIPAttention {
    private final int numHeads;
    private final int headDim;
    private final float scale;
    private final Linear kProj;
    private final Linear vProj;
    private final Linear qProj;
    private final Linear outProj;

    /** Builds under {@code scope} (e.g. {@code text_model.encoder.layers.0.self_attn}), in transformers' order. */
    CLIPAttention(WeightScope scope, CLIPTextConfig config) {
        long embed = config.hiddenSize;
        this.numHeads = config.numAttentionHeads;
        this.headDim = config.headDim();
        this.scale = (float) Math.pow(headDim, -0.5);
        this.kProj = Linear.load(scope.pp("k_proj"), embed, embed, true);
        this.vProj = Linear.load(scope.pp("v_proj"), embed, embed, true);
        this.qProj = Linear.load(scope.pp("q_proj"), embed, embed, true);
        this.outProj = Linear.load(scope.pp("out_proj"), embed, embed, true);
    }

    /**
     * {@code x} is {@code [B, L, hidden]}; {@code mask} is additive and broadcasts to {@code [B*heads, L, L]}
     * (or null). Every result belongs to the manager of {@code x}.
     */
    NDArray forward(NDArray x, NDArray mask, AttentionOptions options) {
        long b = x.getShape().get(0);
        long l = x.getShape().get(1);
        NDArray q = toHeads(qProj.forward(x).muli(scale), b, l);
        NDArray k = toHeads(kProj.forward(x), b, l);
        NDArray v = toHeads(vProj.forward(x), b, l);
        NDArray out = ScaledDotProductAttention.compute(q, k, v, mask, 1f, false, options);
        out = out.reshape(b, numHeads, l, headDim).transpose(0, 2, 1, 3).reshape(b, l, (long) numHeads * headDim);
        return outProj.forward(out);
    }

    /** {@code [B, L, H*D] -> [B*H, L, D]} (transformers' {@code _shape} then {@code view(*proj_shape)}). */
    private NDArray toHeads(NDArray t, long b, long l) {
        return t.reshape(b, l, numHeads, headDim).transpose(0, 2, 1, 3).reshape(b * numHeads, l, headDim);
    }

    int numHeads() {
        return numHeads;
    }
}
