// Port of diffusers.models.unets.unet_2d_blocks.AttnUpBlock2D (upsample_type "conv"), UNet2DModel's attention block.
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.blocks.Attention;
import io.diffusers4j.models.blocks.CrossAttentionInputs;
import io.diffusers4j.models.blocks.ResnetBlock2D;
import io.diffusers4j.models.blocks.Upsample2D;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/**
 * Per layer: concatenate the newest skip connection, {@code resnets.i}, {@code attentions.i} (as in
 * {@link AttnDownBlock2D}); then an optional {@code upsamplers.0} (nearest 2x and a 3x3 convolution).
 */
public final class AttnUpBlock2D implements UNet2DBlocks.UpBlock {
    private final List<ResnetBlock2D> resnets;
    private final List<Attention> attentions = new ArrayList<>();
    private final Upsample2D upsampler;

    public AttnUpBlock2D(WeightScope scope, UpBlock2DConfig config, int attentionHeadDim, AttentionOptions options) {
        this.resnets = ResnetBlock2D.layers(scope, config.validate());
        for (int i = 0; i < config.numLayers(); i++) {
            attentions.add(AttnDownBlock2D.spatialAttention(scope.pp("attentions").pp(i), config.outChannels(),
                    attentionHeadDim, config.resnetArgs(), options));
        }
        this.upsampler = Upsample2D.optional(scope, config.addUpsample(), config.outChannels());
    }

    @Override
    public NDArray forward(NDArray hidden, List<NDArray> resSamples, NDArray temb, CrossAttentionInputs cond,
                           long[] upsampleSize) {
        NDArray h = hidden;
        int next = resSamples.size() - 1;
        for (int i = 0; i < resnets.size(); i++) {
            NDArray cat = UpBlock2D.concat(h, resSamples.get(next--));
            if (h != hidden) {
                h.close();
            }
            NDArray resnetOutput = resnets.get(i).forward(cat, temb);
            cat.close();
            h = ForwardScope.replace(resnetOutput, attentions.get(i).forward(resnetOutput, null, null));
        }
        if (upsampler != null) {
            h = ForwardScope.replace(h, upsampler.forward(h, upsampleSize));
        }
        return h;
    }

    @Override
    public int numResnets() {
        return resnets.size();
    }

    @Override
    public List<Attention> attentions() {
        return List.copyOf(attentions);
    }
}
