// The __init__ keyword arguments of diffusers.models.unets.unet_2d_blocks.DownBlock2D.
package io.diffusers4j.models.unet;

import io.diffusers4j.models.blocks.ConfigChecks;
import io.diffusers4j.models.blocks.ResnetArgs;
import io.diffusers4j.models.blocks.ResnetLayersConfig;

/**
 * How a {@link DownBlock2D} is built, with diffusers' defaults: {@code DownBlock2DConfig.of(320, 640, 1280)
 * .withNumLayers(2)}. A {@link CrossAttnDownBlock2D} is described by this and a {@link CrossAttnConfig}.
 *
 * @param tembChannels null = no time embedding
 * @param resnetArgs   {@code resnet_eps}, {@code resnet_time_scale_shift}, {@code resnet_act_fn},
 *                     {@code resnet_groups}, {@code output_scale_factor}
 */
public record DownBlock2DConfig(int inChannels, int outChannels, Integer tembChannels, int numLayers,
                                ResnetArgs resnetArgs, boolean addDownsample, int downsamplePadding)
        implements ResnetLayersConfig {
    private static final String BLOCK = "DownBlock2D";

    /** diffusers' defaults: one layer, {@link ResnetArgs#defaults()}, downsampling with padding 1. */
    public static DownBlock2DConfig of(int inChannels, int outChannels, Integer tembChannels) {
        return new DownBlock2DConfig(inChannels, outChannels, tembChannels, 1, ResnetArgs.defaults(), true, 1);
    }

    public DownBlock2DConfig withNumLayers(int value) {
        return new DownBlock2DConfig(inChannels, outChannels, tembChannels, value, resnetArgs, addDownsample,
                downsamplePadding);
    }

    public DownBlock2DConfig withResnetArgs(ResnetArgs value) {
        return new DownBlock2DConfig(inChannels, outChannels, tembChannels, numLayers, value, addDownsample,
                downsamplePadding);
    }

    public DownBlock2DConfig withAddDownsample(boolean value) {
        return new DownBlock2DConfig(inChannels, outChannels, tembChannels, numLayers, resnetArgs, value,
                downsamplePadding);
    }

    public DownBlock2DConfig withDownsamplePadding(int value) {
        return new DownBlock2DConfig(inChannels, outChannels, tembChannels, numLayers, resnetArgs, addDownsample,
                value);
    }

    /** Fails with the offending values on anything the block cannot build; returns this config. */
    public DownBlock2DConfig validate() {
        validateLayers(BLOCK);
        ConfigChecks.nonNegative(BLOCK, "downsample_padding", downsamplePadding);
        return this;
    }
}
