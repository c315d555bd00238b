// The transformer keyword arguments of diffusers.models.unets.unet_2d_blocks' CrossAttn* blocks.
package io.diffusers4j.models.unet;

import io.diffusers4j.models.blocks.ConfigChecks;
import io.diffusers4j.models.blocks.ResnetLayersConfig;
import io.diffusers4j.models.blocks.Transformer2DModelConfig;
import io.diffusers4j.models.blocks.UNetMidBlock2DConfig;

/**
 * The attention half of {@link CrossAttnDownBlock2D}, {@link CrossAttnUpBlock2D} and {@link UNetMidBlock2DCrossAttn}
 * (their resnet half is a {@link DownBlock2DConfig}, {@link UpBlock2DConfig} or
 * {@link UNetMidBlock2DConfig}), with diffusers' defaults:
 * {@code CrossAttnConfig.defaults().withNumAttentionHeads(8).withCrossAttentionDim(768)}. Each layer's
 * {@code attentions.i} is a Transformer2DModel with {@code out_channels / num_attention_heads} channels per head.
 * {@code dual_cross_attention} and {@code attention_type} other than "default" are not supported (the UNet refuses
 * them).
 *
 * @param crossAttentionDim null = no cross-attention (the UNet's block factories require one, like diffusers')
 */
public record CrossAttnConfig(int transformerLayersPerBlock, int numAttentionHeads, Integer crossAttentionDim,
                              boolean useLinearProjection, boolean onlyCrossAttention, boolean upcastAttention) {
    /** diffusers' defaults: one transformer layer, one head, cross_attention_dim 1280, 1x1-conv projections. */
    public static CrossAttnConfig defaults() {
        return new CrossAttnConfig(1, 1, 1280, false, false, false);
    }

    public CrossAttnConfig withTransformerLayersPerBlock(int value) {
        return new CrossAttnConfig(value, numAttentionHeads, crossAttentionDim, useLinearProjection,
                onlyCrossAttention, upcastAttention);
    }

    public CrossAttnConfig withNumAttentionHeads(int value) {
        return new CrossAttnConfig(transformerLayersPerBlock, value, crossAttentionDim, useLinearProjection,
                onlyCrossAttention, upcastAttention);
    }

    public CrossAttnConfig withCrossAttentionDim(Integer value) {
        return new CrossAttnConfig(transformerLayersPerBlock, numAttentionHeads, value, useLinearProjection,
                onlyCrossAttention, upcastAttention);
    }

    public CrossAttnConfig withUseLinearProjection(boolean value) {
        return new CrossAttnConfig(transformerLayersPerBlock, numAttentionHeads, crossAttentionDim, value,
                onlyCrossAttention, upcastAttention);
    }

    public CrossAttnConfig withOnlyCrossAttention(boolean value) {
        return new CrossAttnConfig(transformerLayersPerBlock, numAttentionHeads, crossAttentionDim,
                useLinearProjection, value, upcastAttention);
    }

    public CrossAttnConfig withUpcastAttention(boolean value) {
        return new CrossAttnConfig(transformerLayersPerBlock, numAttentionHeads, crossAttentionDim,
                useLinearProjection, onlyCrossAttention, value);
    }

    /**
     * {@code attentions.i} of a block whose resnets are {@code block}: over its {@code out_channels}, normalised with
     * its {@code resnet_groups}.
     */
    public Transformer2DModelConfig transformer(ResnetLayersConfig block) {
        int channels = block.outChannels();
        return Transformer2DModelConfig.of(channels).withNumAttentionHeads(numAttentionHeads)
                .withAttentionHeadDim(channels / numAttentionHeads).withNumLayers(transformerLayersPerBlock)
                .withNormNumGroups(block.resnetArgs().resnetGroups()).withCrossAttentionDim(crossAttentionDim)
                .withUseLinearProjection(useLinearProjection).withOnlyCrossAttention(onlyCrossAttention)
                .withUpcastAttention(upcastAttention);
    }

    /** Fails with the offending values, named as arguments of {@code block}, on anything it cannot build. */
    public CrossAttnConfig validate(String block) {
        ConfigChecks.nonNegative(block, "transformer_layers_per_block", transformerLayersPerBlock);
        ConfigChecks.positive(block, "num_attention_heads", numAttentionHeads);
        ConfigChecks.positive(block, "cross_attention_dim", crossAttentionDim);
        return this;
    }
}
