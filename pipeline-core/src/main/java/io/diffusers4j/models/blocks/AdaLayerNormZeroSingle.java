// Port of diffusers.models.normalization.AdaLayerNormZeroSingle (adaLN-Zero of FLUX's single-stream blocks).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.diffusers4j.models.nn.LayerNorm;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.weights.WeightScope;

/**
 * {@code linear(silu(emb))} gives {@code shift_msa, scale_msa, gate_msa}; the input is normalised
 * ({@code LayerNorm(dim, elementwise_affine=False, eps=1e-6)}), modulated by the first two, and the gate returned.
 * Weights: {@code linear} {@code [3*dim, dim]} with bias.
 */
public final class AdaLayerNormZeroSingle {
    private final Linear linear;
    private final LayerNorm norm;

    /** The modulated input and the gate {@code [B, 1, dim]}. */
    public record Output(NDArray normed, NDArray gate) {
    }

    public AdaLayerNormZeroSingle(WeightScope scope, int embeddingDim) {
        this.linear = Linear.load(scope.pp("linear"), embeddingDim, 3L * embeddingDim, true);
        this.norm = LayerNorm.withoutAffine(scope.manager(), embeddingDim, scope.dtype(), 1e-6);
    }

    /** {@code x [B, L, dim]}, {@code emb [B, dim]}; the results are in {@code x}'s manager. */
    public Output forward(NDArray x, NDArray emb) {
        NDList m = Modulation.chunks(linear, emb, 3);
        NDArray normed = Modulation.scaleShift(norm.forward(x), m.get(1), m.get(0));
        m.get(0).close();
        m.get(1).close();
        return new Output(normed, m.get(2));
    }
}
