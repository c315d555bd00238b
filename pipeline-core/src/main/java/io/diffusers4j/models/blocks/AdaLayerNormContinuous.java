// Port of diffusers.models.normalization.AdaLayerNormContinuous (SD3 / FLUX output norm, SD3's last context norm).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.diffusers4j.models.nn.LayerNorm;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.weights.WeightScope;

/**
 * {@code emb = linear(silu(conditioning).to(x.dtype))} (here the conditioning is cast before the SiLU: the same
 * whenever both have the model's dtype, as in SD3 and FLUX); {@code scale, shift = chunk(emb, 2)} (scale FIRST, unlike
 * the AdaLayerNormZero family); {@code norm(x) * (1 + scale)[:, None] + shift[:, None]}. The norm is a layer norm
 * ({@code norm_type="layer_norm"}, the only type SD3 and FLUX build), with its own weight and bias only when
 * {@code elementwise_affine} (SD3 and FLUX: false). Weights: {@code linear} {@code [2*dim, conditioning_dim]} (+ bias).
 */
public final class AdaLayerNormContinuous {
    private final Linear linear;
    private final LayerNorm norm;

    public AdaLayerNormContinuous(WeightScope scope, int embeddingDim, int conditioningEmbeddingDim,
                                  boolean elementwiseAffine, double eps, boolean bias) {
        this.linear = Linear.load(scope.pp("linear"), conditioningEmbeddingDim, 2L * embeddingDim, bias);
        this.norm = elementwiseAffine ? LayerNorm.load(scope.pp("norm"), embeddingDim, eps)
                : LayerNorm.withoutAffine(scope.manager(), embeddingDim, scope.dtype(), eps);
    }

    /** {@code x [B, L, dim]}, {@code conditioning [B, conditioning_dim]}; the result is in {@code x}'s manager. */
    public NDArray forward(NDArray x, NDArray conditioning) {
        NDArray cond = conditioning.getDataType() == x.getDataType() ? conditioning
                : conditioning.toType(x.getDataType(), false);
        NDList m = Modulation.chunks(linear, cond, 2);
        if (cond != conditioning) {
            cond.close();
        }
        NDArray out = Modulation.scaleShift(norm.forward(x), m.get(0), m.get(1));
        m.close();
        return out;
    }
}
