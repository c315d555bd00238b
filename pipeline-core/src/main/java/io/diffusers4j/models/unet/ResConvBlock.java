// Port of diffusers.models.unets.unet_1d_blocks.ResConvBlock (the 1-D UNet's residual convolution block).
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.models.nn.Conv1d;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.models.nn.GroupNorm;
import io.diffusers4j.weights.WeightScope;

/**
 * {@code conv_1} (5 taps) → one-group norm → GELU → {@code conv_2} (→ one-group norm → GELU unless it is the last
 * block of the UNet), plus the input, through a bias-free 1x1 {@code conv_skip} when the channel count changes.
 */
public final class ResConvBlock {
    private static final double EPS = 1e-5;
    private final Conv1d convSkip;
    private final Conv1d conv1;
    private final GroupNorm groupNorm1;
    private final Conv1d conv2;
    private final GroupNorm groupNorm2;

    public ResConvBlock(WeightScope scope, int inChannels, int midChannels, int outChannels, boolean isLast) {
        this.convSkip = inChannels != outChannels
                ? Conv1d.load(scope.pp("conv_skip"), inChannels, outChannels, 1, 1, 0, false) : null;
        this.conv1 = Conv1d.load(scope.pp("conv_1"), inChannels, midChannels, 5, 1, 2, true);
        this.groupNorm1 = GroupNorm.load(scope.pp("group_norm_1"), 1, midChannels, EPS);
        this.conv2 = Conv1d.load(scope.pp("conv_2"), midChannels, outChannels, 5, 1, 2, true);
        this.groupNorm2 = isLast ? null : GroupNorm.load(scope.pp("group_norm_2"), 1, outChannels, EPS);
    }

    /** The result is in the manager of {@code x}. */
    public NDArray forward(NDArray x) {
        return ForwardScope.run(x.getManager(), sub -> {
            NDArray residual = convSkip != null ? convSkip.forward(x) : x;
            NDArray h = conv1.forward(x);
            h = Activations.gelu(groupNorm1.forward(h));
            h = conv2.forward(h);
            if (groupNorm2 != null) {
                h = Activations.gelu(groupNorm2.forward(h));
            }
            return h.addi(residual);
        }, x);
    }
}
