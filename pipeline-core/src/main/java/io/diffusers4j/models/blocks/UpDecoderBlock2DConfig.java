// The __init__ keyword arguments of diffusers.models.unets.unet_2d_blocks.UpDecoderBlock2D.
package io.diffusers4j.models.blocks;

/**
 * How an {@link UpDecoderBlock2D} is built, with diffusers' defaults: {@code UpDecoderBlock2DConfig.of(512, 256)
 * .withNumLayers(3).withResnetTimeScaleShift("group")}.
 *
 * @param tembChannels null = no time embedding (the VAE decoder)
 */
public record UpDecoderBlock2DConfig(int inChannels, int outChannels, int numLayers, double resnetEps,
                                     String resnetTimeScaleShift, String resnetActFn, int resnetGroups,
                                     double outputScaleFactor, boolean addUpsample, Integer tembChannels)
        implements ResnetLayersConfig {
    private static final String BLOCK = "UpDecoderBlock2D";

    /** diffusers' defaults: one layer, eps 1e-6, "swish", 32 groups, upsampling, no time embedding. */
    public static UpDecoderBlock2DConfig of(int inChannels, int outChannels) {
        return new UpDecoderBlock2DConfig(inChannels, outChannels, 1, 1e-6, "default", "swish", 32, 1.0, true, null);
    }

    public UpDecoderBlock2DConfig withNumLayers(int value) {
        return new UpDecoderBlock2DConfig(inChannels, outChannels, value, resnetEps, resnetTimeScaleShift,
                resnetActFn, resnetGroups, outputScaleFactor, addUpsample, tembChannels);
    }

    public UpDecoderBlock2DConfig withResnetEps(double value) {
        return new UpDecoderBlock2DConfig(inChannels, outChannels, numLayers, value, resnetTimeScaleShift,
                resnetActFn, resnetGroups, outputScaleFactor, addUpsample, tembChannels);
    }

    public UpDecoderBlock2DConfig withResnetTimeScaleShift(String value) {
        return new UpDecoderBlock2DConfig(inChannels, outChannels, numLayers, resnetEps, value, resnetActFn,
                resnetGroups, outputScaleFactor, addUpsample, tembChannels);
    }

    public UpDecoderBlock2DConfig withResnetActFn(String value) {
        return new UpDecoderBlock2DConfig(inChannels, outChannels, numLayers, resnetEps, resnetTimeScaleShift,
                value, resnetGroups, outputScaleFactor, addUpsample, tembChannels);
    }

    public UpDecoderBlock2DConfig withResnetGroups(int value) {
        return new UpDecoderBlock2DConfig(inChannels, outChannels, numLayers, resnetEps, resnetTimeScaleShift,
                resnetActFn, value, outputScaleFactor, addUpsample, tembChannels);
    }

    public UpDecoderBlock2DConfig withOutputScaleFactor(double value) {
        return new UpDecoderBlock2DConfig(inChannels, outChannels, numLayers, resnetEps, resnetTimeScaleShift,
                resnetActFn, resnetGroups, value, addUpsample, tembChannels);
    }

    public UpDecoderBlock2DConfig withAddUpsample(boolean value) {
        return new UpDecoderBlock2DConfig(inChannels, outChannels, numLayers, resnetEps, resnetTimeScaleShift,
                resnetActFn, resnetGroups, outputScaleFactor, value, tembChannels);
    }

    public UpDecoderBlock2DConfig withTembChannels(Integer value) {
        return new UpDecoderBlock2DConfig(inChannels, outChannels, numLayers, resnetEps, resnetTimeScaleShift,
                resnetActFn, resnetGroups, outputScaleFactor, addUpsample, value);
    }

    /** Fails with the offending values on anything the block cannot build; returns this config. */
    public UpDecoderBlock2DConfig validate() {
        validateLayers(BLOCK);
        return this;
    }
}
