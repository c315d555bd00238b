// The __init__ keyword arguments of diffusers.models.unets.unet_2d_blocks.UpBlock2D.
package io.diffusers4j.models.unet;

import io.diffusers4j.models.blocks.ConfigChecks;
import io.diffusers4j.models.blocks.ResnetBlock2DConfig;
import io.diffusers4j.models.blocks.ResnetLayersConfig;

/**
 * How an {@link UpBlock2D} is built, with diffusers' defaults: {@code UpBlock2DConfig.of(640, 1280, 1280, 1280)
 * .withNumLayers(3)}. A {@link CrossAttnUpBlock2D} is described by this and a {@link CrossAttnConfig}.
 *
 * @param inChannels        the channels of the down block's input, which the last layer's skip connection has
 * @param prevOutputChannel the channels of the previous up block's output, the first layer's input
 * @param tembChannels      null = no time embedding
 */
public record UpBlock2DConfig(int inChannels, int prevOutputChannel, int outChannels, Integer tembChannels,
                              int numLayers, double resnetEps, String resnetTimeScaleShift, String resnetActFn,
                              int resnetGroups, double outputScaleFactor, boolean addUpsample)
        implements ResnetLayersConfig {
    private static final String BLOCK = "UpBlock2D";

    /** diffusers' defaults: one layer, eps 1e-6, "swish", 32 groups, upsampling. */
    public static UpBlock2DConfig of(int inChannels, int prevOutputChannel, int outChannels, Integer tembChannels) {
        return new UpBlock2DConfig(inChannels, prevOutputChannel, outChannels, tembChannels, 1, 1e-6, "default",
                "swish", 32, 1.0, true);
    }

    public UpBlock2DConfig withNumLayers(int value) {
        return new UpBlock2DConfig(inChannels, prevOutputChannel, outChannels, tembChannels, value, resnetEps,
                resnetTimeScaleShift, resnetActFn, resnetGroups, outputScaleFactor, addUpsample);
    }

    public UpBlock2DConfig withResnetEps(double value) {
        return new UpBlock2DConfig(inChannels, prevOutputChannel, outChannels, tembChannels, numLayers, value,
                resnetTimeScaleShift, resnetActFn, resnetGroups, outputScaleFactor, addUpsample);
    }

    public UpBlock2DConfig withResnetTimeScaleShift(String value) {
        return new UpBlock2DConfig(inChannels, prevOutputChannel, outChannels, tembChannels, numLayers, resnetEps,
                value, resnetActFn, resnetGroups, outputScaleFactor, addUpsample);
    }

    public UpBlock2DConfig withResnetActFn(String value) {
        return new UpBlock2DConfig(inChannels, prevOutputChannel, outChannels, tembChannels, numLayers, resnetEps,
                resnetTimeScaleShift, value, resnetGroups, outputScaleFactor, addUpsample);
    }

    public UpBlock2DConfig withResnetGroups(int value) {
        return new UpBlock2DConfig(inChannels, prevOutputChannel, outChannels, tembChannels, numLayers, resnetEps,
                resnetTimeScaleShift, resnetActFn, value, outputScaleFactor, addUpsample);
    }

    public UpBlock2DConfig withOutputScaleFactor(double value) {
        return new UpBlock2DConfig(inChannels, prevOutputChannel, outChannels, tembChannels, numLayers, resnetEps,
                resnetTimeScaleShift, resnetActFn, resnetGroups, value, addUpsample);
    }

    public UpBlock2DConfig withAddUpsample(boolean value) {
        return new UpBlock2DConfig(inChannels, prevOutputChannel, outChannels, tembChannels, numLayers, resnetEps,
                resnetTimeScaleShift, resnetActFn, resnetGroups, outputScaleFactor, value);
    }

    /**
     * {@code resnets.i}: its input concatenated with a skip connection (the last layer's has {@code in_channels}, the
     * others {@code out_channels}); the first layer's input is the previous block's output.
     */
    @Override
    public ResnetBlock2DConfig resnet(int layer) {
        int resSkipChannels = layer == numLayers - 1 ? inChannels : outChannels;
        int resnetInChannels = layer == 0 ? prevOutputChannel : outChannels;
        return resnet(resnetInChannels + resSkipChannels, outChannels);
    }

    /** Fails with the offending values on anything the block cannot build; returns this config. */
    public UpBlock2DConfig validate() {
        validateLayers(BLOCK);
        ConfigChecks.positive(BLOCK, "prev_output_channel", prevOutputChannel);
        return this;
    }
}
