// The benchmark's inference measurements: per-stage times, the UNet op-class split, reference ratio, end to end.
package io.diffusers4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.image.Png;
import io.diffusers4j.image.VaeImageProcessor;
import io.diffusers4j.models.clip.CLIPTextOutput;
import io.diffusers4j.models.nn.OpProfiler;
import io.diffusers4j.models.unet.UNet2DConditionModel;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.pipelines.ProgressListener;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.utils.TorchGenerator;

import java.awt.image.BufferedImage;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Times each stage of a text-to-image call on its own, at the run's batch and size, best of {@code runs} after a
 * warm-up: tokenize (prompt and negative prompt), text encoder, one UNet call on the CFG batch, the guidance
 * combination plus one scheduler step, VAE decode, post-processing plus PNG encoding. Then one UNet call with the
 * op profiler on (the split by op class and the counted FLOPs), the machine reference in the same process, and a
 * whole pipeline call of {@code steps} steps with PNG encoding (images per second).
 */
final class StageBench {
    static final double GUIDANCE = 7.5;

    private StageBench() {
    }

    static void run(BenchPipeline sd, BenchOptions o, BenchReport r, PrintStream log) {
        int b = o.batch();
        PipelineCall sized = new PipelineCall().prompt(prompts(b, 0)).height(o.height()).width(o.width());
        sd.pipeline().checkInputs(sd.pipeline().withDefaults(sized));
        int f = sd.vaeScaleFactor();
        long lh = o.height() / f;
        long lw = o.width() / f;
        int runs = o.runs();
        UNet2DConditionModel unet = sd.unet();
        DataType dtype = sd.dtype();
        List<String> prompts = prompts(b, 0);
        List<String> both = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            both.add("");
        }
        both.addAll(prompts);

        try (NDManager m = NDManager.newBaseManager(sd.device())) {
            // tokenize + text encoder
            double tokenizeMs = bestMs(runs, () -> sd.tokenizer().encode(both));
            long[][] ids = sd.tokenizer().encode(both).inputIds();
            double textMs = bestNd(runs, m, s -> {
                CLIPTextOutput out = sd.textEncoder().forward(s.create(ids));
                return out.lastHiddenState();
            });
            NDArray embeds;
            try (NDManager s = m.newSubManager()) {
                CLIPTextOutput out = sd.textEncoder().forward(s.create(ids));
                embeds = out.lastHiddenState().toType(dtype, false);
                embeds.attach(m);
            }
            log.printf("bench: tokenize %.1f ms, text encoder %.1f ms%n", tokenizeMs, textMs);

            // UNet on the CFG batch
            Scheduler sched = sd.pipeline().scheduler().copy();
            sched.setTimesteps(o.steps());
            double t0 = sched.timesteps()[0];
            float[] noise = new TorchGenerator(o.seed()).randn(new long[] {b, unet.config().inChannels, lh, lw});
            NDArray latents = m.create(noise, new Shape(b, unet.config().inChannels, lh, lw)).toType(dtype, false)
                    .muli((float) sched.initNoiseSigma());
            NDArray cfgLatents = NDArrays.concat(new NDList(latents, latents), 0);
            NDArray timestep = m.create((float) t0);
            // the first call, profiled: where the one-off cost of a fresh pipeline goes (page-in, packing, JIT)
            OpSplit.Profiled firstCall = OpSplit.profileKeeping(() -> unet.forward(cfgLatents, timestep, embeds));
            OpSplit first = firstCall.split();
            double firstUnetMs = first.ms();
            NDArray noisePred = firstCall.output();
            log.printf("bench: first UNet call %.0f ms (weights paged in, allocator warm-up)%n", firstUnetMs);

            MachineReference.Result ref1 = reference(m, unet, dtype, 2L * b, lh, lw, runs);
            double unetMs = bestNd(runs, m, s -> unet.forward(cfgLatents, timestep, embeds));
            log.printf("bench: UNet step %.0f ms (best of %d)%n", unetMs, runs);

            OpSplit profiled = OpSplit.profile(runs, () -> unet.forward(cfgLatents, timestep, embeds));
            MachineReference.Result ref2 = reference(m, unet, dtype, 2L * b, lh, lw, runs);
            MachineReference.Result ref = MachineReference.best(ref1, ref2);

            // guidance + scheduler step
            double schedMs = Double.MAX_VALUE;
            for (int i = 0; i <= runs; i++) {
                try (Scheduler s = sd.pipeline().scheduler().copy(); NDManager sub = m.newSubManager()) {
                    s.setTimesteps(o.steps());
                    NDArray lat = latents.duplicate();
                    lat.attach(sub);
                    long start = System.nanoTime();
                    NDList halves = noisePred.split(2, 0);
                    halves.attach(sub);
                    NDArray guided = halves.get(1).sub(halves.get(0)).muli((float) GUIDANCE).addi(halves.get(0));
                    NDArray next = s.step(guided, t0, lat).prevSample();
                    OpProfiler.sync(next);
                    double ms = (System.nanoTime() - start) / 1e6;
                    if (i > 0) {
                        schedMs = Math.min(schedMs, ms);
                    }
                }
            }

            // VAE decode, then post-processing and PNG encoding
            NDArray z = latents.div((float) sd.vae().config().scalingFactor);
            double vaeMs = bestNd(runs, m, s -> sd.vae().decode(z));
            // diffusers' enable_vae_slicing (one image at a time), for batches: the same work on smaller tensors
            double vaeSlicedMs = Double.NaN;
            if (b > 1) {
                sd.vae().enableSlicing();
                try {
                    vaeSlicedMs = bestNd(runs, m, s -> sd.vae().decode(z));
                } finally {
                    sd.vae().disableSlicing();
                }
                log.printf("bench: VAE decode one image at a time (slicing) %.0f ms%n", vaeSlicedMs);
            }
            NDArray decoded = sd.vae().decode(z);
            VaeImageProcessor processor = VaeImageProcessor.create(f);
            double pngMs = bestMs(runs, () -> {
                List<BufferedImage> images = processor.postprocessPil(decoded);
                for (BufferedImage image : images) {
                    Png.write(image, Map.of());
                }
                return images;
            });
            log.printf("bench: scheduler step %.1f ms, VAE decode %.0f ms, PNG %.1f ms%n", schedMs, vaeMs, pngMs);

            // the whole call, steps and all
            double callMs = endToEnd(sd, o, prompts, runs, unetMs);
            log.printf("bench: pipeline call (%d steps) + PNG %.0f ms%n", o.steps(), callMs);

            report(r, o, sched.timesteps().length, tokenizeMs, textMs, firstUnetMs, unetMs, schedMs, vaeMs, vaeSlicedMs,
                    pngMs,
                    callMs, profiled, ref);
            profiled.reportHotSpots(r, "UNet hot spots (that call; op class at output shape, the 12 most expensive)",
                    12);
            first.report(r, String.format(Locale.ROOT, "First UNet call after load by op class (%.0f ms)",
                    first.ms()), "first_unet");
            OpSplit vaeProfiled = OpSplit.profile(1, () -> sd.vae().decode(z));
            vaeProfiled.report(r, String.format(Locale.ROOT, "VAE decode by op class (one profiled call: %.0f ms)",
                    vaeProfiled.ms()), "vae");
            vaeProfiled.reportHotSpots(r, "VAE decode hot spots (the 8 most expensive)", 8);
        }
    }

    private static MachineReference.Result reference(NDManager m, UNet2DConditionModel unet, DataType dtype,
                                                     long batch, long lh, long lw, int runs) {
        return MachineReference.measure(m, dtype, unet.config().blockOutChannels, batch, lh, lw, runs, 2048);
    }

    private static double endToEnd(BenchPipeline sd, BenchOptions o, List<String> prompts, int runs,
                                   double unetMs) {
        int calls = unetMs * o.steps() < 5000 ? runs : 1;
        double best = Double.MAX_VALUE;
        for (int i = 0; i < calls; i++) {
            List<TorchGenerator> gens = new ArrayList<>();
            for (int j = 0; j < prompts.size(); j++) {
                gens.add(new TorchGenerator(o.seed() + j));
            }
            PipelineCall call = new PipelineCall().prompt(prompts).numInferenceSteps(o.steps())
                    .guidanceScale(GUIDANCE).height(o.height()).width(o.width()).generators(gens).outputType("pil")
                    .progress(ProgressListener.NONE);
            long start = System.nanoTime();
            ImagePipelineOutput out = (ImagePipelineOutput) sd.pipeline().call(call);
            for (BufferedImage image : out.images()) {
                Png.write(image, Map.of());
            }
            best = Math.min(best, (System.nanoTime() - start) / 1e6);
        }
        return best;
    }

    private static void report(BenchReport r, BenchOptions o, int unetCalls, double tokenizeMs, double textMs,
                               double firstUnetMs,
                               double unetMs, double schedMs, double vaeMs, double vaeSlicedMs, double pngMs,
                               double callMs,
                               OpSplit profiled, MachineReference.Result ref) {
        int b = o.batch();
        // one UNet call and step per scheduler timestep (PNDM repeats one timestep, Heun has two calls per step)
        double stages = tokenizeMs + textMs + unetCalls * (unetMs + schedMs) + vaeMs + pngMs;
        r.put("tokenize_ms", tokenizeMs).put("text_encoder_ms", textMs).put("unet_step_ms", unetMs)
                .put("first_unet_step_ms", firstUnetMs).put("scheduler_step_ms", schedMs).put("vae_decode_ms", vaeMs)
                .put("png_encode_ms", pngMs).put("pipeline_call_ms", callMs).put("unet_calls_per_image", unetCalls)
                .put("stages_sum_ms", stages)
                .put("image_ms", callMs / b).put("images_per_s", b * 1000.0 / callMs);
        r.section(String.format(Locale.ROOT, "Stages (batch %d with CFG: UNet batch %d, %dx%d, %d steps; "
                + "best of %d)", b, 2 * b, o.width(), o.height(), o.steps(), o.runs()));
        r.row("tokenize (prompt + negative)", "%10.2f ms", tokenizeMs);
        r.row("text encoder (prompt + negative)", "%10.1f ms", textMs);
        r.row("UNet step (one call, CFG batch)", "%10.1f ms   (first call after load: %.0f ms)", unetMs,
                firstUnetMs);
        r.row("guidance + scheduler step", "%10.2f ms", schedMs);
        r.row("VAE decode", "%10.1f ms", vaeMs);
        if (!Double.isNaN(vaeSlicedMs)) {
            r.put("vae_decode_sliced_ms", vaeSlicedMs);
            r.row("VAE decode, one image at a time", "%10.1f ms   (enable_vae_slicing)", vaeSlicedMs);
        }
        r.row("postprocess + PNG encode", "%10.1f ms", pngMs);
        r.row("pipeline call + PNG (end to end)", "%10.0f ms   (stages sum, %d UNet calls: %.0f ms)", callMs,
                unetCalls, stages);
        r.row("per image", "%10.0f ms   = %.3f images/s", callMs / b, b * 1000.0 / callMs);

        long convFlops = profiled.split().get(OpProfiler.OpClass.CONVOLUTION).flops();
        double mmFlops = profiled.gemmFlops() - convFlops;
        double flops = convFlops + mmFlops;
        double unetGflops = flops / unetMs / 1e6;
        double reference = ref.blendedGflops(convFlops, mmFlops);
        r.put("unet_gflop", flops / 1e9).put("unet_gflops", unetGflops).put("reference_gflops", reference)
                .put("reference_matmul_gflops", ref.matmul().gflops()).put("reference_conv_gflops", ref.convGflops())
                .put("unet_fraction_of_reference", unetGflops / reference);
        r.section("Machine reference (libtorch kernels in this process, best of " + o.runs() + ")");
        r.row(ref.matmul().name(), "%10.1f GFLOP/s", ref.matmul().gflops());
        for (MachineReference.Kernel k : ref.convs()) {
            r.row(k.name(), "%10.1f GFLOP/s", k.gflops());
        }
        r.row("3x3 convolutions, all levels", "%10.1f GFLOP/s", ref.convGflops());
        r.row("reference for the UNet's FLOP mix", "%10.1f GFLOP/s", reference);
        r.row("UNet step achieved", "%10.1f GFLOP/s   (%.1f GFLOP counted) = %.0f%% of the reference", unetGflops,
                flops / 1e9, 100 * unetGflops / reference);

        profiled.report(r, String.format(Locale.ROOT, "UNet step by op class (fastest of %d profiled calls: "
                + "%.0f ms)", o.runs(), profiled.ms()), "unet");
    }

    /** The benchmark's prompts: {@code n} distinct prompts starting at {@code from}. */
    static List<String> prompts(int n, int from) {
        String[] subjects = {"an astronaut riding a horse on mars", "a lighthouse on a cliff at dawn",
            "a bowl of ramen, studio lighting", "a red fox in the snow", "a city street in the rain at night",
            "a sailing boat on a calm lake", "a robot reading a book in a library", "a field of sunflowers"};
        List<String> out = new ArrayList<>(n);
        for (int i = from; i < from + n; i++) {
            out.add("a photograph of " + subjects[i % subjects.length] + ", detailed, " + (i + 1));
        }
        return out;
    }

    /** Best wall time in ms of {@code runs} calls after a warm-up call (host-side work). */
    static double bestMs(int runs, Supplier<?> op) {
        op.get();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            op.get();
            best = Math.min(best, (System.nanoTime() - start) / 1e6);
        }
        return best;
    }

    /**
     * Best wall time in ms of {@code runs} tensor computations after a warm-up; each runs in its own sub-manager,
     * which is closed after the clock stops (so freeing is not timed), and waits for its result on a GPU.
     */
    static double bestNd(int runs, NDManager parent, Function<NDManager, NDArray> op) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i <= runs; i++) {
            try (NDManager s = parent.newSubManager()) {
                long start = System.nanoTime();
                NDArray out = op.apply(s);
                OpProfiler.sync(out);
                double ms = (System.nanoTime() - start) / 1e6;
                if (i > 0) {
                    best = Math.min(best, ms);
                }
                if (out.getManager() != s) {
                    out.close();
                }
            }
        }
        return best;
    }
}
