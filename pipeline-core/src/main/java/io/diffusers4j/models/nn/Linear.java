// torch.nn.Linear over DJL's functional linear (and peft's LoRA Linear around it).
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.weights.WeightScope;

import java.util.function.UnaryOperator;

/**
 * y = x W^T + b, weight {@code [out, in]}; works on any leading dimensions. Built by {@link #load} or
 * {@link #loadConv1x1}, it registers itself in its weight scope so that LoRA adapters can target it
 * ({@link LoraTarget}).
 */
public final class Linear implements LoraTarget {
    private final NDArray weight;
    private final NDArray bias;
    /** The checkpoint's shape of the weight: [out, in], or [out, in, 1, 1] for a 1x1 convolution. */
    private final long[] checkpointShape;
    private volatile NDArray fused;
    private volatile LoraBranch lora;

    public Linear(NDArray weight, NDArray bias) {
        this(weight, bias, weight.getShape().getShape());
    }

    private Linear(NDArray weight, NDArray bias, long[] checkpointShape) {
        this.weight = weight;
        this.bias = bias;
        this.checkpointShape = checkpointShape;
    }

    public static Linear load(WeightScope scope, long in, long out, boolean bias) {
        Linear layer = new Linear(scope.get("weight", out, in), bias ? scope.get("bias", out) : null);
        scope.registerModule(layer);
        return layer;
    }

    /**
     * {@code nn.Conv2d(in, out, kernel_size=1)} (with bias) computed on the channels-last token layout: the
     * checkpoint's {@code [out, in, 1, 1]} kernel viewed as an {@code [out, in]} matrix.
     */
    public static Linear loadConv1x1(WeightScope scope, long in, long out) {
        NDArray kernel = scope.get("weight", out, in, 1, 1);
        Linear layer = new Linear(kernel.reshape(out, in), scope.get("bias", out), new long[] {out, in, 1, 1});
        scope.registerModule(layer);
        return layer;
    }

    public NDArray forward(NDArray x) {
        long t0 = OpProfiler.start();
        NDArray w = fused != null ? fused : weight;
        NDArray out = bias == null ? ai.djl.nn.core.Linear.linear(x, w).singletonOrThrow()
                : ai.djl.nn.core.Linear.linear(x, w, bias).singletonOrThrow();
        if (t0 != 0L) {
            OpProfiler.stop(OpProfiler.OpClass.MATMUL, t0, 2L * out.getShape().size() * w.getShape().get(1), out);
        }
        LoraBranch branch = lora;
        return branch == null ? out : branch.addTo(x, out);
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

    @Override
    public long[] checkpointShape() {
        return checkpointShape.clone();
    }

    @Override
    public UnaryOperator<NDArray> downProjection(NDArray down) {
        return matrix(down)::forward;
    }

    @Override
    public UnaryOperator<NDArray> upProjection(NDArray up) {
        return matrix(up)::forward;
    }

    /** A bias-free linear map from a [o, i] or [o, i, 1, 1] weight. */
    private static Linear matrix(NDArray w) {
        long[] s = w.getShape().getShape();
        return new Linear(s.length == 2 ? w : w.reshape(s[0], s[1]), null);
    }

    @Override
    public NDArray delta(NDArray down, NDArray up) {
        long[] d = down.getShape().getShape();
        long[] u = up.getShape().getShape();
        try (NDArray up2 = up.reshape(u[0], u[1]); NDArray down2 = down.reshape(d[0], d[1])) {
            return up2.matMul(down2);
        }
    }

    @Override
    public NDArray baseWeight() {
        return weight;
    }

    @Override
    public void setBranch(LoraBranch branchOrNull) {
        this.lora = branchOrNull;
    }

    @Override
    public void setFusedWeight(NDArray fusedOrNull) {
        this.fused = fusedOrNull;
    }
}
