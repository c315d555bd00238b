// The __init__ keyword arguments of diffusers.models.unets.unet_2d_blocks.DownBlock2D.
package io.diffusers4j.models.unet;

import io.diffusers4j.models.blocks.ConfigChecks;
import io.diffusers4j.models.blocks.ResnetLayersConfig;

/**
 * How a {@link DownBlock2D} is built, with diffusers' defaults: {@code DownBlock2DConfig.of(320, 640, 1280)
 * .withNumLayers(2)}. A {@link CrossAttnDownBlock2D} is described by this and a {@link CrossAttnConfig}.
 *
 * @param tembChannels null = no time embedding
 */
public record DownBlock2DConfig(int inChannels, int outChannels, Integer tembChannels, int numLayers,
                                double resnetEps, String resnetTimeScaleShift, String resnetActFn, int resnetGroups,
                                double outputScaleFactor, boolean addDownsample, int downsamplePadding)
        implements ResnetLayersConfig {
    private static final String BLOCK = "DownBlock2D";

    /** diffusers' defaults: one layer, eps 1e-6, "swish", 32 groups, downsampling with padding 1. */
    public static DownBlock2DConfig of(int inChannels, int outChannels, Integer tembChannels) {
        return new DownBlock2DConfig(inChannels, outChannels, tembChannels, 1, 1e-6, "default", "swish", 32, 1.0, true,
                1);
    }

    public DownBlock2DConfig withNumLayers(int value) {
        return new DownBlock2DConfig(inChannels, outChannels, tembChannels, value, resnetEps, resnetTimeScaleShift,
                resnetActFn, resnetGroups, outputScaleFactor, addDownsample, downsamplePadding);
    }

    public DownBlock2DConfig withResnetEps(double value) {
        return new DownBlock2DConfig(inChannels, outChannels, tembChannels, numLayers, value, resnetTimeScaleShift,
                resnetActFn, resnetGroups, outputScaleFactor, addDownsample, downsamplePadding);
    }

    public DownBlock2DConfig withResnetTimeScaleShift(String value) {
        return new DownBlock2DConfig(inChannels, outChannels, tembChannels, numLayers, resnetEps, value, resnetActFn,
                resnetGroups, outputScaleFactor, addDownsample, downsamplePadding);
    }

    public DownBlock2DConfig withResnetActFn(String value) {
        return new DownBlock2DConfig(inChannels, outChannels, tembChannels, numLayers, resnetEps,
                resnetTimeScaleShift, value, resnetGroups, outputScaleFactor, addDownsample, downsamplePadding);
    }

    public DownBlock2DConfig withResnetGroups(int value) {
        return new DownBlock2DConfig(inChannels, outChannels, tembChannels, numLayers, resnetEps,
                resnetTimeScaleShift, resnetActFn, value, outputScaleFactor, addDownsample, downsamplePadding);
    }

    public DownBlock2DConfig withOutputScaleFactor(double value) {
        return new DownBlock2DConfig(inChannels, outChannels, tembChannels, numLayers, resnetEps,
                resnetTimeScaleShift, resnetActFn, resnetGroups, value, addDownsample, downsamplePadding);
    }

    public DownBlock2DConfig withAddDownsample(boolean value) {
        return new DownBlock2DConfig(inChannels, outChannels, tembChannels, numLayers, resnetEps,
                resnetTimeScaleShift, resnetActFn, resnetGroups, outputScaleFactor, value, downsamplePadding);
    }

    public DownBlock2DConfig withDownsamplePadding(int value) {
        return new DownBlock2DConfig(inChannels, outChannels, tembChannels, numLayers, resnetEps,
                resnetTimeScaleShift, resnetActFn, resnetGroups, outputScaleFactor, addDownsample, value);
    }

    /** Fails with the offending values on anything the block cannot build; returns this config. */
    public DownBlock2DConfig validate() {
        validateLayers(BLOCK);
        ConfigChecks.nonNegative(BLOCK, "downsample_padding", downsamplePadding);
        return this;
    }
}
