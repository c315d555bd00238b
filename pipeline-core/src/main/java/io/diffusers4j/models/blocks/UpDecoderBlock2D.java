// Port of diffusers.models.unets.unet_2d_blocks.UpDecoderBlock2D (the VAE decoder's blocks).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

import java.util.List;

/** {@code resnets.i} (no time embedding), then an optional {@code upsamplers.0} (nearest 2x + 3x3 convolution). */
public final class UpDecoderBlock2D {
    private final List<ResnetBlock2D> resnets;
    private final Upsample2D upsampler;

    public UpDecoderBlock2D(WeightScope scope, UpDecoderBlock2DConfig config) {
        this.resnets = ResnetBlock2D.layers(scope, config.validate());
        this.upsampler = Upsample2D.optional(scope, config.addUpsample(), config.outChannels());
    }

    /** The result is in {@code x}'s manager; {@code temb} may be null. */
    public NDArray forward(NDArray x, NDArray temb) {
        NDArray h = x;
        for (ResnetBlock2D resnet : resnets) {
            h = ForwardScope.replace(h, resnet.forward(h, temb), x);
        }
        if (upsampler != null) {
            h = ForwardScope.replace(h, upsampler.forward(h, null), x);
        }
        return h;
    }
}
