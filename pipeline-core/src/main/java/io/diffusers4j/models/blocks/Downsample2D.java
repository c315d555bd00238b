// Port of diffusers.models.downsampling.Downsample2D (the strided-convolution form every SD UNet and VAE uses).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.nn.Conv2d;
import io.diffusers4j.weights.WeightScope;

/**
 * A 3x3 convolution with stride 2 ({@code conv.weight}, {@code conv.bias}). With {@code padding == 0} the input is
 * first padded by one zero row and column at the bottom and right, like diffusers ({@code F.pad(x, (0, 1, 0, 1))}).
 */
public final class Downsample2D {
    private final Conv2d conv;
    private final int padding;
    private final long channels;

    public Downsample2D(WeightScope scope, int channels, Integer outChannels, int padding) {
        this.channels = channels;
        this.padding = padding;
        this.conv = Conv2d.load(scope.pp("conv"), channels, outChannels == null ? channels : outChannels, 3, 2,
                padding);
    }

    /** {@code downsamplers.0} of a block ({@code scope}) keeping {@code channels}, or null unless {@code add}. */
    public static Downsample2D optional(WeightScope scope, boolean add, int channels, int padding) {
        return add ? new Downsample2D(scope.pp("downsamplers").pp(0), channels, channels, padding) : null;
    }

    /** The result is in {@code x}'s manager. */
    public NDArray forward(NDArray x) {
        if (x.getShape().get(1) != channels) {
            throw new IllegalArgumentException("Downsample2D: expected " + channels + " channels, got shape "
                    + x.getShape());
        }
        if (padding == 0) {
            try (NDArray padded = x.pad(new Shape(0, 1, 0, 1), 0)) {
                return conv.forward(padded);
            }
        }
        return conv.forward(x);
    }
}
