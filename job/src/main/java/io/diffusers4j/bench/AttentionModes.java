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
import io.diffusers4j.models.unet.UNet2DConditionModel;
import io.diffusers4j.pipelines.StableDiffusionPipeline;
import io.diffusers4j.utils.TorchGenerator;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Times one UNet call on the CFG batch with attention computed densely (one score matrix per call, diffusers'
 * {@code AttnProcessor}), query-chunked (bounded score memory), fused (libtorch's kernel, the default when available:
 * diffusers' {@code AttnProcessor2_0}) and sliced (diffusers'
 * {@code enable_attention_slicing("auto")}): best of {@code runs}, the peak resident memory above the resident set
 * before the call, and the largest deviation from the dense result. The model's attention settings are restored.
 */
final class AttentionModes {
    private AttentionModes() {
    }

    static void run(StableDiffusionPipeline sd, BenchOptions o, BenchReport r, PrintStream log) {
        UNet2DConditionModel unet = sd.unet();
        AttentionOptions a = unet.attentionOptions();
        AttentionOptions.SliceMode savedSlice = a.sliceMode();
        int savedSize = a.sliceSize();
        boolean savedMemEff = a.memoryEfficient();
        boolean savedFused = a.fused();
        double peakSoFar = ProcessStats.peakRssMb();
        int b = o.batch();
        int f = sd.vaeScaleFactor();
        long lh = o.height() / f;
        long lw = o.width() / f;
        int c = unet.config().inChannels;
        DataType dtype = sd.dtype();
        Map<String, Object> json = new LinkedHashMap<>();
        r.section("Attention modes (one UNet call, best of " + o.runs() + "; memory = peak above the resident set)");
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
                double extra = 0;
                NDArray out = null;
                for (int i = 0; i <= o.runs(); i++) {
                    if (out != null) {
                        out.close();
                    }
                    double before = ProcessStats.rssMb();
                    ProcessStats.resetPeak();
                    long start = System.nanoTime();
                    out = unet.forward(x, t, ctx);
                    OpProfiler.sync(out);
                    double ms = (System.nanoTime() - start) / 1e6;
                    extra = Math.max(extra, ProcessStats.peakRssMb() - before);
                    if (i > 0) {
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
                one.put("peak_extra_mb", BenchReport.round(extra));
                one.put("max_abs_diff_vs_dense", dev);
                json.put(mode, one);
                r.row(mode, "%10.0f ms   +%6.0f MiB peak   max |diff| vs dense %.2e", best, extra, dev);
                log.printf("bench: attention %s: %.0f ms, +%.0f MiB%n", mode, best, extra);
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
        // the resets above restarted the peak: keep the run's overall peak
        r.put("peak_rss_before_attention_modes_mb", peakSoFar);
    }
}
