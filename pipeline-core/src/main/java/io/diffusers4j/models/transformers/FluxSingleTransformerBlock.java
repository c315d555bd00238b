// Port of diffusers.models.transformers.transformer_flux.FluxSingleTransformerBlock (single-stream block, 0.30.3).
package io.diffusers4j.models.transformers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.models.blocks.AdaLayerNormZeroSingle;
import io.diffusers4j.models.blocks.JointAttention;
import io.diffusers4j.models.blocks.RotaryEmbedding;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.weights.WeightScope;

/**
 * One stream of joint (text + image) tokens: adaLN-Zero-single modulation ({@code norm}), then in parallel
 * self-attention ({@code attn}, {@link JointAttention.Processor#FLUX_SINGLE}: RMS q/k norms, rotary positions, no
 * output projection) and a tanh-GELU MLP ({@code proj_mlp}, {@code 4 * dim} wide); both concatenated, projected back
 * ({@code proj_out}), gated and added to the input. In float16 the result is clipped to +-65504, as diffusers does.
 */
public final class FluxSingleTransformerBlock {
    private static final float FP16_MAX = 65504f;

    private final AdaLayerNormZeroSingle norm;
    private final Linear projMlp;
    private final Linear projOut;
    private final JointAttention attn;

    /** {@code FluxSingleTransformerBlock(dim, num_attention_heads, attention_head_dim, mlp_ratio=4.0)}. */
    public FluxSingleTransformerBlock(WeightScope scope, int dim, int numAttentionHeads, int attentionHeadDim,
                                      AttentionOptions options) {
        int mlpHiddenDim = (int) (dim * 4.0);
        this.norm = new AdaLayerNormZeroSingle(scope.pp("norm"), dim);
        this.projMlp = Linear.load(scope.pp("proj_mlp"), dim, mlpHiddenDim, true);
        this.projOut = Linear.load(scope.pp("proj_out"), dim + (long) mlpHiddenDim, dim, true);
        this.attn = new JointAttention(scope.pp("attn"), JointAttention.Processor.FLUX_SINGLE, dim,
                numAttentionHeads, attentionHeadDim, null, "rms_norm", 1e-6, options);
    }

    /**
     * {@code hidden [B, T + N, dim]} (text then image tokens), {@code temb [B, dim]}, {@code rope} over the same
     * positions; the result is attached to {@code hidden}'s manager, every temporary is freed.
     */
    public NDArray forward(NDArray hidden, NDArray temb, RotaryEmbedding rope) {
        return ForwardScope.run(hidden.getManager(), sub -> compute(hidden, temb, rope), hidden, temb);
    }

    private NDArray compute(NDArray hidden, NDArray temb, RotaryEmbedding rope) {
        AdaLayerNormZeroSingle.Output n = norm.forward(hidden, temb);
        NDArray projected = projMlp.forward(n.normed());
        NDArray mlp = Activations.geluApproximate(projected);
        projected.close();
        NDArray attention = attn.forward(n.normed(), null, rope).hiddenStates();
        n.normed().close();
        NDArray joined = NDArrays.concat(new NDList(attention, mlp), 2);
        attention.close();
        mlp.close();
        NDArray out = projOut.forward(joined);
        joined.close();
        out.muli(n.gate());
        NDArray result = hidden.add(out);
        out.close();
        if (result.getDataType() == DataType.FLOAT16) {
            result = ForwardScope.replace(result, result.clip(-FP16_MAX, FP16_MAX));
        }
        return result;
    }
}
