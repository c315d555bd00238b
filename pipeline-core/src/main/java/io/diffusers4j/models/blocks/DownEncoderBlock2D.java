// Port of diffusers.models.unets.unet_2d_blocks.DownEncoderBlock2D (the VAE encoder's blocks).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

import java.util.List;

/** {@code resnets.i} without time embedding, then an optional {@code downsamplers.0} (stride-2 convolution). */
public final class DownEncoderBlock2D {
    private final List<ResnetBlock2D> resnets;
    private final Downsample2D downsampler;

    public DownEncoderBlock2D(WeightScope scope, DownEncoderBlock2DConfig config) {
        this.resnets = ResnetBlock2D.layers(scope, config.validate());
        this.downsampler = Downsample2D.optional(scope, config.addDownsample(), config.outChannels(),
                config.downsamplePadding());
    }

    /** The result is in {@code x}'s manager. */
    public NDArray forward(NDArray x) {
        NDArray h = x;
        for (ResnetBlock2D resnet : resnets) {
            h = ForwardScope.replace(h, resnet.forward(h, null), x);
        }
        if (downsampler != null) {
            h = ForwardScope.replace(h, downsampler.forward(h), x);
        }
        return h;
    }
}
