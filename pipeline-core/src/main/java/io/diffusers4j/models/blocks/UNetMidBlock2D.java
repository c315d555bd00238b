// Port of diffusers.models.unets.unet_2d_blocks.UNetMidBlock2D (the VAE's mid block; "UNetMidBlock2D" in UNets).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code resnets.0}, then per layer an optional spatial self-attention ({@code attentions.i}: group norm, biased
 * projections, float32 softmax, residual) and {@code resnets.(i+1)}.
 */
public final class UNetMidBlock2D {
    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final List<Attention> attentions = new ArrayList<>();

    /**
     * @param tembChannels     null = no time embedding (VAE)
     * @param resnetGroups     null = {@code min(in_channels / 4, 32)} like diffusers
     * @param attnGroups       null = {@code resnetGroups} when the time scale shift is "default", else none
     * @param attentionHeadDim null = {@code inChannels} (one head)
     */
    public UNetMidBlock2D(WeightScope scope, int inChannels, Integer tembChannels, double resnetEps,
                          String resnetTimeScaleShift, String resnetActFn, Integer resnetGroups, Integer attnGroups,
                          boolean addAttention, Integer attentionHeadDim, double outputScaleFactor, int numLayers,
                          AttentionOptions options) {
        int groups = resnetGroups != null ? resnetGroups : Math.min(inChannels / 4, 32);
        if (attnGroups == null) {
            attnGroups = resnetTimeScaleShift.equals("default") ? groups : null;
        }
        int headDim = attentionHeadDim == null ? inChannels : attentionHeadDim;
        resnets.add(resnet(scope.pp("resnets").pp(0), inChannels, tembChannels, groups, resnetEps, resnetActFn,
                resnetTimeScaleShift, outputScaleFactor));
        for (int i = 0; i < numLayers; i++) {
            if (addAttention) {
                attentions.add(new Attention(scope.pp("attentions").pp(i), new Attention.Spec(inChannels)
                        .heads(inChannels / headDim).dimHead(headDim).rescaleOutputFactor(outputScaleFactor)
                        .groupNorm(attnGroups, resnetEps).residualConnection(true).bias(true).upcastSoftmax(true)
                        .fromDeprecatedAttnBlock(true), options));
            } else {
                attentions.add(null);
            }
            resnets.add(resnet(scope.pp("resnets").pp(i + 1), inChannels, tembChannels, groups, resnetEps,
                    resnetActFn, resnetTimeScaleShift, outputScaleFactor));
        }
    }

    private static ResnetBlock2D resnet(WeightScope scope, int channels, Integer temb, int groups, double eps,
                                        String act, String timeScaleShift, double outputScaleFactor) {
        if (timeScaleShift.equals("spatial")) {
            throw new IllegalArgumentException("UNetMidBlock2D: resnet_time_scale_shift 'spatial' "
                    + "(ResnetBlockCondNorm2D) is not supported (supported: default, scale_shift, group)");
        }
        return new ResnetBlock2D(scope, channels, channels, temb, groups, null, eps, act, timeScaleShift,
                outputScaleFactor, false);
    }

    public List<Attention> attentions() {
        return attentions.stream().filter(a -> a != null).toList();
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
