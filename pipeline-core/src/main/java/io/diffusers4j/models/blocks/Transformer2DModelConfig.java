// The __init__ keyword arguments of diffusers.models.transformers.transformer_2d.Transformer2DModel (continuous input).
package io.diffusers4j.models.blocks;

/**
 * How a {@link Transformer2DModel} is built, with diffusers' defaults: {@code Transformer2DModelConfig.of(320)
 * .withNumAttentionHeads(8).withAttentionHeadDim(40).withCrossAttentionDim(768)}. Only continuous inputs
 * ({@code in_channels} given) are supported, so {@code in_channels} is required.
 *
 * @param outChannels       null = {@code in_channels} (the only supported value: the output is added to the input)
 * @param crossAttentionDim null = no cross-attention
 */
public record Transformer2DModelConfig(int numAttentionHeads, int attentionHeadDim, int inChannels,
                                       Integer outChannels, int numLayers, int normNumGroups,
                                       Integer crossAttentionDim, boolean attentionBias, String activationFn,
                                       boolean useLinearProjection, boolean onlyCrossAttention,
                                       boolean doubleSelfAttention, boolean upcastAttention, String normType,
                                       boolean normElementwiseAffine, double normEps) {
    private static final String BLOCK = "Transformer2DModel";

    /** diffusers' defaults: 16 heads of 88, one layer, 32 groups, "geglu", 1x1-conv projections, "layer_norm". */
    public static Transformer2DModelConfig of(int inChannels) {
        return new Transformer2DModelConfig(16, 88, inChannels, null, 1, 32, null, false, "geglu", false, false, false,
                false, "layer_norm", true, 1e-5);
    }

    public Transformer2DModelConfig withNumAttentionHeads(int value) {
        return new Transformer2DModelConfig(value, attentionHeadDim, inChannels, outChannels, numLayers,
                normNumGroups, crossAttentionDim, attentionBias, activationFn, useLinearProjection,
                onlyCrossAttention, doubleSelfAttention, upcastAttention, normType, normElementwiseAffine, normEps);
    }

    public Transformer2DModelConfig withAttentionHeadDim(int value) {
        return new Transformer2DModelConfig(numAttentionHeads, value, inChannels, outChannels, numLayers,
                normNumGroups, crossAttentionDim, attentionBias, activationFn, useLinearProjection,
                onlyCrossAttention, doubleSelfAttention, upcastAttention, normType, normElementwiseAffine, normEps);
    }

    public Transformer2DModelConfig withOutChannels(Integer value) {
        return new Transformer2DModelConfig(numAttentionHeads, attentionHeadDim, inChannels, value, numLayers,
                normNumGroups, crossAttentionDim, attentionBias, activationFn, useLinearProjection,
                onlyCrossAttention, doubleSelfAttention, upcastAttention, normType, normElementwiseAffine, normEps);
    }

    public Transformer2DModelConfig withNumLayers(int value) {
        return new Transformer2DModelConfig(numAttentionHeads, attentionHeadDim, inChannels, outChannels, value,
                normNumGroups, crossAttentionDim, attentionBias, activationFn, useLinearProjection,
                onlyCrossAttention, doubleSelfAttention, upcastAttention, normType, normElementwiseAffine, normEps);
    }

    public Transformer2DModelConfig withNormNumGroups(int value) {
        return new Transformer2DModelConfig(numAttentionHeads, attentionHeadDim, inChannels, outChannels, numLayers,
                value, crossAttentionDim, attentionBias, activationFn, useLinearProjection, onlyCrossAttention,
                doubleSelfAttention, upcastAttention, normType, normElementwiseAffine, normEps);
    }

    public Transformer2DModelConfig withCrossAttentionDim(Integer value) {
        return new Transformer2DModelConfig(numAttentionHeads, attentionHeadDim, inChannels, outChannels, numLayers,
                normNumGroups, value, attentionBias, activationFn, useLinearProjection, onlyCrossAttention,
                doubleSelfAttention, upcastAttention, normType, normElementwiseAffine, normEps);
    }

    public Transformer2DModelConfig withAttentionBias(boolean value) {
        return new Transformer2DModelConfig(numAttentionHeads, attentionHeadDim, inChannels, outChannels, numLayers,
                normNumGroups, crossAttentionDim, value, activationFn, useLinearProjection, onlyCrossAttention,
                doubleSelfAttention, upcastAttention, normType, normElementwiseAffine, normEps);
    }

    public Transformer2DModelConfig withActivationFn(String value) {
        return new Transformer2DModelConfig(numAttentionHeads, attentionHeadDim, inChannels, outChannels, numLayers,
                normNumGroups, crossAttentionDim, attentionBias, value, useLinearProjection, onlyCrossAttention,
                doubleSelfAttention, upcastAttention, normType, normElementwiseAffine, normEps);
    }

    public Transformer2DModelConfig withUseLinearProjection(boolean value) {
        return new Transformer2DModelConfig(numAttentionHeads, attentionHeadDim, inChannels, outChannels, numLayers,
                normNumGroups, crossAttentionDim, attentionBias, activationFn, value, onlyCrossAttention,
                doubleSelfAttention, upcastAttention, normType, normElementwiseAffine, normEps);
    }

    public Transformer2DModelConfig withOnlyCrossAttention(boolean value) {
        return new Transformer2DModelConfig(numAttentionHeads, attentionHeadDim, inChannels, outChannels, numLayers,
                normNumGroups, crossAttentionDim, attentionBias, activationFn, useLinearProjection, value,
                doubleSelfAttention, upcastAttention, normType, normElementwiseAffine, normEps);
    }

    public Transformer2DModelConfig withDoubleSelfAttention(boolean value) {
        return new Transformer2DModelConfig(numAttentionHeads, attentionHeadDim, inChannels, outChannels, numLayers,
                normNumGroups, crossAttentionDim, attentionBias, activationFn, useLinearProjection,
                onlyCrossAttention, value, upcastAttention, normType, normElementwiseAffine, normEps);
    }

    public Transformer2DModelConfig withUpcastAttention(boolean value) {
        return new Transformer2DModelConfig(numAttentionHeads, attentionHeadDim, inChannels, outChannels, numLayers,
                normNumGroups, crossAttentionDim, attentionBias, activationFn, useLinearProjection,
                onlyCrossAttention, doubleSelfAttention, value, normType, normElementwiseAffine, normEps);
    }

    public Transformer2DModelConfig withNormType(String value) {
        return new Transformer2DModelConfig(numAttentionHeads, attentionHeadDim, inChannels, outChannels, numLayers,
                normNumGroups, crossAttentionDim, attentionBias, activationFn, useLinearProjection,
                onlyCrossAttention, doubleSelfAttention, upcastAttention, value, normElementwiseAffine, normEps);
    }

    public Transformer2DModelConfig withNormElementwiseAffine(boolean value) {
        return new Transformer2DModelConfig(numAttentionHeads, attentionHeadDim, inChannels, outChannels, numLayers,
                normNumGroups, crossAttentionDim, attentionBias, activationFn, useLinearProjection,
                onlyCrossAttention, doubleSelfAttention, upcastAttention, normType, value, normEps);
    }

    public Transformer2DModelConfig withNormEps(double value) {
        return new Transformer2DModelConfig(numAttentionHeads, attentionHeadDim, inChannels, outChannels, numLayers,
                normNumGroups, crossAttentionDim, attentionBias, activationFn, useLinearProjection,
                onlyCrossAttention, doubleSelfAttention, upcastAttention, normType, normElementwiseAffine, value);
    }

    /** {@code num_attention_heads * attention_head_dim}, the width of the transformer blocks. */
    public int innerDim() {
        return numAttentionHeads * attentionHeadDim;
    }

    /** {@code transformer_blocks.i}: each a BasicTransformerBlock over {@link #innerDim()} channels. */
    public BasicTransformerBlockConfig transformerBlock() {
        return BasicTransformerBlockConfig.of(innerDim(), numAttentionHeads, attentionHeadDim)
                .withCrossAttentionDim(crossAttentionDim).withActivationFn(activationFn)
                .withAttentionBias(attentionBias).withOnlyCrossAttention(onlyCrossAttention)
                .withDoubleSelfAttention(doubleSelfAttention).withUpcastAttention(upcastAttention)
                .withNormType(normType).withNormElementwiseAffine(normElementwiseAffine).withNormEps(normEps);
    }

    /** Fails with the offending values on anything the model cannot build; returns this config. */
    public Transformer2DModelConfig validate() {
        ConfigChecks.positive(BLOCK, "num_attention_heads", numAttentionHeads);
        ConfigChecks.positive(BLOCK, "attention_head_dim", attentionHeadDim);
        ConfigChecks.positive(BLOCK, "in_channels", inChannels);
        ConfigChecks.nonNegative(BLOCK, "num_layers", numLayers);
        ConfigChecks.positive(BLOCK, "norm_num_groups", normNumGroups);
        if (outChannels != null && outChannels != inChannels) {
            throw new IllegalArgumentException(BLOCK + ": out_channels " + outChannels + " must equal in_channels "
                    + inChannels + " for the residual connection");
        }
        return this;
    }
}
