// Port of diffusers.models.unets.unet_2d_blocks.CrossAttnUpBlock2D (without FreeU).
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.blocks.Attention;
import io.diffusers4j.models.blocks.CrossAttentionInputs;
import io.diffusers4j.models.blocks.ResnetBlock2D;
import io.diffusers4j.models.blocks.Transformer2DModel;
import io.diffusers4j.models.blocks.Transformer2DModelConfig;
import io.diffusers4j.models.blocks.Upsample2D;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/**
 * Per layer: concatenate the newest skip connection, {@code resnets.i}, {@code attentions.i}; then an optional
 * {@code upsamplers.0}.
 */
public final class CrossAttnUpBlock2D implements UNet2DBlocks.UpBlock {
    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final List<Transformer2DModel> attentions = new ArrayList<>();
    private final Upsample2D upsampler;

    public CrossAttnUpBlock2D(WeightScope scope, UpBlock2DConfig config, CrossAttnConfig attention,
                              AttentionOptions options) {
        Transformer2DModelConfig transformer = attention.validate("CrossAttnUpBlock2D").transformer(config.validate());
        for (int i = 0; i < config.numLayers(); i++) {
            resnets.add(new ResnetBlock2D(scope.pp("resnets").pp(i), config.resnet(i)));
            attentions.add(new Transformer2DModel(scope.pp("attentions").pp(i), transformer, options));
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
            h = attentions.get(i).forward(resnetOutput, cond.encoderHiddenStates(), cond.attentionMask(),
                    cond.encoderAttentionMask());
            resnetOutput.close();
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
        List<Attention> all = new ArrayList<>();
        attentions.forEach(transformer -> transformer.transformerBlocks()
                .forEach(block -> all.addAll(block.attentions())));
        return all;
    }
}
