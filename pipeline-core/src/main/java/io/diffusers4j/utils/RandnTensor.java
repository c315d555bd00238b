// Port of diffusers.utils.torch_utils.randn_tensor (CPU generators).
package io.diffusers4j.utils;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.security.SecureRandom;
import java.util.List;

/**
 * diffusers' {@code randn_tensor(shape, generator, device, dtype)}: noise is always drawn in float32 on the host
 * and then moved to the manager's device and cast to {@code dtype}.
 *
 * <ul>
 *   <li>no generator: a fresh generator with a random seed (torch's global RNG in diffusers);</li>
 *   <li>one generator (or a list of one): a single draw covering the whole shape;</li>
 *   <li>a list of {@code shape[0]} generators: generator i draws the {@code (1, ...)} slice of row i.</li>
 * </ul>
 */
public final class RandnTensor {
    private static final SecureRandom SEEDS = new SecureRandom();

    private RandnTensor() {
    }

    /** Draws host-side float32 values in C order, following diffusers' generator-list rules. */
    public static float[] randn(Shape shape, List<TorchGenerator> generators) {
        long[] dims = shape.getShape();
        if (generators == null || generators.isEmpty()) {
            return new TorchGenerator(SEEDS.nextLong()).randn(dims);
        }
        if (generators.size() == 1) {
            return generators.get(0).randn(dims);
        }
        if (dims.length == 0 || dims[0] != generators.size()) {
            throw new IllegalArgumentException("You have passed a list of generators of length " + generators.size()
                    + ", but requested an effective batch size of " + (dims.length == 0 ? 0 : dims[0])
                    + ". Make sure the batch size matches the length of the generators.");
        }
        long[] row = dims.clone();
        row[0] = 1;
        int rowSize = Math.toIntExact(new Shape(row).size());
        float[] out = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < generators.size(); i++) {
            generators.get(i).randn(out, i * rowSize, rowSize);
        }
        return out;
    }

    /** {@code randn_tensor} into an NDArray owned by {@code manager} (its device), cast to {@code dtype}. */
    public static NDArray randnTensor(NDManager manager, Shape shape, List<TorchGenerator> generators, DataType dtype) {
        NDArray noise = manager.create(randn(shape, generators), shape);
        return dtype == DataType.FLOAT32 ? noise : noise.toType(dtype, false);
    }
}
