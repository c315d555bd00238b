// Helpers shared by the model parity tests: fixture arrays as NDArrays, max-abs differences.
package io.diffusers4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.utils.Npy;
import io.diffusers4j.utils.TorchGenerator;

/** Fixture arrays and comparisons for model tests. */
public final class ModelTestSupport {
    private ModelTestSupport() {
    }

    /** A float32 fixture array ({@code expected/<name>}) as an NDArray in {@code m}. */
    public static NDArray npy(NDManager m, String name) {
        Npy.Array a = Fixtures.npy(name);
        return m.create(a.floats(), new Shape(a.shape()));
    }

    /** Seeded standard normal noise (torch.randn with a CPU generator of {@code seed}). */
    public static NDArray randn(NDManager m, long seed, long... shape) {
        return m.create(new TorchGenerator(seed).randn(shape), new Shape(shape));
    }

    /** Seeded uniform values in [-1, 1) (derived from seeded normal noise through tanh). */
    public static NDArray uniform(NDManager m, long seed, long... shape) {
        try (NDArray n = randn(m, seed, shape)) {
            return n.tanh();
        }
    }

    public static float[] floats(NDArray x) {
        if (x.getDataType() == DataType.FLOAT32) {
            return x.toFloatArray();
        }
        try (NDArray f = x.toType(DataType.FLOAT32, true)) {
            return f.toFloatArray();
        }
    }

    /** max |a - b| over all elements (shapes must match). */
    public static double maxAbsDiff(NDArray a, NDArray b) {
        if (!a.getShape().equals(b.getShape())) {
            throw new AssertionError("shape " + a.getShape() + " vs " + b.getShape());
        }
        float[] x = floats(a);
        float[] y = floats(b);
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            double d = Math.abs((double) x[i] - y[i]);
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            max = Math.max(max, d);
        }
        return max;
    }

    public static double maxAbs(NDArray a) {
        double max = 0;
        for (float v : floats(a)) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }
}
