// The __init__ keyword arguments of diffusers.models.unets.unet_2d_blocks.DownEncoderBlock2D.
package io.diffusers4j.models.blocks;

/**
 * How a {@link DownEncoderBlock2D} is built, with diffusers' defaults: {@code DownEncoderBlock2DConfig.of(128, 256)
 * .withNumLayers(2).withDownsamplePadding(0)}. Its resnets have no time embedding.
 */
public record DownEncoderBlock2DConfig(int inChannels, int outChannels, int numLayers, double resnetEps,
                                       String resnetTimeScaleShift, String resnetActFn, int resnetGroups,
                                       double outputScaleFactor, boolean addDownsample, int downsamplePadding)
        implements ResnetLayersConfig {
    private static final String BLOCK = "DownEncoderBlock2D";

    /** diffusers' defaults: one layer, eps 1e-6, "swish", 32 groups, downsampling with padding 1. */
    public static DownEncoderBlock2DConfig of(int inChannels, int outChannels) {
        return new DownEncoderBlock2DConfig(inChannels, outChannels, 1, 1e-6, "default", "swish", 32, 1.0, true, 1);
    }

    public DownEncoderBlock2DConfig withNumLayers(int value) {
        return new DownEncoderBlock2DConfig(inChannels, outChannels, value, resnetEps, resnetTimeScaleShift,
                resnetActFn, resnetGroups, outputScaleFactor, addDownsample, downsamplePadding);
    }

    public DownEncoderBlock2DConfig withResnetEps(double value) {
        return new DownEncoderBlock2DConfig(inChannels, outChannels, numLayers, value, resnetTimeScaleShift,
                resnetActFn, resnetGroups, outputScaleFactor, addDownsample, downsamplePadding);
    }

    public DownEncoderBlock2DConfig withResnetTimeScaleShift(String value) {
        return new DownEncoderBlock2DConfig(inChannels, outChannels, numLayers, resnetEps, value, resnetActFn,
                resnetGroups, outputScaleFactor, addDownsample, downsamplePadding);
    }

    public DownEncoderBlock2DConfig withResnetActFn(String value) {
        return new DownEncoderBlock2DConfig(inChannels, outChannels, numLayers, resnetEps, resnetTimeScaleShift,
                value, resnetGroups, outputScaleFactor, addDownsample, downsamplePadding);
    }

    public DownEncoderBlock2DConfig withResnetGroups(int value) {
        return new DownEncoderBlock2DConfig(inChannels, outChannels, numLayers, resnetEps, resnetTimeScaleShift,
                resnetActFn, value, outputScaleFactor, addDownsample, downsamplePadding);
    }

    public DownEncoderBlock2DConfig withOutputScaleFactor(double value) {
        return new DownEncoderBlock2DConfig(inChannels, outChannels, numLayers, resnetEps, resnetTimeScaleShift,
                resnetActFn, resnetGroups, value, addDownsample, downsamplePadding);
    }

    public DownEncoderBlock2DConfig withAddDownsample(boolean value) {
        return new DownEncoderBlock2DConfig(inChannels, outChannels, numLayers, resnetEps, resnetTimeScaleShift,
                resnetActFn, resnetGroups, outputScaleFactor, value, downsamplePadding);
    }

    public DownEncoderBlock2DConfig withDownsamplePadding(int value) {
        return new DownEncoderBlock2DConfig(inChannels, outChannels, numLayers, resnetEps, resnetTimeScaleShift,
                resnetActFn, resnetGroups, outputScaleFactor, addDownsample, value);
    }

    /** The encoder's resnets take no time embedding ({@code temb_channels=None}). */
    @Override
    public Integer tembChannels() {
        return null;
    }

    /** Fails with the offending values on anything the block cannot build; returns this config. */
    public DownEncoderBlock2DConfig validate() {
        validateLayers(BLOCK);
        ConfigChecks.nonNegative(BLOCK, "downsample_padding", downsamplePadding);
        return this;
    }
}
