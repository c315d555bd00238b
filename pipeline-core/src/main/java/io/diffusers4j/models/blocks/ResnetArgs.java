// The resnet_* keyword arguments (and output_scale_factor) of diffusers.models.unets.unet_2d_blocks' blocks.
package io.diffusers4j.models.blocks;

/**
 * The settings every block of unet_2d_blocks passes to each of its ResnetBlock2Ds, with the blocks' defaults:
 * {@code ResnetArgs.defaults().withResnetActFn("silu").withResnetEps(1e-5)}. One value serves every block of a
 * model; {@link ResnetBlock2DConfig#validate()} checks them when a resnet is built.
 */
public record ResnetArgs(double resnetEps, String resnetTimeScaleShift, String resnetActFn, int resnetGroups,
                         double outputScaleFactor) {
    /** diffusers' defaults: eps 1e-6, time scale shift "default", "swish", 32 groups, output scale 1. */
    public static ResnetArgs defaults() {
        return new ResnetArgs(1e-6, "default", "swish", 32, 1.0);
    }

    public ResnetArgs withResnetEps(double value) {
        return new ResnetArgs(value, resnetTimeScaleShift, resnetActFn, resnetGroups, outputScaleFactor);
    }

    public ResnetArgs withResnetTimeScaleShift(String value) {
        return new ResnetArgs(resnetEps, value, resnetActFn, resnetGroups, outputScaleFactor);
    }

    public ResnetArgs withResnetActFn(String value) {
        return new ResnetArgs(resnetEps, resnetTimeScaleShift, value, resnetGroups, outputScaleFactor);
    }

    public ResnetArgs withResnetGroups(int value) {
        return new ResnetArgs(resnetEps, resnetTimeScaleShift, resnetActFn, value, outputScaleFactor);
    }

    public ResnetArgs withOutputScaleFactor(double value) {
        return new ResnetArgs(resnetEps, resnetTimeScaleShift, resnetActFn, resnetGroups, value);
    }

    /** A ResnetBlock2D from {@code inChannels} to {@code outChannels} with these settings. */
    public ResnetBlock2DConfig resnet(int inChannels, int outChannels, Integer tembChannels) {
        return ResnetBlock2DConfig.of(inChannels).withOutChannels(outChannels).withTembChannels(tembChannels)
                .withEps(resnetEps).withGroups(resnetGroups).withNonLinearity(resnetActFn)
                .withTimeEmbeddingNorm(resnetTimeScaleShift).withOutputScaleFactor(outputScaleFactor);
    }
}
