// Port of diffusers.models.normalization.AdaLayerNormZero (adaLN-Zero of the SD3 / FLUX joint blocks).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.diffusers4j.models.nn.LayerNorm;
import io.diffusers4j.models.nn.Linear;
import io.diffusers4j.weights.WeightScope;

/**
 * {@code linear(silu(emb))} gives six modulation vectors {@code shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp,
 * gate_mlp}; the input is normalised ({@code LayerNorm(dim, elementwise_affine=False, eps=1e-6)}) and modulated by the
 * first two, the other four are returned. Weights: {@code linear} {@code [6*dim, dim]} with bias. Only the
 * {@code num_embeddings=None}, "layer_norm" form (the one the SD3 and FLUX blocks build) is ported.
 */
public final class AdaLayerNormZero {
    private final Linear linear;
    private final LayerNorm norm;

    /** What {@code forward} returns: the modulated input and the other modulation vectors, each {@code [B, 1, dim]}. */
    public record Output(NDArray normed, NDArray gateMsa, NDArray shiftMlp, NDArray scaleMlp, NDArray gateMlp) {
    }

    public AdaLayerNormZero(WeightScope scope, int embeddingDim) {
        this.linear = Linear.load(scope.pp("linear"), embeddingDim, 6L * embeddingDim, true);
        this.norm = LayerNorm.withoutAffine(scope.manager(), embeddingDim, scope.dtype(), 1e-6);
    }

    /** {@code x [B, L, dim]}, {@code emb [B, dim]}; the results are in {@code x}'s manager. */
    public Output forward(NDArray x, NDArray emb) {
        NDList m = Modulation.chunks(linear, emb, 6);
        NDArray normed = Modulation.scaleShift(norm.forward(x), m.get(1), m.get(0));
        m.get(0).close();
        m.get(1).close();
        return new Output(normed, m.get(2), m.get(3), m.get(4), m.get(5));
    }
}
