// Port of diffusers.models.unets.unet_2d_blocks.UpDecoderBlock2D (the VAE decoder's blocks).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/** {@code resnets.i} (no time embedding), then an optional {@code upsamplers.0} (nearest 2x + 3x3 convolution). */
public final class UpDecoderBlock2D {
    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final Upsample2D upsampler;

    public UpDecoderBlock2D(WeightScope scope, int inChannels, int outChannels, int numLayers, double resnetEps,
                            String resnetTimeScaleShift, String resnetActFn, int resnetGroups,
                            double outputScaleFactor, boolean addUpsample, Integer tembChannels) {
        for (int i = 0; i < numLayers; i++) {
            resnets.add(new ResnetBlock2D(scope.pp("resnets").pp(i), i == 0 ? inChannels : outChannels, outChannels,
                    tembChannels, resnetGroups, null, resnetEps, resnetActFn, resnetTimeScaleShift,
                    outputScaleFactor, false));
        }
        this.upsampler = addUpsample ? new Upsample2D(scope.pp("upsamplers").pp(0), outChannels, outChannels) : null;
    }

    /** The result is in {@code x}'s manager; {@code temb} may be null. */
    public NDArray forward(NDArray x, NDArray temb) {
        NDArray h = x;
        for (ResnetBlock2D resnet : resnets) {
            NDArray next = resnet.forward(h, temb);
            if (h != x) {
                h.close();
            }
            h = next;
        }
        if (upsampler != null) {
            NDArray next = upsampler.forward(h, null);
            if (h != x) {
                h.close();
            }
            h = next;
        }
        return h;
    }
}
