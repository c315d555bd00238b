// The benchmark's op-class split of one model call: profiled calls, the split table and the hot-spot table.
package io.diffusers4j.bench;

import ai.djl.ndarray.NDArray;
import io.diffusers4j.models.nn.OpProfiler;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The fastest of {@code runs} calls with the op probes on ({@link OpProfiler}): its wall time, its split by op class
 * (time, share, calls, GFLOP/s) and its sites (op class at output shape). The fastest, because a call slowed down
 * by other processes would inflate whichever ops it happened to be in.
 *
 * @param ms    the profiled call's wall time
 * @param split time, FLOPs and calls per op class
 * @param sites the same per op class and output shape, the most expensive first
 */
record OpSplit(double ms, Map<OpProfiler.OpClass, OpProfiler.Counts> split, List<OpProfiler.Site> sites) {

    /** Profiles {@code runs} (at least one) calls of {@code call}, whose result is closed; keeps the fastest. */
    static OpSplit profile(int runs, Supplier<NDArray> call) {
        OpSplit best = null;
        for (int i = 0; i < Math.max(1, runs); i++) {
            Profiled p = profileKeeping(call);
            p.output().close();
            if (best == null || p.split().ms < best.ms) {
                best = p.split();
            }
        }
        return best;
    }

    /** One profiled call of {@code call} and its result, which the caller keeps (and closes). */
    static Profiled profileKeeping(Supplier<NDArray> call) {
        OpProfiler.reset();
        OpProfiler.enable(true);
        try {
            long start = System.nanoTime();
            NDArray out = call.get();
            OpProfiler.sync(out);
            double ms = (System.nanoTime() - start) / 1e6;
            return new Profiled(new OpSplit(ms, OpProfiler.snapshot(), OpProfiler.sites()), out);
        } finally {
            OpProfiler.enable(false);
        }
    }

    /** A profiled call's split and its result. */
    record Profiled(OpSplit split, NDArray output) {
    }

    /** FLOPs of the GEMM-class ops: convolutions, linear layers and attention products (fused or not). */
    double gemmFlops() {
        return split.get(OpProfiler.OpClass.CONVOLUTION).flops() + split.get(OpProfiler.OpClass.MATMUL).flops()
                + split.get(OpProfiler.OpClass.ATTENTION_FUSED).flops();
    }

    /**
     * The split as a report section ({@code title}) and as JSON: {@code <prefix>_op_split} (per class: ms, share,
     * calls, GFLOP/s), {@code <prefix>_max_non_gemm_class} / {@code _share} (the costliest class that is not a
     * convolution, matmul or fused attention, the elementwise rest included).
     */
    void report(BenchReport r, String title, String prefix) {
        r.section(title);
        Map<String, Object> json = new LinkedHashMap<>();
        double accounted = 0;
        String worstName = null;
        double worstShare = 0;
        for (Map.Entry<OpProfiler.OpClass, OpProfiler.Counts> e : split.entrySet()) {
            OpProfiler.Counts c = e.getValue();
            double opMs = c.nanos() / 1e6;
            accounted += opMs;
            double share = opMs / ms;
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("ms", BenchReport.round(opMs));
            one.put("share", BenchReport.round(share));
            one.put("calls", c.calls());
            if (c.flops() > 0) {
                one.put("gflops", BenchReport.round(c.flops() / opMs / 1e6));
                r.row(e.getKey().key(), "%10.1f ms  %5.1f%%  %5d calls  %7.1f GFLOP/s", opMs, 100 * share,
                        c.calls(), c.flops() / opMs / 1e6);
            } else {
                r.row(e.getKey().key(), "%10.1f ms  %5.1f%%  %5d calls", opMs, 100 * share, c.calls());
            }
            json.put(e.getKey().key(), one);
            // the fused attention kernel is two matrix products with the softmax between them: GEMM-class
            boolean gemm = e.getKey() == OpProfiler.OpClass.CONVOLUTION || e.getKey() == OpProfiler.OpClass.MATMUL
                    || e.getKey() == OpProfiler.OpClass.ATTENTION_FUSED;
            if (!gemm && share > worstShare) {
                worstShare = share;
                worstName = e.getKey().key();
            }
        }
        double other = Math.max(0, ms - accounted);
        r.row("elementwise/other", "%10.1f ms  %5.1f%%", other, 100 * other / ms);
        json.put("elementwise_other", Map.of("ms", BenchReport.round(other), "share", BenchReport.round(other / ms)));
        if (other / ms > worstShare) {
            worstShare = other / ms;
            worstName = "elementwise_other";
        }
        r.put(prefix + "_op_split", json).put(prefix + "_max_non_gemm_class", worstName)
                .put(prefix + "_max_non_gemm_share", worstShare);
    }

    /** The {@code n} most expensive sites as a report section. */
    void reportHotSpots(BenchReport r, String title, int n) {
        r.section(title);
        for (OpProfiler.Site site : sites.subList(0, Math.min(n, sites.size()))) {
            double siteMs = site.nanos() / 1e6;
            r.row(site.op().key() + " " + site.shape(), "%10.1f ms  %5.1f%%  %4d calls%s", siteMs, 100 * siteMs / ms,
                    site.calls(), site.flops() > 0 ? String.format(Locale.ROOT, "  %7.1f GFLOP/s",
                            site.flops() / siteMs / 1e6) : "");
        }
    }
}
