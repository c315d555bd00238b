// Port of diffusers.models.unets.unet_2d_blocks.AttnDownBlock2D (downsample_type "conv"), UNet2DModel's attention block.
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.blocks.Attention;
import io.diffusers4j.models.blocks.CrossAttentionInputs;
import io.diffusers4j.models.blocks.Downsample2D;
import io.diffusers4j.models.blocks.ResnetArgs;
import io.diffusers4j.models.blocks.ResnetBlock2D;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/**
 * Per layer {@code resnets.i} then {@code attentions.i} (spatial self-attention with group norm, biased
 * projections, a float32 softmax and the residual), each output a skip connection; then an optional
 * {@code downsamplers.0}. Checkpoints from before diffusers 0.14 name the attention weights {@code query},
 * {@code key}, {@code value}, {@code proj_attn}; they load too.
 */
public final class AttnDownBlock2D implements UNet2DBlocks.DownBlock {
    private final List<ResnetBlock2D> resnets;
    private final List<Attention> attentions = new ArrayList<>();
    private final Downsample2D downsampler;

    /** {@code attentionHeadDim}: the channels of each head (diffusers' {@code attention_head_dim}). */
    public AttnDownBlock2D(WeightScope scope, DownBlock2DConfig config, int attentionHeadDim,
                           AttentionOptions options) {
        this.resnets = ResnetBlock2D.layers(scope, config.validate());
        for (int i = 0; i < config.numLayers(); i++) {
            attentions.add(spatialAttention(scope.pp("attentions").pp(i), config.outChannels(), attentionHeadDim,
                    config.resnetArgs(), options));
        }
        this.downsampler = Downsample2D.optional(scope, config.addDownsample(), config.outChannels(),
                config.downsamplePadding());
    }

    /**
     * The attention of AttnDownBlock2D / AttnUpBlock2D: {@code channels / headDim} heads of {@code headDim},
     * group norm with {@code resnet_groups} and {@code resnet_eps}, biased projections, upcast softmax, residual,
     * output scale 1 (the UNet passes no {@code output_scale_factor} to these blocks).
     */
    static Attention spatialAttention(WeightScope scope, int channels, int headDim, ResnetArgs resnetArgs,
                                      AttentionOptions options) {
        if (headDim < 1 || channels / headDim < 1) {
            throw new IllegalArgumentException("attention_head_dim " + headDim + " leaves no head for "
                    + channels + " channels");
        }
        return new Attention(scope, new Attention.Spec(channels).heads(channels / headDim).dimHead(headDim)
                .groupNorm(resnetArgs.resnetGroups(), resnetArgs.resnetEps()).residualConnection(true).bias(true)
                .upcastSoftmax(true).fromDeprecatedAttnBlock(true), options);
    }

    @Override
    public UNet2DBlocks.DownOutput forward(NDArray hidden, NDArray temb, CrossAttentionInputs cond) {
        List<NDArray> out = new ArrayList<>();
        NDArray h = hidden;
        for (int i = 0; i < resnets.size(); i++) {
            NDArray resnetOutput = resnets.get(i).forward(h, temb);
            h = ForwardScope.replace(resnetOutput, attentions.get(i).forward(resnetOutput, null, null));
            out.add(h);
        }
        return UNet2DBlocks.DownOutput.downsampled(downsampler, h, out);
    }

    @Override
    public List<Attention> attentions() {
        return List.copyOf(attentions);
    }
}
