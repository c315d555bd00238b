// Port of diffusers.models.unets.unet_1d_blocks.Downsample1d / Upsample1d (fixed-kernel resampling, reflect padding).
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.weights.WeightScope;

/**
 * Halves ({@link #down}) or doubles ({@link #up}) the length of {@code [N, C, L]} with a fixed symmetric kernel
 * applied to each channel on its own: reflect padding then a stride-2 convolution, or a stride-2 transposed
 * convolution (computed as a convolution of the input spread out with zeros). The kernel is the module's persistent buffer {@code kernel} (read from the checkpoint; the "cubic"
 * values, doubled for upsampling, when random-initialising), as in diffusers. diffusers builds a dense
 * {@code [C, C, k]} weight that is zero off the diagonal; a depthwise convolution ({@code groups = C}) computes the
 * same sums.
 */
public final class Resample1d {
    /** diffusers' {@code _kernels["cubic"]}, the kernel every block of the 1-D UNet uses. */
    static final float[] CUBIC = {-0.01171875f, -0.03515625f, 0.11328125f, 0.43359375f, 0.43359375f, 0.11328125f,
        -0.03515625f, -0.01171875f};

    private final boolean up;
    private final float[] kernel;
    private final int pad;

    private Resample1d(WeightScope scope, boolean up) {
        float[] initial = CUBIC.clone();
        if (up) {
            for (int i = 0; i < initial.length; i++) {
                initial[i] *= 2f;
            }
        }
        this.up = up;
        // the kernel is tiny: kept on the host and turned into a per-channel weight on each call
        NDArray stored = scope.buffer("kernel", initial, initial.length);
        if (stored.getDataType() == DataType.FLOAT32) {
            this.kernel = stored.toFloatArray();
        } else {
            try (NDArray wide = stored.toType(DataType.FLOAT32, true)) {
                this.kernel = wide.toFloatArray();
            }
        }
        this.pad = kernel.length / 2 - 1;
    }

    /** {@code Downsample1d("cubic")} under {@code scope} (its {@code kernel} buffer). */
    public static Resample1d down(WeightScope scope) {
        return new Resample1d(scope, false);
    }

    /** {@code Upsample1d("cubic")} under {@code scope}. */
    public static Resample1d up(WeightScope scope) {
        return new Resample1d(scope, true);
    }

    /** The result is in the manager of {@code x}. */
    public NDArray forward(NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() != 3) {
            throw new IllegalArgumentException((up ? "Upsample1d" : "Downsample1d") + " takes [N, C, L], got " + s);
        }
        long channels = s.get(1);
        int side = up ? (pad + 1) / 2 : pad;
        if (s.get(2) <= side) {
            throw new IllegalArgumentException("the sample is too short to resample: length " + s.get(2)
                    + " with reflect padding " + side + " (make the input longer)");
        }
        // a transposed convolution (DJL's PyTorch engine has none) is a convolution of the input with zeros
        // between its samples, with the kernel reversed and kernel - 1 - padding zeros at each end
        float[] taps = up ? reversed(kernel) : kernel;
        float[] weights = new float[Math.toIntExact(channels * taps.length)];
        for (int c = 0; c < channels; c++) {
            System.arraycopy(taps, 0, weights, c * taps.length, taps.length);
        }
        try (NDArray padded = reflectPad(x, side);
             NDArray created = x.getManager().create(weights, new Shape(channels, 1, taps.length));
             NDArray weight = created.toType(x.getDataType(), true)) {
            if (!up) {
                return depthwise(padded, weight, 2);
            }
            try (NDArray dilated = dilate(padded, kernel.length - 1 - (pad * 2 + 1))) {
                return depthwise(dilated, weight, 1);
            }
        }
    }

    /** A convolution of each channel with its own {@code [1, k]} weight row. */
    private static NDArray depthwise(NDArray x, NDArray weight, int stride) {
        int groups = Math.toIntExact(x.getShape().get(1));
        return x.getNDArrayInternal().convolution(x, weight, null, new Shape(stride), new Shape(0), new Shape(1),
                groups).singletonOrThrow();
    }

    private static float[] reversed(float[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[values.length - 1 - i];
        }
        return out;
    }

    /** One zero between consecutive samples, then {@code border} zeros at each end (cropped when negative). */
    static NDArray dilate(NDArray x, int border) {
        Shape s = x.getShape();
        long length = s.get(2);
        try (NDArray column = x.expandDims(3); NDArray zeros = column.zerosLike();
             NDArray pairs = column.concat(zeros, 3); NDArray flat = pairs.reshape(s.get(0), s.get(1), 2 * length);
             NDArray spread = flat.get(new NDIndex(":, :, :{}", 2 * length - 1))) {
            if (border >= 0) {
                return spread.pad(new Shape(border, border), 0);
            }
            return spread.get(new NDIndex(":, :, {}:{}", -border, 2 * length - 1 + border));
        }
    }

    /** {@code F.pad(x, (p, p), "reflect")} on the last axis. */
    static NDArray reflectPad(NDArray x, int p) {
        long length = x.getShape().get(2);
        try (NDArray head = x.get(new NDIndex(":, :, 1:{}", p + 1)); NDArray left = head.flip(2);
             NDArray tail = x.get(new NDIndex(":, :, {}:{}", length - 1 - p, length - 1));
             NDArray right = tail.flip(2)) {
            return NDArrays.concat(new NDList(left, x, right), 2);
        }
    }
}
