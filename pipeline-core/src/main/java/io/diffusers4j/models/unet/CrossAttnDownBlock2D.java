// Port of diffusers.models.unets.unet_2d_blocks.CrossAttnDownBlock2D.
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.blocks.Attention;
import io.diffusers4j.models.blocks.CrossAttentionInputs;
import io.diffusers4j.models.blocks.Downsample2D;
import io.diffusers4j.models.blocks.ResnetBlock2D;
import io.diffusers4j.models.blocks.Transformer2DModel;
import io.diffusers4j.models.blocks.Transformer2DModelConfig;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/**
 * Per layer {@code resnets.i} then {@code attentions.i} (a {@link Transformer2DModel} with
 * {@code out_channels / num_attention_heads} channels per head), then an optional {@code downsamplers.0}.
 */
public final class CrossAttnDownBlock2D implements UNet2DBlocks.DownBlock {
    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final List<Transformer2DModel> attentions = new ArrayList<>();
    private final Downsample2D downsampler;

    public CrossAttnDownBlock2D(WeightScope scope, DownBlock2DConfig config, CrossAttnConfig attention,
                                AttentionOptions options) {
        Transformer2DModelConfig transformer = attention.validate("CrossAttnDownBlock2D")
                .transformer(config.validate());
        for (int i = 0; i < config.numLayers(); i++) {
            resnets.add(new ResnetBlock2D(scope.pp("resnets").pp(i), config.resnet(i)));
            attentions.add(new Transformer2DModel(scope.pp("attentions").pp(i), transformer, options));
        }
        this.downsampler = Downsample2D.optional(scope, config.addDownsample(), config.outChannels(),
                config.downsamplePadding());
    }

    @Override
    public UNet2DBlocks.DownOutput forward(NDArray hidden, NDArray temb, CrossAttentionInputs cond) {
        List<NDArray> out = new ArrayList<>();
        NDArray h = hidden;
        for (int i = 0; i < resnets.size(); i++) {
            NDArray resnetOutput = resnets.get(i).forward(h, temb);
            h = attentions.get(i).forward(resnetOutput, cond.encoderHiddenStates(), cond.attentionMask(),
                    cond.encoderAttentionMask());
            resnetOutput.close();
            out.add(h);
        }
        return UNet2DBlocks.DownOutput.downsampled(downsampler, h, out);
    }

    @Override
    public List<Attention> attentions() {
        List<Attention> all = new ArrayList<>();
        attentions.forEach(transformer -> transformer.transformerBlocks()
                .forEach(block -> all.addAll(block.attentions())));
        return all;
    }
}
