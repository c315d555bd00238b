// Port of diffusers.models.unets.unet_2d_blocks.DownEncoderBlock2D (the VAE encoder's blocks).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/** {@code resnets.i} without time embedding, then an optional {@code downsamplers.0} (stride-2 convolution). */
public final class DownEncoderBlock2D {
    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final Downsample2D downsampler;

    public DownEncoderBlock2D(WeightScope scope, int inChannels, int outChannels, int numLayers, double resnetEps,
                              String resnetTimeScaleShift, String resnetActFn, int resnetGroups,
                              double outputScaleFactor, boolean addDownsample, int downsamplePadding) {
        for (int i = 0; i < numLayers; i++) {
            resnets.add(new ResnetBlock2D(scope.pp("resnets").pp(i), i == 0 ? inChannels : outChannels, outChannels,
                    null, resnetGroups, null, resnetEps, resnetActFn, resnetTimeScaleShift, outputScaleFactor,
                    false));
        }
        this.downsampler = addDownsample
                ? new Downsample2D(scope.pp("downsamplers").pp(0), outChannels, outChannels, downsamplePadding)
                : null;
    }

    /** The result is in {@code x}'s manager. */
    public NDArray forward(NDArray x) {
        NDArray h = x;
        for (ResnetBlock2D resnet : resnets) {
            NDArray next = resnet.forward(h, null);
            if (h != x) {
                h.close();
            }
            h = next;
        }
        if (downsampler != null) {
            NDArray next = downsampler.forward(h);
            if (h != x) {
                h.close();
            }
            h = next;
        }
        return h;
    }
}
