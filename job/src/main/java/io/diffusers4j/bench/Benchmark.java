// `diffusers4j bench`: one run that measures load, every inference stage, the machine reference and the job.
package io.diffusers4j.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.job.render.JvmSettings;
import io.diffusers4j.models.nn.AttentionOptions;
import io.diffusers4j.models.nn.TorchOps;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.pipelines.TinyPipeline;
import io.diffusers4j.weights.CheckpointFiles;
import io.diffusers4j.weights.ShardedTensorSource;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The benchmark's phases, in one process: (1) the weights: time to read their bytes, then the pipeline load
 * ({@code fromPretrained}) and the peak resident memory while loading; (2) the inference stages, the UNet's op-class
 * split and the machine reference ({@link StageBench}); (3) optionally each attention mode ({@link AttentionModes});
 * (4) optionally the Spark job against the bare pipeline ({@link JobBench}).
 */
final class Benchmark {
    private Benchmark() {
    }

    static BenchReport run(BenchOptions o, PrintStream log) throws Exception {
        BenchReport r = new BenchReport();
        Engine.getInstance();
        if (o.threads() != null) {
            JniUtils.setNumThreads(o.threads());
        }
        Device device = o.device().equals("gpu") ? Device.gpu() : Device.cpu();
        if (device.isGpu() && Engine.getInstance().getGpuCount() == 0) {
            throw new IllegalArgumentException("--device gpu: the PyTorch engine sees no GPU (a CPU-only libtorch?); "
                    + "point PYTORCH_LIBRARY_PATH at a CUDA libtorch, see job/README.md");
        }
        if (device.isGpu() && o.dtype().equals("float32")) {
            log.println("bench: note: float32 on a GPU; float16 is the usual GPU dtype (--dtype float16)");
        }
        if (!device.isGpu() && o.dtype().equals("float16")) {
            log.println("bench: note: float16 on the CPU is ~100x slower than float32 (no fast CPU fp16 kernels)");
        }
        DataType dtype = switch (o.dtype()) {
            case "float16" -> DataType.FLOAT16;
            case "bfloat16" -> DataType.BFLOAT16; // float32 arrays, bfloat16 compute (WeightScope)
            default -> DataType.FLOAT32;
        };
        r.put("model", o.modelLabel()).put("height", o.height()).put("width", o.width()).put("steps", o.steps())
                .put("batch", o.batch()).put("dtype", o.dtype()).put("device", device.toString())
                .put("allocator", ProcessStats.allocator()).put("huge_pages", JvmSettings.hugePagesInUse())
                .put("threads", JniUtils.getNumThreads())
                .put("cpus", Runtime.getRuntime().availableProcessors())
                .put("load_average_start", ProcessStats.loadAverage());

        if (o.flowPreset()) {
            runFlow(o, device, dtype, r, log);
            return r;
        }
        Path dir = modelDir(o, log);
        BenchPipeline sd;
        if (dir == null && o.inMemory()) {
            long t0 = System.nanoTime();
            sd = BenchPipeline.of(Sd15Preset.inMemory(o.seed(), device, dtype));
            r.put("build_in_memory_ms", (System.nanoTime() - t0) / 1e6);
            long bytes = 0;
            for (var weights : List.of(sd.unet().stateDict(), sd.vae().stateDict(), sd.textEncoder().stateDict())) {
                for (var t : weights.values()) {
                    bytes += t.getShape().size() * t.getDataType().getNumOfBytes();
                }
            }
            r.put("weights_mb", bytes / (1024.0 * 1024.0));
            r.section("Pipeline (built in memory, seeded random weights; no load figures)");
            r.row("build", "%10.0f ms", r.number("build_in_memory_ms"));
        } else {
            sd = load(o, dir, device, r, log);
        }
        try {
            applyAttention(sd, o.attention());
            r.put("attention", o.attention() == null ? "default (" + describeAttention(sd.unet().attentionOptions())
                    + ")" : o.attention());
            runSection(r, o, device);
            if (o.scaling()) {
                ScalingBench.run(sd, dir, o, r, log);   // closes sd after its bare-pipeline runs
                memorySection(r);
                return r;
            }
            if (o.lora()) {
                LoraBench.run(sd, o, r, log);
            } else if (dtype == DataType.BFLOAT16) {
                try (BenchPipeline f32 = float32Twin(o, dir, device, log)) {
                    applyAttention(f32, o.attention());
                    Bf16Bench.run(sd, f32, o, r, log);
                }
            } else if (o.fewStep()) {
                FewStepBench.run(sd, o, r, log);
            } else {
                StageBench.run(sd, o, r, log);
            }
            if (o.compareAttention()) {
                AttentionModes.run(sd, o, r, log);
            }
            memorySection(r);
        } catch (RuntimeException | Error e) {
            sd.close();
            throw e;
        }
        if (o.job() > 0) {
            JobBench.run(sd, dir, o, r, log);   // closes sd after its bare-pipeline run
        } else {
            sd.close();
        }
        return r;
    }

    /** A flow-matching preset (SD3 / FLUX shape): built in memory, then {@link FlowStageBench}. */
    private static void runFlow(BenchOptions o, Device device, DataType dtype, BenchReport r, PrintStream log)
            throws IOException {
        long t0 = System.nanoTime();
        FlowWorkload w = o.preset().equals(Sd3Preset.NAME)
                ? Sd3Workload.build(o.seed(), o.layers(), o.batch(), o.height(), o.width(), device, dtype, log)
                : FluxWorkload.build(o.seed(), o.layers(), o.batch(), o.height(), o.width(), device, dtype, log);
        try (w) {
            r.put("build_in_memory_ms", (System.nanoTime() - t0) / 1e6).put("layers_built", o.layers())
                    .put("weights_mb", w.weightBytes() / (1024.0 * 1024.0));
            log.printf("bench: built in %.0f s (%.0f MiB of weights)%n", r.number("build_in_memory_ms") / 1000,
                    r.number("weights_mb"));
            r.section("Pipeline (built in memory, seeded random weights; no load figures)");
            r.row("build", "%10.0f ms   (%.0f MiB of weights)", r.number("build_in_memory_ms"), r.number("weights_mb"));
            r.put("attention", "default (" + describeAttention(w.attentionOptions()) + ")");
            runSection(r, o, device);
            FlowStageBench.run(w, o, r, log);
            memorySection(r);
        }
    }

    private static void runSection(BenchReport r, BenchOptions o, Device device) {
        r.section("Run").row("model", "%s", o.modelLabel())
                .row("device / dtype", "%s / %s", device, o.dtype())
                .row("libtorch intra-op threads / cpus", "%d / %d", JniUtils.getNumThreads(),
                        Runtime.getRuntime().availableProcessors())
                .row("allocator", "%s", r.get("allocator"))
                .row("tensor huge pages", "%s", r.get("huge_pages"))
                .row("attention", "%s", r.get("attention"))
                .row("load average at start", "%.2f", ProcessStats.loadAverage());
    }

    private static void memorySection(BenchReport r) {
        r.put("peak_rss_mb", ProcessStats.peakRssMb());
        r.put("load_average_end", ProcessStats.loadAverage());
        r.section("Memory").row("peak resident (load + inference)", "%10.0f MiB   (weights %.0f MiB: %.2fx)",
                r.number("peak_rss_mb"), r.number("weights_mb"), r.number("peak_rss_mb") / r.number("weights_mb"));
        r.row("load average at end", "%.2f", r.number("load_average_end"));
    }

    /** The float32 pipeline that {@code --dtype bfloat16} is compared with: same checkpoint (or preset), same seed. */
    private static BenchPipeline float32Twin(BenchOptions o, Path dir, Device device, PrintStream log)
            throws IOException {
        long t0 = System.nanoTime();
        BenchPipeline twin = dir == null ? BenchPipeline.of(Sd15Preset.inMemory(o.seed(), device, DataType.FLOAT32))
                : BenchPipeline.of(DiffusionPipeline.fromPretrained(dir.toString(), new PipelineOptions()
                .dtype("float32").device(device)));
        log.printf("bench: float32 twin loaded in %.0f ms%n", (System.nanoTime() - t0) / 1e6);
        return twin;
    }

    /** The checkpoint folder to load, writing the sd15 preset to the cache when it is missing; null = in memory. */
    private static Path modelDir(BenchOptions o, PrintStream log) throws IOException, InterruptedException {
        if (o.model() != null) {
            return Path.of(o.model());
        }
        if (o.preset().equals("tiny")) {
            return TinyPipeline.defaultModel();
        }
        if (o.inMemory()) {
            return null;
        }
        Path target = Sd15Preset.cacheDir(o.cache(), o.seed());
        if (!Files.isRegularFile(target.resolve("model_index.json"))) {
            log.println("bench: writing the sd15 preset (~4.3 GB, once) to " + target + " ...");
            long t0 = System.nanoTime();
            Sd15Preset.writeInChildProcess(o.cache(), o.seed(), log);
            log.printf("bench: preset written in %.0f s%n", (System.nanoTime() - t0) / 1e9);
        }
        return target;
    }

    /** Times reading the weight bytes, then the pipeline load, with the peak resident memory of the load. */
    private static BenchPipeline load(BenchOptions o, Path dir, Device device, BenchReport r,
                                                PrintStream log) throws IOException {
        String model = dir.toString();
        List<Path> files = Files.isDirectory(dir) ? weightFiles(dir) : List.of();
        long bytes = 0;
        for (Path p : files) {
            bytes += Files.size(p);
        }
        double readMs = Double.NaN;
        if (!files.isEmpty()) {
            readMs = Math.min(readAll(files), readAll(files));
        }
        boolean reset = ProcessStats.resetPeak();
        double rssBefore = ProcessStats.rssMb();
        long t0 = System.nanoTime();
        DiffusionPipeline p = DiffusionPipeline.fromPretrained(model, new PipelineOptions().dtype(o.dtype())
                .device(device));
        double loadMs = (System.nanoTime() - t0) / 1e6;
        double loadPeak = ProcessStats.peakRssMb();
        double rssAfter = ProcessStats.rssMb();
        BenchPipeline sd = BenchPipeline.of(p);
        double weightsMb = bytes / (1024.0 * 1024.0);
        r.put("weights_mb", weightsMb).put("weights_read_ms", readMs).put("load_ms", loadMs)
                .put("load_fraction_of_read", loadMs / readMs).put("rss_before_load_mb", rssBefore)
                .put("load_peak_rss_mb", reset ? loadPeak : Double.NaN).put("rss_after_load_mb", rssAfter)
                .put("load_peak_rss_over_weights", reset ? loadPeak / weightsMb : Double.NaN);
        log.printf("bench: weights %.0f MiB read in %.0f ms; pipeline loaded in %.0f ms%n", weightsMb, readMs,
                loadMs);
        r.section("Load (" + model + ")");
        r.row("weights (" + files.size() + " safetensors files)", "%10.0f MiB", weightsMb);
        r.row("read the weight bytes (best of 2)", "%10.0f ms   (%.2f GB/s)", readMs, bytes / readMs / 1e6);
        r.row("fromPretrained", "%10.0f ms   = %.2fx the read time", loadMs, loadMs / readMs);
        if (reset) {
            r.row("peak resident while loading", "%10.0f MiB   = %.2fx the weights (%.0f MiB before, %.0f after)",
                    loadPeak, loadPeak / weightsMb, rssBefore, rssAfter);
        } else {
            r.row("peak resident while loading", "n/a (this kernel does not allow resetting the peak)");
        }
        return sd;
    }

    /** The safetensors files the pipeline loads: each model component's chosen weights file (or shards). */
    static List<Path> weightFiles(Path dir) {
        List<Path> out = new ArrayList<>();
        Map<String, String> bases = Map.of("unet", CheckpointFiles.DIFFUSERS_WEIGHTS_NAME,
                "vae", CheckpointFiles.DIFFUSERS_WEIGHTS_NAME, "text_encoder", CheckpointFiles.TRANSFORMERS_WEIGHTS_NAME,
                "text_encoder_2", CheckpointFiles.TRANSFORMERS_WEIGHTS_NAME);
        for (String component : List.of("unet", "vae", "text_encoder", "text_encoder_2")) {
            Path c = dir.resolve(component);
            if (!Files.isDirectory(c)) {
                continue;
            }
            CheckpointFiles.Choice choice = CheckpointFiles.choose(CheckpointFiles.listFileNames(c),
                    bases.get(component), null, null, c.toString());
            Path file = c.resolve(choice.fileName());
            if (choice.sharded()) {
                try (ShardedTensorSource s = ShardedTensorSource.open(file)) {
                    out.addAll(s.shardFiles());
                }
            } else {
                out.add(file);
            }
        }
        return out;
    }

    /** Reads every byte of {@code files} into one reused 16 MiB direct buffer; the wall time in ms. */
    static double readAll(List<Path> files) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(16 << 20);
        long t0 = System.nanoTime();
        for (Path p : files) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                while (true) {
                    buf.clear();
                    if (ch.read(buf) < 0) {
                        break;
                    }
                }
            }
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    static void applyAttention(BenchPipeline sd, String mode) {
        if (mode == null) {
            return;
        }
        switch (mode) {
            case "dense" -> {
                sd.pipeline().disableAttentionSlicing();
                sd.pipeline().disableMemoryEfficientAttention();
            }
            case "chunked" -> {
                sd.pipeline().disableAttentionSlicing();
                sd.pipeline().enableMemoryEfficientAttention();
                fused(sd, false);
            }
            case "fused" -> {
                sd.pipeline().disableAttentionSlicing();
                sd.pipeline().enableMemoryEfficientAttention();
                fused(sd, true);
            }
            case "sliced" -> {
                sd.pipeline().disableMemoryEfficientAttention();
                sd.pipeline().enableAttentionSlicing("auto");
            }
            default -> throw new IllegalArgumentException("unknown attention mode " + mode);
        }
    }

    private static void fused(BenchPipeline sd, boolean on) {
        sd.unet().attentionOptions().fused(on);
        sd.vae().attentionOptions().fused(on);
        sd.textEncoder().attentionOptions().fused(on);
    }

    static String describeAttention(AttentionOptions a) {
        if (a.sliceMode() != AttentionOptions.SliceMode.NONE) {
            return "sliced";
        }
        if (!a.memoryEfficient()) {
            return "dense";
        }
        return a.fused() && TorchOps.available() ? "fused" : "chunked";
    }

    /** A JSON config as a typed config (for the in-memory preset). */
    static <T extends ConfigBase> T config(JsonObject json, Class<T> type) {
        return ConfigBase.fromJson(json, type, "sd15 preset");
    }
}
