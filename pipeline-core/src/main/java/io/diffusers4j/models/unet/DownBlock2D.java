// Port of diffusers.models.unets.unet_2d_blocks.DownBlock2D.
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.blocks.Attention;
import io.diffusers4j.models.blocks.CrossAttentionInputs;
import io.diffusers4j.models.blocks.Downsample2D;
import io.diffusers4j.models.blocks.ResnetBlock2D;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/** {@code resnets.i} then an optional {@code downsamplers.0}; every output is a skip connection. */
public final class DownBlock2D implements UNet2DBlocks.DownBlock {
    private final List<ResnetBlock2D> resnets;
    private final Downsample2D downsampler;

    public DownBlock2D(WeightScope scope, DownBlock2DConfig config) {
        this.resnets = ResnetBlock2D.layers(scope, config.validate());
        this.downsampler = Downsample2D.optional(scope, config.addDownsample(), config.outChannels(),
                config.downsamplePadding());
    }

    @Override
    public UNet2DBlocks.DownOutput forward(NDArray hidden, NDArray temb, CrossAttentionInputs cond) {
        List<NDArray> out = new ArrayList<>();
        NDArray h = hidden;
        for (ResnetBlock2D resnet : resnets) {
            h = resnet.forward(h, temb);
            out.add(h);
        }
        return UNet2DBlocks.DownOutput.downsampled(downsampler, h, out);
    }

    @Override
    public List<Attention> attentions() {
        return List.of();
    }
}
