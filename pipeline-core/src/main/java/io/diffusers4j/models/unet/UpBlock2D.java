// Port of diffusers.models.unets.unet_2d_blocks.UpBlock2D (without FreeU).
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import io.diffusers4j.models.blocks.Attention;
import io.diffusers4j.models.blocks.CrossAttentionInputs;
import io.diffusers4j.models.blocks.ResnetBlock2D;
import io.diffusers4j.models.blocks.Upsample2D;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

import java.util.List;

/**
 * Per layer: concatenate the newest skip connection on the channel axis, then {@code resnets.i}; finally an optional
 * {@code upsamplers.0}.
 */
public final class UpBlock2D implements UNet2DBlocks.UpBlock {
    private final List<ResnetBlock2D> resnets;
    private final Upsample2D upsampler;

    public UpBlock2D(WeightScope scope, UpBlock2DConfig config) {
        this.resnets = ResnetBlock2D.layers(scope, config.validate());
        this.upsampler = Upsample2D.optional(scope, config.addUpsample(), config.outChannels());
    }

    @Override
    public NDArray forward(NDArray hidden, List<NDArray> resSamples, NDArray temb, CrossAttentionInputs cond,
                           long[] upsampleSize) {
        NDArray h = hidden;
        int next = resSamples.size() - 1;
        for (ResnetBlock2D resnet : resnets) {
            NDArray cat = concat(h, resSamples.get(next--));
            if (h != hidden) {
                h.close();
            }
            h = resnet.forward(cat, temb);
            cat.close();
        }
        if (upsampler != null) {
            h = ForwardScope.replace(h, upsampler.forward(h, upsampleSize));
        }
        return h;
    }

    /** {@code torch.cat([hidden, res], dim=1)}. */
    static NDArray concat(NDArray hidden, NDArray res) {
        return NDArrays.concat(new NDList(hidden, res), 1);
    }

    @Override
    public int numResnets() {
        return resnets.size();
    }

    @Override
    public List<Attention> attentions() {
        return List.of();
    }
}
