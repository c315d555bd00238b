// `bench --dtype bfloat16`: the UNet call in bfloat16 vs float32 in the same process, and the image error vs float32.
package io.diffusers4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.image.ImageDifference;
import io.diffusers4j.models.nn.OpProfiler;
import io.diffusers4j.models.unet.UNet2DConditionModel;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.ProgressListener;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.utils.TorchGenerator;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Compares the bfloat16 pipeline (float32 arrays, bfloat16 convolutions and linear layers) with a float32 twin loaded
 * from the same checkpoint, in one process:
 * <ul>
 *   <li>the UNet call on the CFG batch, both on the same float32 inputs, after one warm-up call each (which packs the
 *       weights), then {@code --runs} rounds of one call each, alternating which goes first, so that both see the
 *       same load on a shared machine: best and median of each, and the median of the per-round ratios;</li>
 *   <li>the largest difference of the two UNet outputs;</li>
 *   <li>{@code --runs} profiled calls of each, alternating: the op-class split of the fastest (where the time
 *       goes);</li>
 *   <li>the whole pipeline ({@code --steps} steps, the bench's prompt and seed, {@code output_type="np"}) once
 *       each: the decoded images' max abs difference and PSNR (on [0, 1] values), and the two call times.</li>
 * </ul>
 */
final class Bf16Bench {
    private Bf16Bench() {
    }

    static void run(BenchPipeline bf16, BenchPipeline f32, BenchOptions o, BenchReport r, PrintStream log) {
        int b = o.batch();
        int f = f32.vaeScaleFactor();
        long lh = o.height() / f;
        long lw = o.width() / f;
        List<String> prompts = StageBench.prompts(b, 0);
        f32.pipeline().checkInputs(f32.pipeline().withDefaults(new PipelineCall().prompt(prompts).height(o.height())
                .width(o.width())));
        UNet2DConditionModel unet32 = f32.unet();
        UNet2DConditionModel unet16 = bf16.unet();
        List<String> both = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            both.add("");
        }
        both.addAll(prompts);
        try (NDManager m = NDManager.newBaseManager(f32.device())) {
            long[][] ids = f32.tokenizer().encode(both).inputIds();
            NDArray embeds;
            try (NDManager s = m.newSubManager()) {
                embeds = f32.textEncoder().forward(s.create(ids)).lastHiddenState();
                embeds.attach(m);
            }
            Scheduler sched = f32.pipeline().scheduler().copy();
            sched.setTimesteps(o.steps());
            float[] noise = new TorchGenerator(o.seed()).randn(new long[] {b, unet32.config().inChannels, lh, lw});
            NDArray latents = m.create(noise, new Shape(b, unet32.config().inChannels, lh, lw))
                    .muli((float) sched.initNoiseSigma());
            NDArray cfg = NDArrays.concat(new NDList(latents, latents), 0);
            NDArray t = m.create((float) sched.timesteps()[0]);

            double first32 = timeMs(m, () -> unet32.forward(cfg, t, embeds));
            double first16 = timeMs(m, () -> unet16.forward(cfg, t, embeds));
            log.printf(Locale.ROOT, "bench: first UNet call float32 %.0f ms, bfloat16 %.0f ms (packing)%n", first32,
                    first16);
            double[] ms32 = new double[o.runs()];
            double[] ms16 = new double[o.runs()];
            double[] ratios = new double[o.runs()];
            for (int i = 0; i < o.runs(); i++) {
                if (i % 2 == 0) {
                    ms32[i] = timeMs(m, () -> unet32.forward(cfg, t, embeds));
                    ms16[i] = timeMs(m, () -> unet16.forward(cfg, t, embeds));
                } else {
                    ms16[i] = timeMs(m, () -> unet16.forward(cfg, t, embeds));
                    ms32[i] = timeMs(m, () -> unet32.forward(cfg, t, embeds));
                }
                ratios[i] = ms32[i] / ms16[i];
                log.printf(Locale.ROOT, "bench: round %d: UNet float32 %.0f ms, bfloat16 %.0f ms (%.2fx)%n", i + 1,
                        ms32[i], ms16[i], ratios[i]);
            }
            double unetDiff;
            double unetScale;
            try (NDManager s = m.newSubManager()) {
                NDArray a = unet32.forward(cfg, t, embeds);
                NDArray c = unet16.forward(cfg, t, embeds);
                a.attach(s);
                c.attach(s);
                unetDiff = a.sub(c).abs().max().getFloat();
                unetScale = a.abs().max().getFloat();
            }
            // the op split of the fastest of `runs` profiled calls of each, alternating (a call slowed down by other
            // processes would inflate whichever ops it happened to be in)
            Map<String, Object> split32 = null;
            Map<String, Object> split16 = null;
            for (int i = 0; i < o.runs(); i++) {
                split32 = faster(split32, profiledSplit(m, () -> unet32.forward(cfg, t, embeds)));
                split16 = faster(split16, profiledSplit(m, () -> unet16.forward(cfg, t, embeds)));
            }

            long c32 = System.nanoTime();
            float[] img32 = render(f32, o, prompts);
            double call32 = (System.nanoTime() - c32) / 1e6;
            long c16 = System.nanoTime();
            float[] img16 = render(bf16, o, prompts);
            double call16 = (System.nanoTime() - c16) / 1e6;
            ImageDifference d = ImageDifference.of(img32, img16);
            log.printf(Locale.ROOT, "bench: image vs float32: max abs %.4f, PSNR %.1f dB%n", d.maxAbs(), d.psnrDb());

            double best32 = Arrays.stream(ms32).min().orElseThrow();
            double best16 = Arrays.stream(ms16).min().orElseThrow();
            r.put("unet_step_ms_float32_best", best32).put("unet_step_ms_bfloat16_best", best16)
                    .put("unet_step_ms_float32_median", median(ms32)).put("unet_step_ms_bfloat16_median", median(ms16))
                    .put("unet_speedup_best", best32 / best16).put("unet_speedup_median_of_rounds", median(ratios))
                    .put("unet_step_ms_float32_rounds", rounded(ms32)).put("unet_step_ms_bfloat16_rounds",
                            rounded(ms16))
                    .put("first_unet_step_ms_float32", first32).put("first_unet_step_ms_bfloat16", first16)
                    .put("unet_output_max_abs_diff", unetDiff).put("unet_output_max_abs", unetScale)
                    .put("unet_op_split_float32", split32).put("unet_op_split_bfloat16", split16)
                    .put("pipeline_call_ms_float32", call32).put("pipeline_call_ms_bfloat16", call16)
                    .put("image_max_abs_diff", d.maxAbs()).put("image_psnr_db", d.psnrDb());
            r.section(String.format(Locale.ROOT, "bfloat16 vs float32 (same process, batch %d with CFG: UNet batch "
                    + "%d, %dx%d, %d alternating rounds)", b, 2 * b, o.width(), o.height(), o.runs()));
            r.row("UNet call float32 (best / median)", "%10.1f ms / %.1f ms", best32, median(ms32));
            r.row("UNet call bfloat16 (best / median)", "%10.1f ms / %.1f ms", best16, median(ms16));
            r.row("speed-up (best / median of rounds)", "%10.2fx / %.2fx", best32 / best16, median(ratios));
            r.row("first call (packs the weights)", "%10.0f ms float32 / %.0f ms bfloat16", first32, first16);
            r.row("UNet output max abs diff", "%10.4f   (max |float32 output| %.2f)", unetDiff, unetScale);
            r.row(String.format(Locale.ROOT, "image vs float32 (%d steps, seed %d)", o.steps(), o.seed()),
                    "max abs %.4f, PSNR %.1f dB", d.maxAbs(), d.psnrDb());
            r.row("pipeline call, one each", "%10.0f ms float32 / %.0f ms bfloat16", call32, call16);
            r.section("UNet call by op class, fastest of " + o.runs() + " profiled calls each (float32 | bfloat16)");
            for (String key : split32.keySet()) {
                r.row(key, "%10.1f ms | %.1f ms", ms(split32.get(key)), ms(split16.get(key)));
            }
        }
    }

    /** Wall time of one tensor computation in its own sub-manager (freed after the clock stops). */
    private static double timeMs(NDManager parent, Supplier<NDArray> op) {
        try (NDManager s = parent.newSubManager()) {
            long start = System.nanoTime();
            NDArray out = op.get();
            OpProfiler.sync(out);
            double ms = (System.nanoTime() - start) / 1e6;
            out.attach(s);
            return ms;
        }
    }

    /** One profiled call: ms per op class, plus "total" and "elementwise_other" (the unprobed remainder). */
    private static Map<String, Object> profiledSplit(NDManager parent, Supplier<NDArray> op) {
        OpProfiler.reset();
        OpProfiler.enable(true);
        double total;
        try {
            total = timeMs(parent, op);
        } finally {
            OpProfiler.enable(false);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        double accounted = 0;
        for (Map.Entry<OpProfiler.OpClass, OpProfiler.Counts> e : OpProfiler.snapshot().entrySet()) {
            double ms = e.getValue().nanos() / 1e6;
            accounted += ms;
            out.put(e.getKey().key(), Map.of("ms", BenchReport.round(ms), "calls", e.getValue().calls()));
        }
        out.put("elementwise_other", Map.of("ms", BenchReport.round(Math.max(0, total - accounted))));
        out.put("total", Map.of("ms", BenchReport.round(total)));
        return out;
    }

    private static Map<String, Object> faster(Map<String, Object> a, Map<String, Object> b) {
        return a == null || ms(b.get("total")) < ms(a.get("total")) ? b : a;
    }

    private static double ms(Object entry) {
        return entry instanceof Map<?, ?> map && map.get("ms") instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** The decoded images of one pipeline call at the bench's prompts and seeds, as [0, 1] values. */
    private static float[] render(BenchPipeline sd, BenchOptions o, List<String> prompts) {
        List<TorchGenerator> gens = new ArrayList<>();
        for (int j = 0; j < prompts.size(); j++) {
            gens.add(new TorchGenerator(o.seed() + j));
        }
        PipelineCall call = new PipelineCall().prompt(prompts).numInferenceSteps(o.steps())
                .guidanceScale(StageBench.GUIDANCE).height(o.height()).width(o.width()).generators(gens)
                .outputType("np").progress(ProgressListener.NONE);
        return ((ImagePipelineOutput) sd.pipeline().call(call)).data();
    }

    private static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static List<Double> rounded(double[] values) {
        return Arrays.stream(values).map(BenchReport::round).boxed().toList();
    }
}
