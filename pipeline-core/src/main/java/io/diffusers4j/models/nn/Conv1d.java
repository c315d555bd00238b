// torch.nn.Conv1d over DJL's functional conv1d, with the input-channel padding Conv2d applies on the CPU.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.weights.WeightScope;

/**
 * A 1-D convolution of {@code [N, C, L]} with weight {@code [out, in, k]}, an optional bias, stride and padding,
 * computed as the 2-D convolution of {@code [N, C, 1, L]} with a {@code 1 x k} kernel: libtorch 2.7.1's CPU conv1d
 * through DJL took 10-20 ms on {@code [1, 32, 512]} with 32 channels and 5 taps (it tries NNPACK, unsupported here,
 * on every call), the 2-D form 0.5 ms.
 *
 * <p>libtorch's CPU convolution is wrong for kernels wider than one tap when the input channels exceed the SIMD
 * block and are not a multiple of it (docs/design.md, "Convolutions with some input-channel counts are wrong on the
 * CPU"); the 1-D UNet meets such counts (2 audio channels + 16 time channels = 18). As {@link Conv2d} does, such
 * weights are zero-padded once to a multiple of {@value Conv2d#CHANNEL_BLOCK} input channels and each input gets as
 * many zero channels: the sum is unchanged.
 */
public final class Conv1d {
    private final NDArray weight;
    private final NDArray bias;
    private final Shape stride;
    private final Shape padding;
    private final Shape dilation = new Shape(1, 1);
    private final long extraChannels;

    public Conv1d(NDArray weight, NDArray bias, int stride, int padding) {
        Shape w = weight.getShape();
        if (w.dimension() != 3) {
            throw new IllegalArgumentException("Conv1d weight must be [out, in, kernel], got " + w);
        }
        long in = w.get(1);
        boolean wide = w.get(2) > 1;
        this.extraChannels = weight.getDevice().isGpu() || !wide || in <= Conv2d.CHANNEL_BLOCK
                || in % Conv2d.CHANNEL_BLOCK == 0 ? 0 : Conv2d.CHANNEL_BLOCK - in % Conv2d.CHANNEL_BLOCK;
        NDArray padded = weight;
        if (extraChannels != 0) {
            try (NDArray zeros = weight.getManager().zeros(new Shape(w.get(0), extraChannels, w.get(2)),
                    weight.getDataType())) {
                padded = weight.concat(zeros, 1);
            }
        }
        // [out, in, 1, k], made once (a reshape lands in the weights' manager)
        this.weight = padded.reshape(w.get(0), w.get(1) + extraChannels, 1, w.get(2));
        this.bias = bias;
        this.stride = new Shape(1, stride);
        this.padding = new Shape(0, padding);
    }

    /** {@code nn.Conv1d(in, out, kernel, stride, padding, bias)} under {@code scope}. */
    public static Conv1d load(WeightScope scope, long in, long out, int kernel, int stride, int padding,
                              boolean bias) {
        return new Conv1d(scope.get("weight", out, in, kernel), bias ? scope.get("bias", out) : null, stride,
                padding);
    }

    /** The result is in the manager of {@code x}. */
    public NDArray forward(NDArray x) {
        long t0 = OpProfiler.start();
        long expected = weight.getShape().get(1) - extraChannels;
        if (x.getShape().dimension() != 3 || x.getShape().get(1) != expected) {
            throw new IllegalArgumentException("Conv1d: expected [N, " + expected + ", L], got " + x.getShape());
        }
        Shape s = x.getShape();
        NDArray input = x.reshape(s.get(0), s.get(1), 1, s.get(2));
        if (extraChannels != 0) {
            try (NDArray zeros = x.getManager().zeros(new Shape(s.get(0), extraChannels, 1, s.get(2)),
                    x.getDataType()); NDArray narrow = input) {
                input = narrow.concat(zeros, 1);
            }
        }
        NDArray out;
        // DJL's functional convolution, reached through NDArrayEx
        try (NDArray planar = input.getNDArrayInternal().convolution(input, weight, bias, stride, padding, dilation,
                1).singletonOrThrow()) {
            Shape o = planar.getShape();
            out = planar.reshape(o.get(0), o.get(1), o.get(3));
        }
        input.close();
        if (t0 != 0L) {
            Shape w = weight.getShape();
            OpProfiler.stop(OpProfiler.OpClass.CONVOLUTION, t0,
                    OpProfiler.convFlops(out, w.get(1) - extraChannels, w.get(3)), out);
        }
        return out;
    }
}
