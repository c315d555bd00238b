// The benchmark's machine reference: what libtorch's own GEMM and 3x3 convolution kernels reach in this process.
package io.diffusers4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import io.diffusers4j.models.nn.OpProfiler;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Measures, in the benchmark's own process (same threads, allocator and load), the GFLOP/s of one large matrix
 * product and of the UNet's 3x3 convolutions: one {@code C -> C} convolution per UNet level at the run's shapes
 * (the CFG batch, latent size halved per level). Best of {@code runs} after a warm-up, so the figures are the
 * kernels' speed, not first-call costs. FLOPs count 2 per multiply-add.
 */
final class MachineReference {
    /** One measured kernel. */
    record Kernel(String name, double flops, double bestMs) {
        double gflops() {
            return flops / bestMs / 1e6;
        }
    }

    /** The large matmul and the per-level convolutions. */
    record Result(Kernel matmul, List<Kernel> convs) {
        /** Aggregate convolution speed: all levels' FLOPs over all levels' best times. */
        double convGflops() {
            double f = 0;
            double ms = 0;
            for (Kernel k : convs) {
                f += k.flops();
                ms += k.bestMs();
            }
            return ms == 0 ? 0 : f / ms / 1e6;
        }

        /**
         * The reference for a workload of {@code convFlops} in convolutions and {@code matmulFlops} in matrix
         * products: the speed at which the reference kernels would run exactly that mix.
         */
        double blendedGflops(double convFlops, double matmulFlops) {
            double seconds = convFlops / (convGflops() * 1e9) + matmulFlops / (matmul.gflops() * 1e9);
            return seconds == 0 ? 0 : (convFlops + matmulFlops) / seconds / 1e9;
        }
    }

    private MachineReference() {
    }

    /**
     * @param channels UNet block_out_channels
     * @param batch    the UNet call's batch (2 x images with CFG)
     * @param latentH  latent height at level 0
     * @param latentW  latent width at level 0
     */
    static Result measure(NDManager parent, DataType dtype, int[] channels, long batch, long latentH, long latentW,
                          int runs, int matmulSize) {
        try (NDManager m = parent.newSubManager()) {
            long n = matmulSize;
            NDArray a = m.randomNormal(new Shape(n, n)).toType(dtype, false);
            NDArray b = m.randomNormal(new Shape(n, n)).toType(dtype, false);
            double mmMs = best(runs, () -> a.matMul(b));
            Kernel matmul = new Kernel("matmul " + n + "x" + n + "x" + n, 2.0 * n * n * n, mmMs);
            List<Kernel> convs = new ArrayList<>();
            long h = latentH;
            long w = latentW;
            for (int level = 0; level < channels.length; level++) {
                long c = channels[level];
                NDArray x = m.randomNormal(new Shape(batch, c, h, w)).toType(dtype, false);
                NDArray k = m.randomNormal(0, 0.02f, new Shape(c, c, 3, 3), DataType.FLOAT32).toType(dtype, false);
                NDArray bias = m.zeros(new Shape(c), dtype);
                Shape one = new Shape(1, 1);
                double ms = best(runs, () -> Conv2d.conv2d(x, k, bias, one, one, one, 1)
                        .singletonOrThrow());
                convs.add(new Kernel(String.format(Locale.ROOT, "conv3x3 %d->%d on %dx%dx%dx%d", c, c,
                        batch, c, h, w), 2.0 * batch * c * c * 9 * h * w, ms));
                h = Math.max(1, (h + 1) / 2);
                w = Math.max(1, (w + 1) / 2);
            }
            return new Result(matmul, convs);
        }
    }

    /** The faster of two reference measurements, kernel by kernel. */
    static Result best(Result a, Result b) {
        Kernel mm = a.matmul().bestMs() <= b.matmul().bestMs() ? a.matmul() : b.matmul();
        List<Kernel> convs = new ArrayList<>();
        for (int i = 0; i < a.convs().size(); i++) {
            Kernel x = a.convs().get(i);
            Kernel y = b.convs().get(i);
            convs.add(x.bestMs() <= y.bestMs() ? x : y);
        }
        return new Result(mm, convs);
    }

    /** Best wall time in ms of {@code runs} calls after one warm-up call; results are closed. */
    static double best(int runs, Supplier<NDArray> op) {
        try (NDArray warm = op.get()) {
            OpProfiler.sync(warm);
        }
        double best = Double.MAX_VALUE;
        for (int i = 0; i < Math.max(1, runs); i++) {
            long t0 = System.nanoTime();
            try (NDArray out = op.get()) {
                OpProfiler.sync(out);
                best = Math.min(best, (System.nanoTime() - t0) / 1e6);
            }
        }
        return best;
    }
}
