// The resnets of diffusers.models.unets.unet_2d_blocks' blocks: num_layers ResnetBlock2Ds with shared arguments.
package io.diffusers4j.models.blocks;

/**
 * What the configs of the UNet and VAE blocks have in common: {@code num_layers} resnets ({@code resnets.i}) from
 * {@code in_channels} to {@code out_channels}, each built from the block's {@code temb_channels} and
 * {@link ResnetArgs}.
 */
public interface ResnetLayersConfig {
    int inChannels();

    int outChannels();

    int numLayers();

    /** null = no time embedding. */
    Integer tembChannels();

    ResnetArgs resnetArgs();

    /** {@code resnets.i}: the first maps {@code in_channels}, the others {@code out_channels}, to out_channels. */
    default ResnetBlock2DConfig resnet(int layer) {
        return resnetArgs().resnet(layer == 0 ? inChannels() : outChannels(), outChannels(), tembChannels());
    }

    /** The checks every block config makes, with {@code block} named in the messages. */
    default void validateLayers(String block) {
        ConfigChecks.positive(block, "in_channels", inChannels());
        ConfigChecks.positive(block, "out_channels", outChannels());
        ConfigChecks.nonNegative(block, "num_layers", numLayers());
        if (resnetArgs() == null) {
            throw new IllegalArgumentException(block + ": resnet arguments must be set, got null");
        }
    }
}
