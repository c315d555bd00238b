// The __init__ keyword arguments of diffusers.models.unets.unet_2d_blocks.UpBlock2D.
package io.diffusers4j.models.unet;

import io.diffusers4j.models.blocks.ConfigChecks;
import io.diffusers4j.models.blocks.ResnetArgs;
import io.diffusers4j.models.blocks.ResnetBlock2DConfig;
import io.diffusers4j.models.blocks.ResnetLayersConfig;

/**
 * How an {@link UpBlock2D} is built, with diffusers' defaults: {@code UpBlock2DConfig.of(640, 1280, 1280, 1280)
 * .withNumLayers(3)}. A {@link CrossAttnUpBlock2D} is described by this and a {@link CrossAttnConfig}.
 *
 * @param inChannels        the channels of the down block's input, which the last layer's skip connection has
 * @param prevOutputChannel the channels of the previous up block's output, the first layer's input
 * @param tembChannels      null = no time embedding
 * @param resnetArgs        {@code resnet_eps}, {@code resnet_time_scale_shift}, {@code resnet_act_fn},
 *                          {@code resnet_groups}, {@code output_scale_factor}
 */
public record UpBlock2DConfig(int inChannels, int prevOutputChannel, int outChannels, Integer tembChannels,
                              int numLayers, ResnetArgs resnetArgs, boolean addUpsample)
        implements ResnetLayersConfig {
    private static final String BLOCK = "UpBlock2D";

    /** diffusers' defaults: one layer, {@link ResnetArgs#defaults()}, upsampling. */
    public static UpBlock2DConfig of(int inChannels, int prevOutputChannel, int outChannels, Integer tembChannels) {
        return new UpBlock2DConfig(inChannels, prevOutputChannel, outChannels, tembChannels, 1, ResnetArgs.defaults(),
                true);
    }

    public UpBlock2DConfig withNumLayers(int value) {
        return new UpBlock2DConfig(inChannels, prevOutputChannel, outChannels, tembChannels, value, resnetArgs,
                addUpsample);
    }

    public UpBlock2DConfig withResnetArgs(ResnetArgs value) {
        return new UpBlock2DConfig(inChannels, prevOutputChannel, outChannels, tembChannels, numLayers, value,
                addUpsample);
    }

    public UpBlock2DConfig withAddUpsample(boolean value) {
        return new UpBlock2DConfig(inChannels, prevOutputChannel, outChannels, tembChannels, numLayers, resnetArgs,
                value);
    }

    /**
     * {@code resnets.i}: its input concatenated with a skip connection (the last layer's has {@code in_channels}, the
     * others {@code out_channels}); the first layer's input is the previous block's output.
     */
    @Override
    public ResnetBlock2DConfig resnet(int layer) {
        int resSkipChannels = layer == numLayers - 1 ? inChannels : outChannels;
        int resnetInChannels = layer == 0 ? prevOutputChannel : outChannels;
        return resnetArgs.resnet(resnetInChannels + resSkipChannels, outChannels, tembChannels);
    }

    /** Fails with the offending values on anything the block cannot build; returns this config. */
    public UpBlock2DConfig validate() {
        validateLayers(BLOCK);
        ConfigChecks.positive(BLOCK, "prev_output_channel", prevOutputChannel);
        return this;
    }
}
