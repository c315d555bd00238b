// Input checks and timestep broadcasting shared by the SD3 and FLUX transformers.
package io.diffusers4j.models.transformers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** Helpers for the per-sample 1-D inputs ({@code timestep}, {@code guidance}) of the transformer models. */
final class TransformerInputs {
    private TransformerInputs() {
    }

    /** {@code values} must be 0-d, {@code [1]} or {@code [batch]}. */
    static void checkTimestep(NDArray values, long batch, String name) {
        Shape s = values.getShape();
        if (s.dimension() > 1 || (s.size() != 1 && s.size() != batch)) {
            throw new IllegalArgumentException(name + " must be 0-d, [1] or [batch=" + batch + "], got shape " + s);
        }
    }

    /**
     * {@code values} as a new {@code [batch]} array (a single value repeated into its own memory, so that it may be
     * updated in place), in its manager.
     */
    static NDArray perSample(NDArray values, long batch) {
        try (NDArray flat = values.reshape(values.getShape().size())) {
            return flat.getShape().get(0) == batch ? flat.duplicate() : flat.repeat(0, batch);
        }
    }
}
