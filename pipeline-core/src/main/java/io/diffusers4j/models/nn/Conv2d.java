// torch.nn.Conv2d over DJL's functional conv2d.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.weights.WeightScope;

/** A 2-D convolution with square kernel, stride and padding; weight {@code [out, in, k, k]}. */
public final class Conv2d {
    private final NDArray weight;
    private final NDArray bias;
    private final Shape stride;
    private final Shape padding;
    private final Shape dilation = new Shape(1, 1);

    public Conv2d(NDArray weight, NDArray bias, int stride, int padding) {
        this.weight = weight;
        this.bias = bias;
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(padding, padding);
    }

    public static Conv2d load(WeightScope scope, long in, long out, int kernel, int stride, int padding) {
        return new Conv2d(scope.get("weight", out, in, kernel, kernel), scope.get("bias", out), stride, padding);
    }

    public NDArray forward(NDArray x) {
        long t0 = OpProfiler.start();
        NDArray out = ai.djl.nn.convolutional.Conv2d.conv2d(x, weight, bias, stride, padding, dilation, 1)
                .singletonOrThrow();
        if (t0 != 0L) {
            Shape w = weight.getShape();
            long flops = OpProfiler.convFlops(out, w.get(1), w.get(2) * w.get(3));
            OpProfiler.stop(OpProfiler.OpClass.CONVOLUTION, t0, flops, out);
        }
        return out;
    }

    public long outChannels() {
        return weight.getShape().get(0);
    }
}
