// Port of diffusers.models.normalization.RMSNorm (the q / k norms of FLUX's attention).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.models.nn.ForwardScope;
import io.diffusers4j.weights.WeightScope;

/**
 * Root-mean-square normalisation over the last dimension: {@code x / sqrt(mean(x^2) + eps) * weight}, the mean of
 * squares taken in float32 whatever the input dtype (as diffusers does); with half-precision weights the normalised
 * values are cast back to the weights' dtype before the scale. Weight {@code weight [dim]} when
 * {@code elementwise_affine} (diffusers' default), none otherwise.
 */
public final class RMSNorm {
    private final NDArray weight;
    private final float eps;

    private RMSNorm(NDArray weight, float eps) {
        this.weight = weight;
        this.eps = eps;
    }

    /** {@code RMSNorm(dim, eps, elementwise_affine)} built in {@code scope}. */
    public static RMSNorm load(WeightScope scope, long dim, double eps, boolean elementwiseAffine) {
        return new RMSNorm(elementwiseAffine ? scope.get("weight", dim) : null, (float) eps);
    }

    /** The result has {@code x}'s shape and dtype and is in {@code x}'s manager. */
    public NDArray forward(NDArray x) {
        DataType dtype = x.getDataType();
        NDArray x32 = dtype == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray out;
        try (NDArray squares = x32.square(); NDArray variance = squares.mean(new int[] {-1}, true);
             NDArray std = variance.addi(eps).sqrt()) {
            out = x32.div(std);
        }
        if (x32 != x) {
            x32.close();
        }
        if (out.getDataType() != dtype) {
            out = ForwardScope.replace(out, out.toType(dtype, false));
        }
        if (weight != null) {
            out.muli(weight);
        }
        return out;
    }
}
