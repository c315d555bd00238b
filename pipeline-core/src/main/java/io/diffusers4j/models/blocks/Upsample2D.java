// Port of diffusers.models.upsampling.Upsample2D (nearest interpolation then a 3x3 convolution).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.diffusers4j.models.nn.Conv2d;
import io.diffusers4j.weights.WeightScope;

/**
 * {@code F.interpolate(x, scale_factor=2.0, mode="nearest")} (or to an explicit output size, diffusers'
 * {@code upsample_size} for odd latent sizes) followed by a 3x3 convolution ({@code conv.weight}, {@code conv.bias}).
 */
public final class Upsample2D {
    private final Conv2d conv;
    private final long channels;

    public Upsample2D(WeightScope scope, int channels, Integer outChannels) {
        this.channels = channels;
        this.conv = Conv2d.load(scope.pp("conv"), channels, outChannels == null ? channels : outChannels, 3, 1, 1);
    }

    /** {@code upsamplers.0} of a block ({@code scope}) keeping {@code channels}, or null unless {@code add}. */
    public static Upsample2D optional(WeightScope scope, boolean add, int channels) {
        return add ? new Upsample2D(scope.pp("upsamplers").pp(0), channels, channels) : null;
    }

    /** {@code outputSize}: null for 2x, else {@code {height, width}}. The result is in {@code x}'s manager. */
    public NDArray forward(NDArray x, long[] outputSize) {
        if (x.getShape().get(1) != channels) {
            throw new IllegalArgumentException("Upsample2D: expected " + channels + " channels, got shape "
                    + x.getShape());
        }
        try (NDArray up = outputSize == null ? nearest2x(x) : nearest(x, outputSize[0], outputSize[1])) {
            return conv.forward(up);
        }
    }

    /**
     * Nearest 2x upsampling of {@code [N, C, H, W]}: each pixel becomes a 2x2 block. One broadcast copy, equal to
     * {@code F.interpolate(x, scale_factor=2.0, mode="nearest")}.
     */
    public static NDArray nearest2x(NDArray x) {
        long n = x.getShape().get(0);
        long c = x.getShape().get(1);
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        try (NDArray pixels = x.reshape(n, c, h, 1, w, 1); NDArray blocks = pixels.broadcast(n, c, h, 2, w, 2)) {
            return blocks.reshape(n, c, 2 * h, 2 * w);
        }
    }

    /**
     * {@code F.interpolate(x, size=(outH, outW), mode="nearest")}: output index {@code d} reads input index
     * {@code min(floor(d * (float) in / out), in - 1)} computed in float like PyTorch's CPU kernel (exactly
     * {@code d / 2} for 2x, {@code d} for 1x).
     */
    public static NDArray nearest(NDArray x, long outH, long outW) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        if (outH == 2 * h && outW == 2 * w) {
            return nearest2x(x);
        }
        NDManager manager = x.getManager();
        try (NDArray rows = manager.create(sourceIndex(h, outH)); NDArray cols = manager.create(sourceIndex(w, outW));
             NDArray byRow = x.get(new NDIndex(":, :, {}", rows))) {
            return byRow.get(new NDIndex(":, :, :, {}", cols));
        }
    }

    static long[] sourceIndex(long in, long out) {
        long[] idx = new long[Math.toIntExact(out)];
        float scale = (float) in / (float) out;
        for (int d = 0; d < idx.length; d++) {
            if (out == in) {
                idx[d] = d;
            } else if (out == 2 * in) {
                idx[d] = d >> 1;
            } else {
                idx[d] = Math.min((long) Math.floor((float) d * scale), in - 1);
            }
        }
        return idx;
    }
}
