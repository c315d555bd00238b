// Port of diffusers.models.unets.unet_2d_blocks.UNetMidBlock2DCrossAttn.
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.blocks.Attention;
import io.diffusers4j.models.blocks.CrossAttentionInputs;
import io.diffusers4j.models.blocks.ResnetBlock2D;
import io.diffusers4j.models.blocks.Transformer2DModel;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

import java.util.ArrayList;
import java.util.List;

/** {@code resnets.0}, then {@code attentions.0} and {@code resnets.1} (one layer, as the UNet builds it). */
public final class UNetMidBlock2DCrossAttn implements UNet2DBlocks.MidBlock {
    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final List<Transformer2DModel> attentions = new ArrayList<>();

    public UNetMidBlock2DCrossAttn(WeightScope scope, int inChannels, int tembChannels, double resnetEps,
                                   String resnetTimeScaleShift, String resnetActFn, int resnetGroups,
                                   int numAttentionHeads, double outputScaleFactor, int crossAttentionDim,
                                   boolean useLinearProjection, boolean upcastAttention,
                                   int transformerLayersPerBlock, AttentionOptions options) {
        int numLayers = 1;
        resnets.add(new ResnetBlock2D(scope.pp("resnets").pp(0), inChannels, inChannels, tembChannels, resnetGroups,
                resnetGroups, resnetEps, resnetActFn, resnetTimeScaleShift, outputScaleFactor, false));
        for (int i = 0; i < numLayers; i++) {
            attentions.add(Transformer2DModel.forUNet(scope.pp("attentions").pp(i), numAttentionHeads,
                    inChannels / numAttentionHeads, inChannels, transformerLayersPerBlock, resnetGroups,
                    crossAttentionDim, useLinearProjection, false, upcastAttention, options));
            resnets.add(new ResnetBlock2D(scope.pp("resnets").pp(i + 1), inChannels, inChannels, tembChannels,
                    resnetGroups, null, resnetEps, resnetActFn, resnetTimeScaleShift, outputScaleFactor, false));
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
        attentions.forEach(t -> t.transformerBlocks().forEach(b -> all.addAll(b.attentions())));
        return all;
    }
}
