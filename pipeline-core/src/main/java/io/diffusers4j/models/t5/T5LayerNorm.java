// Port of transformers.models.t5.modeling_t5.T5LayerNorm (RMS norm, no mean subtraction, no bias).
package io.diffusers4j.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.weights.WeightScope;

/**
 * {@code weight * x / sqrt(mean(x^2) + eps)} over the last dimension. As in transformers the mean square and the
 * scaling are computed in float32 whatever the input dtype, and the result is cast to the weight's dtype when that
 * is float16 before the weight multiplies it (so a float32 residual stream comes out float16 in a float16 model).
 */
final class T5LayerNorm {
    private final NDArray weight;
    private final float eps;

    /** Builds under {@code scope} (e.g. {@code encoder.block.0.layer.0.layer_norm}): one {@code weight [dim]}. */
    T5LayerNorm(WeightScope scope, int dim, double eps) {
        this.weight = scope.get("weight", dim);
        this.eps = (float) eps;
    }

    /** The result belongs to the manager of {@code x}; {@code x} is left as it is. */
    NDArray forward(NDArray x) {
        NDArray x32 = x.getDataType() == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray variance;
        try (NDArray squares = x32.square()) {
            variance = squares.mean(new int[] {-1}, true);
        }
        // hidden_states * torch.rsqrt(variance + eps): DJL has no rsqrt, 1 / sqrt is within an ulp of it
        NDArray normed;
        try (NDArray root = variance.addi(eps).sqrt()) {
            normed = x32.div(root);
        }
        variance.close();
        if (x32 != x) {
            x32.close();
        }
        if (weight.getDataType() == DataType.FLOAT16) {
            NDArray half = normed.toType(DataType.FLOAT16, false);
            normed.close();
            normed = half;
        }
        // weight * hidden_states, written activation-first so that the result lands in the activation's manager
        return normed.muli(weight);
    }
}
