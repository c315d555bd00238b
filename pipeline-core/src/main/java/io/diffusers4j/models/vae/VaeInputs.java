// The input checks and the one-sample-at-a-time loop (enable_slicing) both VAEs share.
package io.diffusers4j.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.function.UnaryOperator;

/** Helpers of {@link AutoencoderKL} and {@link AutoencoderTiny}. */
final class VaeInputs {
    private VaeInputs() {
    }

    /** Refuses an {@code x} that is not {@code [batch, channels, height, width]} in the model's {@code dtype}. */
    static void check(NDArray x, int channels, String name, DataType dtype) {
        Shape shape = x.getShape();
        if (shape.dimension() != 4 || shape.get(1) != channels) {
            throw new IllegalArgumentException(name + " must be [batch, " + channels + ", height, width], got "
                    + shape);
        }
        if (x.getDataType() != dtype) {
            throw new IllegalArgumentException("the VAE runs in " + dtype + " but " + name + " is "
                    + x.getDataType() + "; cast the input to the model's dtype");
        }
    }

    /** {@code torch.cat([fn(s) for s in x.split(1)])}. */
    static NDArray perSample(NDArray x, UnaryOperator<NDArray> fn) {
        NDList parts = new NDList();
        for (long i = 0; i < x.getShape().get(0); i++) {
            try (NDArray sample = x.get(new NDIndex("{}:{}", i, i + 1))) {
                parts.add(fn.apply(sample));
            }
        }
        NDArray out = NDArrays.concat(parts, 0);
        parts.close();
        return out;
    }
}
