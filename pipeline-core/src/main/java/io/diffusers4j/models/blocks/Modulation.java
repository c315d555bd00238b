// The adaptive-norm arithmetic shared by diffusers.models.normalization.AdaLayerNorm* and the MMDiT blocks.
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.models.nn.Linear;

/**
 * {@code linear(silu(emb)).chunk(n, dim=1)} and {@code norm(x) * (1 + scale[:, None]) + shift[:, None]}, written
 * once for AdaLayerNormZero, AdaLayerNormZeroSingle, AdaLayerNormContinuous and the blocks' second norms.
 */
public final class Modulation {
    private Modulation() {
    }

    /**
     * {@code linear(silu(emb))} ({@code emb [B, D]}) cut into {@code n} chunks along dim 1, each reshaped to
     * {@code [B, 1, D']} so that it broadcasts over the tokens (diffusers' {@code [:, None]} / {@code unsqueeze(1)}).
     * The chunks are in {@code emb}'s manager; the caller closes them (or their scope does).
     */
    public static NDList chunks(Linear linear, NDArray emb, int n) {
        NDArray projected;
        try (NDArray act = Activations.silu(emb)) {
            projected = linear.forward(act);
        }
        NDList parts = projected.split(n, 1);
        NDList out = new NDList(n);
        for (NDArray part : parts) {
            out.add(part.expandDims(1));
        }
        parts.close();
        projected.close();
        return out;
    }

    /**
     * {@code normed * (1 + scale) + shift} in place on {@code normed} (which the caller owns), with {@code scale} and
     * {@code shift} {@code [B, 1, D]}; returns {@code normed}.
     */
    public static NDArray scaleShift(NDArray normed, NDArray scale, NDArray shift) {
        try (NDArray onePlus = scale.add(1f)) {
            return normed.muli(onePlus).addi(shift);
        }
    }
}
