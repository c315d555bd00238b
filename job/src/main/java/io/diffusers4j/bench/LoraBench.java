// `bench --lora`: what LoRA adapters cost: loading each file, switching the set, a call with them vs a plain call.
package io.diffusers4j.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.cli.UsageException;
import io.diffusers4j.loaders.LoraLoader;
import io.diffusers4j.models.nn.LoraTarget;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.ProgressListener;
import io.diffusers4j.weights.SafetensorsWriter;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The figures behind the job's adapter handling: the job loads each LoRA file once per executor
 * ({@code load_lora_weights}, timed here per file), then switches between adapter sets with {@code set_adapters}
 * (timed: the set on, then off, many times, the median), and a call with the adapters active runs each adapted layer
 * plus its low-rank branch (timed against the plain call, best of {@code --runs}). The goal: a switch costs less than
 * one UNet step. Calls use the prompt of the stage figures, {@code output_type="latent"} (no VAE decode).
 */
final class LoraBench {
    static final int MAX_RANK = 256;
    private static final String PROMPT = "a photo of an astronaut riding a horse on mars";
    private static final int SWITCHES = 21;

    /** One {@code --lora}: a file (folder, Hub id) and its scale. */
    record Spec(String source, double scale) {
        static Spec parse(String value) {
            int colon = value.lastIndexOf(':');
            if (colon > 1 && !Files.exists(Path.of(value))) {
                String tail = value.substring(colon + 1);
                double scale;
                try {
                    scale = Double.parseDouble(tail);
                } catch (NumberFormatException e) {
                    throw new UsageException("--lora " + value + ": the part after the last ':' must be a scale, got '"
                            + tail + "'");
                }
                if (!Double.isFinite(scale) || !Float.isFinite((float) scale)) {
                    throw new UsageException("--lora " + value + ": the scale must be a finite number");
                }
                return new Spec(value.substring(0, colon), scale);
            }
            return new Spec(value, 1.0);
        }
    }

    private LoraBench() {
    }

    static void run(BenchPipeline sd, BenchOptions o, BenchReport r, PrintStream log) throws IOException {
        DiffusionPipeline pipe = sd.pipeline();
        List<Spec> specs = new ArrayList<>(o.loras());
        Path random = null;
        if (o.randomLoraRank() > 0) {
            random = Files.createTempFile("d4j-bench-lora-r" + o.randomLoraRank() + "-", ".safetensors");
            long bytes = writeRandom(sd, o.randomLoraRank(), o.seed(), random);
            log.printf("bench: random LoRA of rank %d written (%.1f MiB)%n", o.randomLoraRank(), bytes / 1048576.0);
            specs.add(new Spec(random.toString(), 1.0));
        }
        try {
            measure(pipe, specs, o, r, log);
        } finally {
            if (random != null) {
                Files.deleteIfExists(random);
            }
        }
    }

    private static void measure(DiffusionPipeline pipe, List<Spec> specs, BenchOptions o, BenchReport r,
                                PrintStream log) {
        log.println("bench: plain calls ...");
        double plain = bestCall(pipe, o);
        List<String> names = new ArrayList<>();
        List<Double> scales = new ArrayList<>();
        double loadTotal = 0;
        int layers = 0;
        r.section("LoRA (" + specs.size() + " adapter" + (specs.size() == 1 ? "" : "s") + ", " + o.steps()
                + " steps, " + o.width() + "x" + o.height() + ", batch " + o.batch() + ", output latents)");
        for (int i = 0; i < specs.size(); i++) {
            Spec s = specs.get(i);
            long t0 = System.nanoTime();
            LoraLoader.AdapterInfo info = pipe.loadLoraWeights(s.source(), null, "bench_" + i, null);
            double ms = (System.nanoTime() - t0) / 1e6;
            loadTotal += ms;
            int n = info.layers().values().stream().mapToInt(Integer::intValue).sum();
            layers += n;
            names.add(info.name());
            scales.add(s.scale());
            r.row("load " + info.file().getFileName(), "%10.1f ms   (%d layers, once per executor)", ms, n);
        }
        double[] on = new double[SWITCHES];
        double[] off = new double[SWITCHES];
        for (int i = 0; i < SWITCHES; i++) {
            long t0 = System.nanoTime();
            pipe.setAdapters(names, scales);
            on[i] = (System.nanoTime() - t0) / 1e6;
            t0 = System.nanoTime();
            pipe.setAdapters(List.of(), List.of());
            off[i] = (System.nanoTime() - t0) / 1e6;
        }
        double switchOn = median(on);
        double switchOff = median(off);
        pipe.setAdapters(names, scales);
        log.println("bench: calls with the adapters ...");
        double withLora = bestCall(pipe, o);
        long t0 = System.nanoTime();
        pipe.fuseLora(1.0);
        double fuse = (System.nanoTime() - t0) / 1e6;
        double fused = bestCall(pipe, o);
        t0 = System.nanoTime();
        pipe.unfuseLora();
        double unfuse = (System.nanoTime() - t0) / 1e6;
        pipe.setAdapters(List.of(), List.of());

        double step = plain / o.steps();
        r.put("lora_adapters", specs.size()).put("lora_layers", layers).put("lora_load_ms", loadTotal)
                .put("lora_switch_on_ms", switchOn).put("lora_switch_off_ms", switchOff)
                .put("plain_call_ms", plain).put("plain_step_ms", step).put("lora_call_ms", withLora)
                .put("lora_step_overhead_ms", (withLora - plain) / o.steps())
                .put("lora_switch_over_step", switchOn / step).put("lora_fuse_ms", fuse)
                .put("lora_fused_call_ms", fused).put("lora_unfuse_ms", unfuse);
        r.row("switch on (set_adapters, median)", "%10.2f ms   = %.1e of a plain step", switchOn, switchOn / step);
        r.row("switch off (set_adapters([]))", "%10.2f ms", switchOff);
        r.row("plain call (best of " + o.runs() + ")", "%10.0f ms   (%.0f ms per step, text encoder included)",
                plain, step);
        r.row("call with the adapters", "%10.0f ms   (%+.1f ms per step: the low-rank branches)", withLora,
                (withLora - plain) / o.steps());
        r.row("fuse_lora / call fused / unfuse_lora", "%10.0f ms / %.0f ms / %.0f ms", fuse, fused, unfuse);
        r.line("goal: a switch costs less than one UNet step: %s", switchOn < step ? "met" : "NOT met");
    }

    /** The best wall time of {@code o.runs()} calls (one unmeasured warm-up first), in ms. */
    private static double bestCall(DiffusionPipeline pipe, BenchOptions o) {
        double best = Double.POSITIVE_INFINITY;
        for (int i = 0; i <= o.runs(); i++) {
            PipelineCall call = new PipelineCall().prompt(PROMPT).numInferenceSteps(o.steps()).height(o.height())
                    .width(o.width()).numImagesPerPrompt(o.batch()).seed(o.seed()).outputType("latent")
                    .progress(ProgressListener.NONE);
            long t0 = System.nanoTime();
            pipe.call(call);
            double ms = (System.nanoTime() - t0) / 1e6;
            if (i > 0) {
                best = Math.min(best, ms);
            }
        }
        return best;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /**
     * A diffusers/peft-format LoRA ({@code unet.<module>.lora_A.weight} / {@code lora_B.weight}) of {@code rank} on
     * every attention projection of the UNet, weights N(0, 0.01^2) from {@code seed}; returns the bytes written.
     */
    static long writeRandom(BenchPipeline sd, int rank, long seed, Path file) throws IOException {
        Random random = new Random(seed);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            for (Map.Entry<String, LoraTarget> e : sd.unet().loraLayers().targets().entrySet()) {
                String path = e.getKey();
                if (!(path.endsWith(".to_q") || path.endsWith(".to_k") || path.endsWith(".to_v")
                        || path.endsWith(".to_out.0"))) {
                    continue;
                }
                long[] shape = e.getValue().checkpointShape();
                if (shape.length != 2) {
                    continue;
                }
                tensors.put("unet." + path + ".lora_A.weight", gaussian(manager, random, rank, shape[1]));
                tensors.put("unet." + path + ".lora_B.weight", gaussian(manager, random, shape[0], rank));
            }
            SafetensorsWriter.write(file, tensors, DataType.FLOAT32, Map.of("format", "pt"));
        }
        return Files.size(file);
    }

    private static NDArray gaussian(NDManager manager, Random random, long rows, long cols) {
        float[] v = new float[Math.toIntExact(rows * cols)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * 0.01);
        }
        return manager.create(v, new Shape(rows, cols));
    }
}
