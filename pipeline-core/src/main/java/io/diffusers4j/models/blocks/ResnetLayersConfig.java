// The resnets of diffusers.models.unets.unet_2d_blocks' blocks: ResnetBlock2Ds sharing the resnet_* keyword arguments.
package io.diffusers4j.models.blocks;

/**
 * What the configs of the UNet and VAE blocks have in common: {@code num_layers} resnets ({@code resnets.i}) from
 * {@code in_channels} to {@code out_channels}, each built from the block's {@code temb_channels}, {@code resnet_eps},
 * {@code resnet_time_scale_shift}, {@code resnet_act_fn}, {@code resnet_groups} and {@code output_scale_factor}
 * (those are checked by {@link ResnetBlock2DConfig#validate()} when a resnet is built).
 */
public interface ResnetLayersConfig {
    int inChannels();

    int outChannels();

    int numLayers();

    /** null = no time embedding. */
    Integer tembChannels();

    double resnetEps();

    String resnetTimeScaleShift();

    String resnetActFn();

    int resnetGroups();

    double outputScaleFactor();

    /** {@code resnets.i}: the first maps {@code in_channels}, the others {@code out_channels}, to out_channels. */
    default ResnetBlock2DConfig resnet(int layer) {
        return resnet(layer == 0 ? inChannels() : outChannels(), outChannels());
    }

    /** A ResnetBlock2D mapping {@code inChannels} to {@code outChannels} with this block's resnet settings. */
    default ResnetBlock2DConfig resnet(int inChannels, int outChannels) {
        return ResnetBlock2DConfig.of(inChannels).withOutChannels(outChannels).withTembChannels(tembChannels())
                .withEps(resnetEps()).withGroups(resnetGroups()).withNonLinearity(resnetActFn())
                .withTimeEmbeddingNorm(resnetTimeScaleShift()).withOutputScaleFactor(outputScaleFactor());
    }

    /** The checks every block config makes, with {@code block} named in the messages. */
    default void validateLayers(String block) {
        ConfigChecks.positive(block, "in_channels", inChannels());
        ConfigChecks.positive(block, "out_channels", outChannels());
        ConfigChecks.nonNegative(block, "num_layers", numLayers());
    }
}
