// The __init__ keyword arguments of diffusers.models.attention.BasicTransformerBlock that this port supports.
package io.diffusers4j.models.blocks;

/**
 * How a {@link BasicTransformerBlock} is built, with diffusers' defaults: {@code BasicTransformerBlockConfig.of(320,
 * 8, 40).withCrossAttentionDim(768)}.
 *
 * @param crossAttentionDim null = no cross-attention ({@code attn2} only with {@code double_self_attention})
 */
public record BasicTransformerBlockConfig(int dim, int numAttentionHeads, int attentionHeadDim,
                                          Integer crossAttentionDim, String activationFn, boolean attentionBias,
                                          boolean onlyCrossAttention, boolean doubleSelfAttention,
                                          boolean upcastAttention, boolean normElementwiseAffine, String normType,
                                          double normEps) {
    private static final String BLOCK = "BasicTransformerBlock";

    /** diffusers' defaults: no cross-attention, "geglu", bias-free attention, "layer_norm" with eps 1e-5. */
    public static BasicTransformerBlockConfig of(int dim, int numAttentionHeads, int attentionHeadDim) {
        return new BasicTransformerBlockConfig(dim, numAttentionHeads, attentionHeadDim, null, "geglu", false, false,
                false, false, true, "layer_norm", 1e-5);
    }

    public BasicTransformerBlockConfig withCrossAttentionDim(Integer value) {
        return new BasicTransformerBlockConfig(dim, numAttentionHeads, attentionHeadDim, value, activationFn,
                attentionBias, onlyCrossAttention, doubleSelfAttention, upcastAttention, normElementwiseAffine,
                normType, normEps);
    }

    public BasicTransformerBlockConfig withActivationFn(String value) {
        return new BasicTransformerBlockConfig(dim, numAttentionHeads, attentionHeadDim, crossAttentionDim, value,
                attentionBias, onlyCrossAttention, doubleSelfAttention, upcastAttention, normElementwiseAffine,
                normType, normEps);
    }

    public BasicTransformerBlockConfig withAttentionBias(boolean value) {
        return new BasicTransformerBlockConfig(dim, numAttentionHeads, attentionHeadDim, crossAttentionDim,
                activationFn, value, onlyCrossAttention, doubleSelfAttention, upcastAttention, normElementwiseAffine,
                normType, normEps);
    }

    public BasicTransformerBlockConfig withOnlyCrossAttention(boolean value) {
        return new BasicTransformerBlockConfig(dim, numAttentionHeads, attentionHeadDim, crossAttentionDim,
                activationFn, attentionBias, value, doubleSelfAttention, upcastAttention, normElementwiseAffine,
                normType, normEps);
    }

    public BasicTransformerBlockConfig withDoubleSelfAttention(boolean value) {
        return new BasicTransformerBlockConfig(dim, numAttentionHeads, attentionHeadDim, crossAttentionDim,
                activationFn, attentionBias, onlyCrossAttention, value, upcastAttention, normElementwiseAffine,
                normType, normEps);
    }

    public BasicTransformerBlockConfig withUpcastAttention(boolean value) {
        return new BasicTransformerBlockConfig(dim, numAttentionHeads, attentionHeadDim, crossAttentionDim,
                activationFn, attentionBias, onlyCrossAttention, doubleSelfAttention, value, normElementwiseAffine,
                normType, normEps);
    }

    public BasicTransformerBlockConfig withNormElementwiseAffine(boolean value) {
        return new BasicTransformerBlockConfig(dim, numAttentionHeads, attentionHeadDim, crossAttentionDim,
                activationFn, attentionBias, onlyCrossAttention, doubleSelfAttention, upcastAttention, value,
                normType, normEps);
    }

    public BasicTransformerBlockConfig withNormType(String value) {
        return new BasicTransformerBlockConfig(dim, numAttentionHeads, attentionHeadDim, crossAttentionDim,
                activationFn, attentionBias, onlyCrossAttention, doubleSelfAttention, upcastAttention,
                normElementwiseAffine, value, normEps);
    }

    public BasicTransformerBlockConfig withNormEps(double value) {
        return new BasicTransformerBlockConfig(dim, numAttentionHeads, attentionHeadDim, crossAttentionDim,
                activationFn, attentionBias, onlyCrossAttention, doubleSelfAttention, upcastAttention,
                normElementwiseAffine, normType, value);
    }

    /** {@code attn1}: self-attention, or attention to the encoder states with {@code only_cross_attention}. */
    public Attention.Spec selfAttention() {
        return attention(onlyCrossAttention ? crossAttentionDim : null);
    }

    /** {@code attn2}, present with a {@code cross_attention_dim} or {@code double_self_attention}. */
    public Attention.Spec crossAttention() {
        return attention(doubleSelfAttention ? null : crossAttentionDim);
    }

    public boolean hasCrossAttention() {
        return crossAttentionDim != null || doubleSelfAttention;
    }

    private Attention.Spec attention(Integer keyValueDim) {
        return new Attention.Spec(dim).heads(numAttentionHeads).dimHead(attentionHeadDim).bias(attentionBias)
                .crossAttentionDim(keyValueDim).upcastAttention(upcastAttention);
    }

    /** {@code ff}: the feed-forward with this block's activation. */
    public FeedForwardConfig feedForward() {
        return FeedForwardConfig.of(dim).withActivationFn(activationFn);
    }

    /** Fails with the offending values on anything the block cannot build; returns this config. */
    public BasicTransformerBlockConfig validate() {
        ConfigChecks.positive(BLOCK, "dim", dim);
        ConfigChecks.positive(BLOCK, "num_attention_heads", numAttentionHeads);
        ConfigChecks.positive(BLOCK, "attention_head_dim", attentionHeadDim);
        ConfigChecks.positive(BLOCK, "cross_attention_dim", crossAttentionDim);
        if (!"layer_norm".equals(normType)) {
            throw new IllegalArgumentException(BLOCK + ": unsupported norm_type '" + normType
                    + "' (supported: layer_norm)");
        }
        if (!normElementwiseAffine) {
            throw new IllegalArgumentException(BLOCK + ": norm_elementwise_affine false is not supported");
        }
        return this;
    }
}
