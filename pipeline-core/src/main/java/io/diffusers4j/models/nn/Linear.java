// torch.nn.Linear over DJL's functional linear.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.weights.WeightScope;

/** y = x W^T + b, weight {@code [out, in]}; works on any leading dimensions. */
public final class Linear {
    private final NDArray weight;
    private final NDArray bias;

    public Linear(NDArray weight, NDArray bias) {
        this.weight = weight;
        this.bias = bias;
    }

    public static Linear load(WeightScope scope, long in, long out, boolean bias) {
        return new Linear(scope.get("weight", out, in), bias ? scope.get("bias", out) : null);
    }

    public NDArray forward(NDArray x) {
        long t0 = OpProfiler.start();
        NDArray out = bias == null ? ai.djl.nn.core.Linear.linear(x, weight).singletonOrThrow()
                : ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
        if (t0 != 0L) {
            OpProfiler.stop(OpProfiler.OpClass.MATMUL, t0, 2L * out.getShape().size() * weight.getShape().get(1), out);
        }
        return out;
    }

    public NDArray weight() {
        return weight;
    }

    public NDArray bias() {
        return bias;
    }

    public long inFeatures() {
        return weight.getShape().get(1);
    }

    public long outFeatures() {
        return weight.getShape().get(0);
    }
}
