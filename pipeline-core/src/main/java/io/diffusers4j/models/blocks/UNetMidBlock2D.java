// Port of diffusers.models.unets.unet_2d_blocks.UNetMidBlock2D (the VAE's mid block; "UNetMidBlock2D" in UNets).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code resnets.0}, then per layer an optional spatial self-attention ({@code attentions.i}: group norm, biased
 * projections, float32 softmax, residual) and {@code resnets.(i+1)}.
 */
public final class UNetMidBlock2D {
    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final List<Attention> attentions = new ArrayList<>();

    public UNetMidBlock2D(WeightScope scope, UNetMidBlock2DConfig config, AttentionOptions options) {
        config.validate();
        int channels = config.inChannels();
        int headDim = config.resolvedAttentionHeadDim();
        ResnetArgs resnetArgs = config.resnetArgs();
        resnets.add(new ResnetBlock2D(scope.pp("resnets").pp(0), config.resnet(0)));
        for (int i = 0; i < config.numLayers(); i++) {
            if (config.addAttention()) {
                attentions.add(new Attention(scope.pp("attentions").pp(i), new Attention.Spec(channels)
                        .heads(channels / headDim).dimHead(headDim).rescaleOutputFactor(resnetArgs.outputScaleFactor())
                        .groupNorm(config.resolvedAttnGroups(), resnetArgs.resnetEps()).residualConnection(true)
                        .bias(true).upcastSoftmax(true).fromDeprecatedAttnBlock(true), options));
            } else {
                attentions.add(null);
            }
            resnets.add(new ResnetBlock2D(scope.pp("resnets").pp(i + 1), config.resnet(i + 1)));
        }
    }

    public List<Attention> attentions() {
        return attentions.stream().filter(Objects::nonNull).toList();
    }

    /** The result is in {@code x}'s manager; {@code temb} may be null. */
    public NDArray forward(NDArray x, NDArray temb) {
        NDArray h = resnets.get(0).forward(x, temb);
        for (int i = 0; i < attentions.size(); i++) {
            Attention attn = attentions.get(i);
            if (attn != null) {
                h = ForwardScope.replace(h, attn.forward(h, null, null));
            }
            h = ForwardScope.replace(h, resnets.get(i + 1).forward(h, temb));
        }
        return h;
    }
}
