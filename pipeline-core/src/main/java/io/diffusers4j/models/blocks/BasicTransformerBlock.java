// Port of diffusers.models.attention.BasicTransformerBlock (norm_type "layer_norm", the SD 1.x/2.x/XL block).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.models.nn.LayerNorm;
import io.diffusers4j.weights.WeightScope;

/**
 * Pre-norm self-attention ({@code norm1}, {@code attn1}), cross-attention ({@code norm2}, {@code attn2}, present when
 * a {@code cross_attention_dim} is given) and feed-forward ({@code norm3}, {@code ff}), each added to the residual
 * stream. With {@code only_cross_attention}, {@code attn1} attends to the encoder states too.
 */
public final class BasicTransformerBlock {
    private final LayerNorm norm1;
    private final Attention attn1;
    private final LayerNorm norm2;
    private final Attention attn2;
    private final LayerNorm norm3;
    private final FeedForward ff;
    private final boolean onlyCrossAttention;

    public BasicTransformerBlock(WeightScope scope, int dim, int numAttentionHeads, int attentionHeadDim,
                                 Integer crossAttentionDim, String activationFn, boolean attentionBias,
                                 boolean onlyCrossAttention, boolean doubleSelfAttention, boolean upcastAttention,
                                 String normType, boolean normElementwiseAffine, double normEps,
                                 AttentionOptions options) {
        if (!normType.equals("layer_norm")) {
            throw new IllegalArgumentException("BasicTransformerBlock: unsupported norm_type '" + normType
                    + "' (supported: layer_norm)");
        }
        if (!normElementwiseAffine) {
            throw new IllegalArgumentException("BasicTransformerBlock: norm_elementwise_affine false is not supported");
        }
        this.onlyCrossAttention = onlyCrossAttention;
        this.norm1 = LayerNorm.load(scope.pp("norm1"), dim, normEps);
        this.attn1 = new Attention(scope.pp("attn1"), new Attention.Spec(dim).heads(numAttentionHeads)
                .dimHead(attentionHeadDim).bias(attentionBias)
                .crossAttentionDim(onlyCrossAttention ? crossAttentionDim : null).upcastAttention(upcastAttention),
                options);
        if (crossAttentionDim != null || doubleSelfAttention) {
            this.norm2 = LayerNorm.load(scope.pp("norm2"), dim, normEps);
            this.attn2 = new Attention(scope.pp("attn2"), new Attention.Spec(dim)
                    .crossAttentionDim(doubleSelfAttention ? null : crossAttentionDim).heads(numAttentionHeads)
                    .dimHead(attentionHeadDim).bias(attentionBias).upcastAttention(upcastAttention), options);
        } else {
            this.norm2 = null;
            this.attn2 = null;
        }
        this.norm3 = LayerNorm.load(scope.pp("norm3"), dim, normEps);
        this.ff = new FeedForward(scope.pp("ff"), dim, null, 4, activationFn, null, true);
    }

    /** The attention modules of this block, in diffusers' module order. */
    public java.util.List<Attention> attentions() {
        return attn2 == null ? java.util.List.of(attn1) : java.util.List.of(attn1, attn2);
    }

    /**
     * {@code hidden}: [B, L, dim]; masks are additive biases [B, 1, Lk] or null. The result is in {@code hidden}'s
     * manager.
     */
    public NDArray forward(NDArray hidden, NDArray encoderHiddenStates, NDArray attentionMask,
                           NDArray encoderAttentionMask) {
        return ForwardScope.run(hidden.getManager(), m -> {
            NDArray n = norm1.forward(hidden);
            NDArray a = attn1.forward(n, onlyCrossAttention ? encoderHiddenStates : null, attentionMask);
            n.close();
            NDArray h = a.addi(hidden);
            if (attn2 != null) {
                n = norm2.forward(h);
                a = attn2.forward(n, encoderHiddenStates, encoderAttentionMask);
                n.close();
                h = ForwardScope.replace(h, a.addi(h));
            }
            n = norm3.forward(h);
            NDArray f = ff.forward(n);
            n.close();
            return ForwardScope.replace(h, f.addi(h));
        }, hidden, encoderHiddenStates, attentionMask, encoderAttentionMask);
    }
}
