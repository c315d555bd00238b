// Port of diffusers.models.attention.BasicTransformerBlock (norm_type "layer_norm", the SD 1.x/2.x/XL block).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.models.nn.LayerNorm;
import io.diffusers4j.weights.WeightScope;

import java.util.List;

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

    public BasicTransformerBlock(WeightScope scope, BasicTransformerBlockConfig config, AttentionOptions options) {
        config.validate();
        int dim = config.dim();
        double eps = config.normEps();
        this.onlyCrossAttention = config.onlyCrossAttention();
        this.norm1 = LayerNorm.load(scope.pp("norm1"), dim, eps);
        this.attn1 = new Attention(scope.pp("attn1"), config.selfAttention(), options);
        if (config.hasCrossAttention()) {
            this.norm2 = LayerNorm.load(scope.pp("norm2"), dim, eps);
            this.attn2 = new Attention(scope.pp("attn2"), config.crossAttention(), options);
        } else {
            this.norm2 = null;
            this.attn2 = null;
        }
        this.norm3 = LayerNorm.load(scope.pp("norm3"), dim, eps);
        this.ff = new FeedForward(scope.pp("ff"), config.feedForward());
    }

    /** The attention modules of this block, in diffusers' module order. */
    public List<Attention> attentions() {
        return attn2 == null ? List.of(attn1) : List.of(attn1, attn2);
    }

    /**
     * {@code hidden}: [B, L, dim]; masks are additive biases [B, 1, Lk] or null. The result is in {@code hidden}'s
     * manager.
     */
    public NDArray forward(NDArray hidden, NDArray encoderHiddenStates, NDArray attentionMask,
                           NDArray encoderAttentionMask) {
        return ForwardScope.run(hidden.getManager(), sub -> {
            NDArray normed = norm1.forward(hidden);
            NDArray attnOutput = attn1.forward(normed, onlyCrossAttention ? encoderHiddenStates : null,
                    attentionMask);
            normed.close();
            NDArray h = attnOutput.addi(hidden);
            if (attn2 != null) {
                normed = norm2.forward(h);
                attnOutput = attn2.forward(normed, encoderHiddenStates, encoderAttentionMask);
                normed.close();
                h = ForwardScope.replace(h, attnOutput.addi(h));
            }
            normed = norm3.forward(h);
            NDArray ffOutput = ff.forward(normed);
            normed.close();
            return ForwardScope.replace(h, ffOutput.addi(h));
        }, hidden, encoderHiddenStates, attentionMask, encoderAttentionMask);
    }
}
