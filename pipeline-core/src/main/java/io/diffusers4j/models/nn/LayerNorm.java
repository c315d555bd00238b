// torch.nn.LayerNorm over the last dimension.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.weights.WeightScope;

/** Layer normalisation over the last dimension with affine weight and bias. */
public final class LayerNorm {
    private final NDArray weight;
    private final NDArray bias;
    private final float eps;

    public LayerNorm(NDArray weight, NDArray bias, float eps) {
        this.weight = weight;
        this.bias = bias;
        this.eps = eps;
    }

    public static LayerNorm load(WeightScope scope, long dim, double eps) {
        return new LayerNorm(scope.get("weight", dim), scope.get("bias", dim), (float) eps);
    }

    /**
     * {@code nn.LayerNorm(dim, elementwise_affine=False)}: no weights in the checkpoint; DJL's op takes a weight and a
     * bias, so ones and zeros (kept in {@code manager}, outside any state dict) stand in for them.
     */
    public static LayerNorm withoutAffine(NDManager manager, long dim, DataType dtype, double eps) {
        return new LayerNorm(manager.ones(new Shape(dim), dtype), manager.zeros(new Shape(dim), dtype), (float) eps);
    }

    public NDArray forward(NDArray x) {
        long t0 = OpProfiler.start();
        NDArray out = ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(weight.getShape().get(0)), weight, bias, eps)
                .singletonOrThrow();
        OpProfiler.stop(OpProfiler.OpClass.LAYER_NORM, t0, 0, out);
        return out;
    }
}
