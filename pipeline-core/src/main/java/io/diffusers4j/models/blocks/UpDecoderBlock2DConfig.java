// The __init__ keyword arguments of diffusers.models.unets.unet_2d_blocks.UpDecoderBlock2D.
package io.diffusers4j.models.blocks;

/**
 * How an {@link UpDecoderBlock2D} is built, with diffusers' defaults: {@code UpDecoderBlock2DConfig.of(512, 256)
 * .withNumLayers(3)}.
 *
 * @param resnetArgs   {@code resnet_eps}, {@code resnet_time_scale_shift}, {@code resnet_act_fn},
 *                     {@code resnet_groups}, {@code output_scale_factor}
 * @param tembChannels null = no time embedding (the VAE decoder)
 */
public record UpDecoderBlock2DConfig(int inChannels, int outChannels, int numLayers, ResnetArgs resnetArgs,
                                     boolean addUpsample, Integer tembChannels) implements ResnetLayersConfig {
    private static final String BLOCK = "UpDecoderBlock2D";

    /** diffusers' defaults: one layer, {@link ResnetArgs#defaults()}, upsampling, no time embedding. */
    public static UpDecoderBlock2DConfig of(int inChannels, int outChannels) {
        return new UpDecoderBlock2DConfig(inChannels, outChannels, 1, ResnetArgs.defaults(), true, null);
    }

    public UpDecoderBlock2DConfig withNumLayers(int value) {
        return new UpDecoderBlock2DConfig(inChannels, outChannels, value, resnetArgs, addUpsample, tembChannels);
    }

    public UpDecoderBlock2DConfig withResnetArgs(ResnetArgs value) {
        return new UpDecoderBlock2DConfig(inChannels, outChannels, numLayers, value, addUpsample, tembChannels);
    }

    public UpDecoderBlock2DConfig withAddUpsample(boolean value) {
        return new UpDecoderBlock2DConfig(inChannels, outChannels, numLayers, resnetArgs, value, tembChannels);
    }

    public UpDecoderBlock2DConfig withTembChannels(Integer value) {
        return new UpDecoderBlock2DConfig(inChannels, outChannels, numLayers, resnetArgs, addUpsample, value);
    }

    /** Fails with the offending values on anything the block cannot build; returns this config. */
    public UpDecoderBlock2DConfig validate() {
        validateLayers(BLOCK);
        return this;
    }
}
