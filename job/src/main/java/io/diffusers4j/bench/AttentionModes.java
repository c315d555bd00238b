// The benchmark's attention comparison: one UNet call per attention mode, its time, peak memory and deviation.
package io.diffusers4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.OpProfiler;
import io.diffusers4j.models.nn.TorchOps;
import io.diffusers4j.models.unet.UNet2DConditionModel;
import io.diffusers4j.utils.TorchGenerator;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Times one UNet call on the CFG batch with attention computed densely (one score matrix per call, diffusers'
 * {@code AttnProcessor}), query-chunked (bounded score memory), fused (libtorch's kernel, the default when available:
 * diffusers' {@code AttnProcessor2_0}) and sliced (diffusers'
 * {@code enable_attention_slicing("auto")}): best of {@code runs}, the largest score matrix the mode materialises
 * (a caching allocator hides it from the resident set, so it is counted from the op shapes), and the largest
 * deviation from the dense result. The model's attention settings are restored.
 */
final class AttentionModes {
    private AttentionModes() {
    }

    static void run(BenchPipeline sd, BenchOptions o, BenchReport r, PrintStream log) {
        UNet2DConditionModel unet = sd.unet();
        AttentionOptions a = unet.attentionOptions();
        AttentionOptions.SliceMode savedSlice = a.sliceMode();
        int savedSize = a.sliceSize();
        boolean savedMemEff = a.memoryEfficient();
        boolean savedFused = a.fused();
        int b = o.batch();
        int f = sd.vaeScaleFactor();
        long lh = o.height() / f;
        long lw = o.width() / f;
        int c = unet.config().inChannels;
        DataType dtype = sd.dtype();
        Map<String, Object> json = new LinkedHashMap<>();
        r.section("Attention modes (one UNet call, best of " + o.runs() + ")");
        try (NDManager m = NDManager.newBaseManager(sd.device())) {
            NDArray lat = m.create(new TorchGenerator(o.seed()).randn(new long[] {b, c, lh, lw}), new Shape(b, c, lh,
                    lw)).toType(dtype, false);
            NDArray x = NDArrays.concat(new NDList(lat, lat), 0);
            NDArray ctx = m.create(new TorchGenerator(o.seed() + 1).randn(new long[] {2L * b, 77,
                    unet.config().crossAttentionDim.value()}), new Shape(2L * b, 77,
                    unet.config().crossAttentionDim.value())).toType(dtype, false);
            NDArray t = m.create(500f);
            NDArray dense = null;
            for (String mode : List.of("dense", "chunked", "fused", "sliced")) {
                Benchmark.applyAttention(sd, mode);
                double best = Double.MAX_VALUE;
                NDArray out = null;
                long scoreBytes = 0;
                for (int i = 0; i <= o.runs(); i++) {
                    if (out != null) {
                        out.close();
                    }
                    boolean profile = i == 0;
                    if (profile) {
                        OpProfiler.reset();
                        OpProfiler.enable(true);
                    }
                    long start = System.nanoTime();
                    try {
                        out = unet.forward(x, t, ctx);
                        OpProfiler.sync(out);
                    } finally {
                        OpProfiler.enable(false);
                    }
                    double ms = (System.nanoTime() - start) / 1e6;
                    if (profile) {
                        // the largest score matrix this mode materialises (softmax outputs; the fused kernel
                        // keeps its score blocks per thread and never materialises one)
                        for (OpProfiler.Site site : OpProfiler.sites()) {
                            if (site.op() == OpProfiler.OpClass.ATTENTION_SOFTMAX) {
                                scoreBytes = Math.max(scoreBytes, elements(site.shape()) * dtype.getNumOfBytes());
                            }
                        }
                    } else {
                        best = Math.min(best, ms);
                    }
                }
                double dev = 0;
                if (dense == null) {
                    dense = out;
                } else {
                    try (NDArray d = out.sub(dense).abs().max()) {
                        dev = d.toType(DataType.FLOAT32, false).getFloat();
                    }
                    out.close();
                }
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("ms", BenchReport.round(best));
                one.put("largest_score_matrix_mb", BenchReport.round(scoreBytes / 1048576.0));
                one.put("max_abs_diff_vs_dense", dev);
                json.put(mode, one);
                String label = mode.equals("fused") && !TorchOps.available()
                        ? "fused (unavailable: chunked)" : mode;
                r.row(label, "%10.0f ms   largest score matrix %7.1f MiB   max |diff| vs dense %.2e", best,
                        scoreBytes / 1048576.0, dev);
                log.printf("bench: attention %s: %.0f ms%n", mode, best);
            }
        } finally {
            a.memoryEfficient(savedMemEff);
            switch (savedSlice) {
                case NONE -> a.disableSlicing();
                case AUTO -> a.sliceAuto();
                case MAX -> a.sliceMax();
                case FIXED -> a.sliceSize(savedSize);
                default -> { }
            }
            a.fused(savedFused);
            sd.vae().attentionOptions().memoryEfficient(savedMemEff).fused(savedFused);
            sd.textEncoder().attentionOptions().fused(savedFused);
        }
        r.put("attention_modes", json);
    }

    /** Elements of a shape printed as "(a, b, c)". */
    static long elements(String shape) {
        long n = 1;
        for (String part : shape.replaceAll("[()\\s]", "").split(",")) {
            if (!part.isEmpty()) {
                n *= Long.parseLong(part);
            }
        }
        return n;
    }
}
