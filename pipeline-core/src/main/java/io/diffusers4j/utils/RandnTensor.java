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
 * A generator that stands for a part of a batch ({@link TorchGenerator#forBatchRows}) draws its rows of the whole
 * batch's draw in {@link #randn} (draws over the call's images: initial latents, noise, scheduler noise), and whole
 * draws in {@link #randnInputs} (draws over the call's input images: the VAE posterior sample).
 */
public final class RandnTensor {
    private static final SecureRandom SEEDS = new SecureRandom();

    private RandnTensor() {
    }

    /** Draws host-side float32 values in C order over the call's images, following diffusers' generator rules. */
    public static float[] randn(Shape shape, List<TorchGenerator> generators) {
        if (generators != null && generators.size() == 1 && generators.get(0).batchRows() != null) {
            return generators.get(0).batchRows().draw(generators.get(0), shape.getShape());
        }
        return randnInputs(shape, generators);
    }

    /** {@link #randn} for a draw over a call's input images: a generator for a part of a batch draws whole. */
    public static float[] randnInputs(Shape shape, List<TorchGenerator> generators) {
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
        return onDevice(manager, randn(shape, generators), shape, dtype);
    }

    /** {@link #randnTensor} over a call's input images ({@link #randnInputs}). */
    public static NDArray randnInputsTensor(NDManager manager, Shape shape, List<TorchGenerator> generators,
                                            DataType dtype) {
        return onDevice(manager, randnInputs(shape, generators), shape, dtype);
    }

    private static NDArray onDevice(NDManager manager, float[] values, Shape shape, DataType dtype) {
        NDArray noise = manager.create(values, shape);
        return dtype == DataType.FLOAT32 ? noise : noise.toType(dtype, false);
    }
}
