// The __init__ keyword arguments of diffusers.models.unets.unet_2d_blocks.DownEncoderBlock2D.
package io.diffusers4j.models.blocks;

/**
 * How a {@link DownEncoderBlock2D} is built, with diffusers' defaults: {@code DownEncoderBlock2DConfig.of(128, 256)
 * .withNumLayers(2).withDownsamplePadding(0)}. Its resnets have no time embedding.
 *
 * @param resnetArgs {@code resnet_eps}, {@code resnet_time_scale_shift}, {@code resnet_act_fn},
 *                   {@code resnet_groups}, {@code output_scale_factor}
 */
public record DownEncoderBlock2DConfig(int inChannels, int outChannels, int numLayers, ResnetArgs resnetArgs,
                                       boolean addDownsample, int downsamplePadding) implements ResnetLayersConfig {
    private static final String BLOCK = "DownEncoderBlock2D";

    /** diffusers' defaults: one layer, {@link ResnetArgs#defaults()}, downsampling with padding 1. */
    public static DownEncoderBlock2DConfig of(int inChannels, int outChannels) {
        return new DownEncoderBlock2DConfig(inChannels, outChannels, 1, ResnetArgs.defaults(), true, 1);
    }

    public DownEncoderBlock2DConfig withNumLayers(int value) {
        return new DownEncoderBlock2DConfig(inChannels, outChannels, value, resnetArgs, addDownsample,
                downsamplePadding);
    }

    public DownEncoderBlock2DConfig withResnetArgs(ResnetArgs value) {
        return new DownEncoderBlock2DConfig(inChannels, outChannels, numLayers, value, addDownsample,
                downsamplePadding);
    }

    public DownEncoderBlock2DConfig withAddDownsample(boolean value) {
        return new DownEncoderBlock2DConfig(inChannels, outChannels, numLayers, resnetArgs, value, downsamplePadding);
    }

    public DownEncoderBlock2DConfig withDownsamplePadding(int value) {
        return new DownEncoderBlock2DConfig(inChannels, outChannels, numLayers, resnetArgs, addDownsample, value);
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
