// Port of diffusers.models.transformers.transformer_flux.FluxTransformerBlock (FLUX's double-stream block, 0.30.3).
package io.diffusers4j.models.transformers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.models.blocks.AdaLayerNormZero;
import io.diffusers4j.models.blocks.FeedForward;
import io.diffusers4j.models.blocks.FeedForwardConfig;
import io.diffusers4j.models.blocks.JointAttention;
import io.diffusers4j.models.blocks.Modulation;
import io.diffusers4j.models.blocks.RotaryEmbedding;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.models.nn.LayerNorm;
import io.diffusers4j.weights.WeightScope;

/**
 * SD3's joint block with FLUX's attention ({@link JointAttention.Processor#FLUX}: RMS q/k norms, text tokens first,
 * rotary positions): image and text tokens each get adaLN-Zero modulation ({@code norm1}, {@code norm1_context}),
 * attend jointly ({@code attn}), and add their gated attention output and gated tanh-GELU feed-forward ({@code ff},
 * {@code ff_context}). In float16 the text stream is clipped to +-65504 at the end, as diffusers does.
 */
public final class FluxTransformerBlock {
    private static final float FP16_MAX = 65504f;

    private final AdaLayerNormZero norm1;
    private final AdaLayerNormZero norm1Context;
    private final JointAttention attn;
    private final LayerNorm norm2;
    private final FeedForward ff;
    private final LayerNorm norm2Context;
    private final FeedForward ffContext;

    /** {@code FluxTransformerBlock(dim, num_attention_heads, attention_head_dim, qk_norm="rms_norm", eps=1e-6)}. */
    public FluxTransformerBlock(WeightScope scope, int dim, int numAttentionHeads, int attentionHeadDim,
                                AttentionOptions options) {
        this.norm1 = new AdaLayerNormZero(scope.pp("norm1"), dim);
        this.norm1Context = new AdaLayerNormZero(scope.pp("norm1_context"), dim);
        this.attn = new JointAttention(scope.pp("attn"), JointAttention.Processor.FLUX, dim, numAttentionHeads,
                attentionHeadDim, false, "rms_norm", 1e-6, options);
        FeedForwardConfig ffConfig = FeedForwardConfig.of(dim).withDimOut(dim).withActivationFn("gelu-approximate");
        this.norm2 = LayerNorm.withoutAffine(scope.manager(), dim, scope.dtype(), 1e-6);
        this.ff = new FeedForward(scope.pp("ff"), ffConfig);
        this.norm2Context = LayerNorm.withoutAffine(scope.manager(), dim, scope.dtype(), 1e-6);
        this.ffContext = new FeedForward(scope.pp("ff_context"), ffConfig);
    }

    /**
     * {@code hidden [B, N, dim]}, {@code encoder [B, T, dim]}, {@code temb [B, dim]}, {@code rope} over the T + N
     * positions (text first); the outputs are attached to {@code hidden}'s manager, every temporary is freed.
     */
    public JointBlockOutput forward(NDArray hidden, NDArray encoder, NDArray temb, RotaryEmbedding rope) {
        NDList out = ForwardScope.runAll(hidden.getManager(), sub -> compute(hidden, encoder, temb, rope), hidden,
                encoder, temb);
        return new JointBlockOutput(out.get(0), out.get(1));
    }

    private NDList compute(NDArray hidden, NDArray encoder, NDArray temb, RotaryEmbedding rope) {
        AdaLayerNormZero.Output n1 = norm1.forward(hidden, temb);
        AdaLayerNormZero.Output c1 = norm1Context.forward(encoder, temb);
        JointAttention.Output a = attn.forward(n1.normed(), c1.normed(), rope);
        n1.normed().close();
        c1.normed().close();

        NDArray h = hidden.add(a.hiddenStates().muli(n1.gateMsa()));
        a.hiddenStates().close();
        NDArray ffOut;
        try (NDArray normed = Modulation.scaleShift(norm2.forward(h), n1.scaleMlp(), n1.shiftMlp())) {
            ffOut = ff.forward(normed);
        }
        h.addi(ffOut.muli(n1.gateMlp()));
        ffOut.close();

        NDArray e = encoder.add(a.encoderHiddenStates().muli(c1.gateMsa()));
        a.encoderHiddenStates().close();
        NDArray contextFf;
        try (NDArray normed = Modulation.scaleShift(norm2Context.forward(e), c1.scaleMlp(), c1.shiftMlp())) {
            contextFf = ffContext.forward(normed);
        }
        e.addi(contextFf.muli(c1.gateMlp()));
        contextFf.close();
        if (e.getDataType() == DataType.FLOAT16) {
            e = ForwardScope.replace(e, e.clip(-FP16_MAX, FP16_MAX));
        }
        return new NDList(e, h);
    }
}
