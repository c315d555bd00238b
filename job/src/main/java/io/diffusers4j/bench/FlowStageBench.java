// The benchmark's stages of a Stable Diffusion 3 / FLUX shaped preset, and the transformer's share of the reference.
package io.diffusers4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.image.Png;
import io.diffusers4j.image.VaeImageProcessor;
import io.diffusers4j.models.nn.OpProfiler;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.schedulers.Scheduler;

import java.awt.image.BufferedImage;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Times a {@link FlowWorkload} stage by stage at the run's batch and size, best of {@code runs} after a warm-up, as
 * {@link StageBench} does for SD-1.5: one transformer call (SD3: the CFG batch; the profiled call counts as one
 * more), each block kind on its own, one whole denoising step (the call, the guidance and the scheduler step),
 * tokenize, text encoders, the VAE decode, post-processing plus PNG, and a whole pipeline call where the preset can
 * run one. Around the transformer timing
 * the machine reference (a 2048^3 libtorch matmul, twice, the faster kept); the transformer's FLOPs come from the
 * config ({@link TransformerCost}) and are checked against what the op probes count in one profiled call. A model
 * built with fewer blocks than the real one is scaled: the measured call plus each missing block at its measured
 * time (labelled SCALED); the fraction of the reference of one block needs no scaling.
 */
final class FlowStageBench {
    private FlowStageBench() {
    }

    static void run(FlowWorkload w, BenchOptions o, BenchReport r, PrintStream log) {
        int runs = o.runs();
        List<String> prompts = StageBench.prompts(o.batch(), 0);
        r.section("Preset " + w.name());
        for (String note : w.notes()) {
            r.line("%s", note);
        }
        try (NDManager m = NDManager.newBaseManager(w.vae().stateDict().values().iterator().next().getDevice())) {
            // the conditioning once, untimed (the text encoders are timed after the transformer: on this shared
            // machine the first minute after building many GB of weights ran up to 3x slower)
            FlowWorkload.Conditioning c = w.encode(m, prompts);
            NDArray latents = w.latents(m, o.seed());
            double t0;
            try (Scheduler scheduler = w.scheduler(o.steps())) {
                t0 = scheduler.timesteps()[0];
            }
            long start = System.nanoTime();
            try (NDManager s = m.newSubManager()) {
                OpProfiler.sync(w.transformerCall(s, latents, c, t0));
            }
            double firstMs = (System.nanoTime() - start) / 1e6;
            log.printf("bench: first transformer call %.0f ms%n", firstMs);

            MachineReference.Result ref1 = reference(m, w, runs);
            double timedMs = StageBench.bestNd(runs, m, s -> w.transformerCall(s, latents, c, t0));
            List<FlowWorkload.BlockTiming> blocks = w.timeBlocks(m, c, runs);
            for (FlowWorkload.BlockTiming b : blocks) {
                log.printf("bench: %s %.0f ms%n", b.name(), b.ms());
            }
            OpSplit profiled = OpSplit.profile(1, () -> {
                NDManager s = m.newSubManager();
                NDArray out = w.transformerCall(s, latents, c, t0);
                out.attach(m);
                s.close();
                return out;
            });
            // the profiled call counts as one more timed call (its probes cost microseconds per op)
            double callMs = Math.min(timedMs, profiled.ms());
            log.printf("bench: transformer call %.0f ms (best of %d + the profiled call)%n", callMs, runs);
            MachineReference.Result ref = MachineReference.best(ref1, reference(m, w, runs));

            double stepMs = StageBench.bestNd(runs, m, s -> {
                try (Scheduler scheduler = w.scheduler(o.steps())) {
                    NDArray current = latents.duplicate();
                    current.attach(s);
                    return scheduler.step(w.guide(w.transformerCall(s, current, c, t0)), t0, current).prevSample();
                }
            });
            log.printf("bench: denoising step %.0f ms%n", stepMs);

            double tokenizeMs = StageBench.bestMs(runs, () -> w.tokenize(prompts));
            double textMs = StageBench.bestNd(runs, m, s -> w.encode(s, prompts).embeds());
            log.printf("bench: tokenize %.1f ms, text encoders %.1f ms%n", tokenizeMs, textMs);

            NDArray z = w.vaeLatents(m, o.seed() + 1);
            double vaeMs = StageBench.bestNd(runs, m, s -> w.vae().decode(z));
            NDArray decoded = w.vae().decode(z);
            VaeImageProcessor processor = VaeImageProcessor.create(w.vae().scaleFactor());
            double pngMs = StageBench.bestMs(runs, () -> {
                List<BufferedImage> images = processor.postprocessPil(decoded);
                for (BufferedImage image : images) {
                    Png.write(image, Map.of());
                }
                return images;
            });
            log.printf("bench: VAE decode %.0f ms, PNG %.1f ms%n", vaeMs, pngMs);

            double pipelineMs = pipelineCall(w, o, prompts);
            Stages stages = new Stages(tokenizeMs, textMs, firstMs, callMs, stepMs, vaeMs, pngMs, pipelineMs);
            report(w, o, r, stages, blocks, profiled, ref);
        }
    }

    /** The measured stage times (ms); {@code pipelineMs} NaN when the preset has no pipeline call. */
    private record Stages(double tokenizeMs, double textMs, double firstMs, double callMs, double stepMs,
                          double vaeMs, double pngMs, double pipelineMs) {
    }

    /** The 2048^3 matmul (no convolutions: the transformer's FLOPs are matrix products). */
    private static MachineReference.Result reference(NDManager m, FlowWorkload w, int runs) {
        return MachineReference.measure(m, w.dtype(), new int[0], 0, 0, 0, runs, 2048);
    }

    /** The pipeline's own call plus PNG encoding, best of {@code runs} (one when it is long), or NaN. */
    private static double pipelineCall(FlowWorkload w, BenchOptions o, List<String> prompts) {
        double best = Double.NaN;
        for (int i = 0; i < o.runs(); i++) {
            long start = System.nanoTime();
            ImagePipelineOutput out = w.pipelineCall(prompts, o.steps(), o.seed());
            if (out == null) {
                return Double.NaN;
            }
            for (BufferedImage image : out.images()) {
                Png.write(image, Map.of());
            }
            double ms = (System.nanoTime() - start) / 1e6;
            best = Double.isNaN(best) ? ms : Math.min(best, ms);
            if (ms > 5000) {
                break;
            }
        }
        return best;
    }

    private static void report(FlowWorkload w, BenchOptions o, BenchReport r, Stages st,
                               List<FlowWorkload.BlockTiming> blocks, OpSplit profiled, MachineReference.Result ref) {
        double missingMs = 0;
        for (FlowWorkload.BlockTiming b : blocks) {
            missingMs += (b.full() - b.built()) * b.ms();
        }
        boolean scaled = missingMs > 0;
        String tag = scaled ? "   SCALED to the real depth" : "";
        double callFullMs = st.callMs() + missingMs;
        double stepFullMs = st.stepMs() + missingMs;
        boolean estimated = Double.isNaN(st.pipelineMs());
        double pipelineFullMs = estimated
                ? st.tokenizeMs() + st.textMs() + o.steps() * stepFullMs + st.vaeMs() + st.pngMs()
                : st.pipelineMs() + o.steps() * missingMs;
        int tb = w.transformerBatch();
        r.put("preset", w.name()).put("transformer_batch", tb).put("tokenize_ms", st.tokenizeMs())
                .put("text_encoders_ms", st.textMs()).put("first_transformer_call_ms", st.firstMs())
                .put("transformer_call_ms", st.callMs()).put("denoise_step_ms", st.stepMs())
                .put("vae_decode_ms", st.vaeMs()).put("png_encode_ms", st.pngMs())
                .put("scaled_to_real_depth", scaled).put("transformer_call_full_ms", callFullMs)
                .put("denoise_step_full_ms", stepFullMs)
                .put("pipeline_call_ms", st.pipelineMs()).put("pipeline_call_full_ms", pipelineFullMs)
                .put("pipeline_call_full_estimated", estimated || scaled)
                .put("images_per_s_full", o.batch() * 1000.0 / pipelineFullMs);

        r.section(String.format(Locale.ROOT, "Stages (batch %d, transformer batch %d, %dx%d, %d steps; best of %d)",
                o.batch(), tb, o.width(), o.height(), o.steps(), o.runs()));
        r.row("tokenize", "%10.2f ms", st.tokenizeMs());
        r.row("text encoders", "%10.1f ms", st.textMs());
        r.row("transformer call, as built", "%10.1f ms   (first call: %.0f ms; best of %d + the profiled call)",
                st.callMs(), st.firstMs(), o.runs());
        if (scaled) {
            r.row("transformer call, real depth", "%10.1f ms%s", callFullMs, tag);
        }
        r.row("denoising step (call + guidance + step)", "%10.1f ms", st.stepMs());
        if (scaled) {
            r.row("denoising step, real depth", "%10.1f ms%s", stepFullMs, tag);
        }
        r.row("VAE decode", "%10.1f ms", st.vaeMs());
        r.row("postprocess + PNG encode", "%10.1f ms", st.pngMs());
        if (!estimated) {
            r.row("pipeline call + PNG, as built", "%10.0f ms   (%d steps)", st.pipelineMs(), o.steps());
        }
        r.row("pipeline call + PNG, real depth", "%10.0f ms   = %.4f images/s%s", pipelineFullMs,
                o.batch() * 1000.0 / pipelineFullMs, estimated ? "   ESTIMATED from the stages"
                        : scaled ? "   SCALED (the call plus the missing blocks per step)" : "");

        double matmul = ref.matmul().gflops();
        TransformerCost built = w.cost(false);
        TransformerCost full = w.cost(true);
        double counted = profiled.gemmFlops();
        r.section("Blocks on their own (best of " + o.runs() + "; fraction of the matmul reference)");
        Map<String, Object> blockJson = new LinkedHashMap<>();
        for (FlowWorkload.BlockTiming b : blocks) {
            double gflops = b.flops() / b.ms() / 1e6;
            r.row(b.name(), "%10.1f ms   %7.1f GFLOP  %7.1f GFLOP/s = %.0f%%   (%d built, %d in the real model)",
                    b.ms(), b.flops() / 1e9, gflops, 100 * gflops / matmul, b.built(), b.full());
            blockJson.put(b.name(), Map.of("ms", BenchReport.round(b.ms()), "gflop", BenchReport.round(
                    b.flops() / 1e9), "fraction_of_reference", BenchReport.round(gflops / matmul), "built", b.built(),
                    "full", b.full()));
        }
        double builtGflops = built.total() / st.callMs() / 1e6;
        double fullGflops = full.total() / callFullMs / 1e6;
        r.put("blocks", blockJson).put("reference_matmul_gflops", matmul)
                .put("transformer_gflop_built", built.total() / 1e9).put("transformer_gflop_counted", counted / 1e9)
                .put("transformer_gflop", full.total() / 1e9).put("transformer_gflops_built", builtGflops)
                .put("transformer_fraction_of_reference_built", builtGflops / matmul)
                .put("transformer_gflops", fullGflops).put("transformer_fraction_of_reference", fullGflops / matmul);
        r.section("Machine reference and the transformer's fraction of it (libtorch in this process, best of "
                + o.runs() + ")");
        r.row(ref.matmul().name(), "%10.1f GFLOP/s", matmul);
        r.row("transformer FLOPs, as built", "%10.1f GFLOP   (config formula; the op probes counted %.1f)",
                built.total() / 1e9, counted / 1e9);
        r.row("transformer as built achieved", "%10.1f GFLOP/s = %.0f%% of the matmul reference", builtGflops,
                100 * builtGflops / matmul);
        if (scaled) {
            r.row("transformer FLOPs, real depth", "%10.1f GFLOP", full.total() / 1e9);
            r.row("transformer, real depth", "%10.1f GFLOP/s = %.0f%% of the matmul reference%s", fullGflops,
                    100 * fullGflops / matmul, tag);
        }
        profiled.report(r, String.format(Locale.ROOT, "Transformer call by op class (one profiled call: %.0f ms)",
                profiled.ms()), "transformer");
        profiled.reportHotSpots(r, "Transformer hot spots (op class at output shape, the 12 most expensive)", 12);
    }
}
