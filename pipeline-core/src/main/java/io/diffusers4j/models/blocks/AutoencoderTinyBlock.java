// Port of diffusers.models.unets.unet_2d_blocks.AutoencoderTinyBlock.
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.models.nn.Conv2d;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

/**
 * TAESD's residual block: {@code relu(conv(x) + skip(x))} where {@code conv} is 3x3 conv → act → 3x3 conv → act →
 * 3x3 conv ({@code conv.0}, {@code conv.2}, {@code conv.4}) and {@code skip} a bias-free 1x1 conv when the channel
 * count changes, else the identity.
 */
public final class AutoencoderTinyBlock {
    private final Conv2d conv0;
    private final Conv2d conv2;
    private final Conv2d conv4;
    private final Conv2d skip;
    private final String actFn;

    public AutoencoderTinyBlock(WeightScope scope, int inChannels, int outChannels, String actFn) {
        WeightScope conv = scope.pp("conv");
        this.conv0 = Conv2d.load(conv.pp(0), inChannels, outChannels, 3, 1, 1);
        this.conv2 = Conv2d.load(conv.pp(2), outChannels, outChannels, 3, 1, 1);
        this.conv4 = Conv2d.load(conv.pp(4), outChannels, outChannels, 3, 1, 1);
        this.skip = inChannels == outChannels ? null
                : new Conv2d(scope.pp("skip").get("weight", outChannels, inChannels, 1, 1), null, 1, 0);
        this.actFn = actFn;
    }

    /** The result is in {@code x}'s manager. */
    public NDArray forward(NDArray x) {
        return ForwardScope.run(x, input -> {
            NDArray h = conv0.forward(input);
            h = ForwardScope.replace(h, Activations.applyInPlace(actFn, h));
            h = ForwardScope.replace(h, conv2.forward(h));
            h = ForwardScope.replace(h, Activations.applyInPlace(actFn, h));
            h = ForwardScope.replace(h, conv4.forward(h));
            h = skip == null ? h.addi(input) : h.addi(skip.forward(input));
            return Activation.relu(h);
        });
    }
}
