// Port of diffusers.models.unets.unet_2d_blocks.UNetMidBlock2DCrossAttn.
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.blocks.Attention;
import io.diffusers4j.models.blocks.CrossAttentionInputs;
import io.diffusers4j.models.blocks.ResnetBlock2D;
import io.diffusers4j.models.blocks.Transformer2DModel;
import io.diffusers4j.models.blocks.Transformer2DModelConfig;
import io.diffusers4j.models.blocks.UNetMidBlock2DConfig;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/** {@code resnets.0}, then per layer {@code attentions.i} and {@code resnets.(i+1)} (the UNet builds one layer). */
public final class UNetMidBlock2DCrossAttn implements UNet2DBlocks.MidBlock {
    private static final String BLOCK = "UNetMidBlock2DCrossAttn";

    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final List<Transformer2DModel> attentions = new ArrayList<>();

    /**
     * {@code config} gives the resnet settings and {@code num_layers} (its {@code add_attention},
     * {@code attn_groups} and {@code attention_head_dim} describe UNetMidBlock2D's own attention and are not read);
     * {@code attention} the transformers, which have no {@code only_cross_attention} here, as in diffusers.
     */
    public UNetMidBlock2DCrossAttn(WeightScope scope, UNetMidBlock2DConfig config, CrossAttnConfig attention,
                                   AttentionOptions options) {
        if (attention.onlyCrossAttention()) {
            throw new IllegalArgumentException(BLOCK + ": only_cross_attention is not an argument of this block");
        }
        Transformer2DModelConfig transformer = attention.validate(BLOCK).transformer(config.validate());
        resnets.add(new ResnetBlock2D(scope.pp("resnets").pp(0), config.resnet(0)));
        for (int i = 0; i < config.numLayers(); i++) {
            attentions.add(new Transformer2DModel(scope.pp("attentions").pp(i), transformer, options));
            resnets.add(new ResnetBlock2D(scope.pp("resnets").pp(i + 1), config.resnet(i + 1)));
        }
    }

    @Override
    public NDArray forward(NDArray hidden, NDArray temb, CrossAttentionInputs cond) {
        NDArray h = resnets.get(0).forward(hidden, temb);
        for (int i = 0; i < attentions.size(); i++) {
            h = ForwardScope.replace(h, attentions.get(i).forward(h, cond.encoderHiddenStates(),
                    cond.attentionMask(), cond.encoderAttentionMask()));
            h = ForwardScope.replace(h, resnets.get(i + 1).forward(h, temb));
        }
        return h;
    }

    @Override
    public List<Attention> attentions() {
        List<Attention> all = new ArrayList<>();
        attentions.forEach(transformer -> transformer.transformerBlocks()
                .forEach(block -> all.addAll(block.attentions())));
        return all;
    }
}
