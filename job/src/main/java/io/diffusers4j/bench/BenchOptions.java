// The options of `diffusers4j bench`.
package io.diffusers4j.bench;

import io.diffusers4j.cli.CliArgs;
import io.diffusers4j.cli.UsageException;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * What to benchmark and how.
 *
 * @param model      a diffusers folder or Hub id, or null for a preset
 * @param preset     "sd15" (SD-1.5 architecture, seeded random weights) or "tiny" (the embedded default), or null
 * @param inMemory   build the preset in memory instead of loading it from its cached checkpoint (no load figures)
 * @param runs       timed repetitions per figure (the best is reported)
 * @param attention  null (the model's default), or dense | chunked | fused | sliced for every timed call
 * @param compareAttention time one UNet call in each attention mode, with its peak memory
 * @param job        render this many prompts through the Spark job and the bare pipeline (0 = skip)
 * @param master     the job's Spark master (default local[*])
 * @param threads    libtorch intra-op threads for this process (null = libtorch's default)
 * @param jobOptions extra {@code job} options (e.g. --spark-conf) for the --job run
 */
record BenchOptions(String model, String preset, boolean inMemory, int height, int width, int steps, int batch,
                    String dtype, String device, boolean json, int runs, String attention, boolean compareAttention,
                    int job, String master, Integer threads, Path cache, long seed, List<String> jobOptions) {

    static final Set<String> OPTIONS = Set.of("model", "preset", "height", "width", "steps", "batch", "dtype",
            "device", "runs", "attention", "job", "master", "threads", "cache", "seed", "job-option");
    static final Set<String> FLAGS = Set.of("json", "in-memory", "compare-attention");

    static final String HELP = """
            usage: diffusers4j bench [--model DIR | --preset sd15|tiny] [--height H] [--width W] [--steps N]
                                     [--batch N] [--dtype float32|float16] [--device cpu|gpu] [--json] [--job N]

              --preset sd15        SD-1.5 architecture (UNet 320/640/1280/1280, CLIP-L, 4-block VAE) with seeded
                                   random weights, written once to the cache as a diffusers checkpoint (~4.3 GB)
                                   and loaded from there (the default)
              --preset tiny        the embedded default tiny pipeline
              --model DIR|ORG/NAME a real diffusers checkpoint instead
              --in-memory          build the preset in memory (no checkpoint; no load figures)
              --height H --width W image size (default 256 x 256)
              --steps N            denoising steps of the end-to-end run (default 10)
              --batch N            prompts per pipeline call (default 1; the UNet batch is 2N with CFG)
              --dtype float32|float16   (default float32; float16 is for --device gpu)
              --device cpu|gpu     (default cpu)
              --runs N             timed repetitions per figure, best reported (default 3)
              --threads N          libtorch intra-op threads (default: libtorch's, = cores)
              --attention dense|chunked|fused|sliced   attention for every call (default: fused when libtorch's
                                   fused kernel is available, else chunked)
              --compare-attention  also time one UNet call per attention mode, with its peak memory
              --job N              also render N prompts with the Spark job (local mode) and with the bare
                                   pipeline: job throughput as a fraction of bare throughput
              --master URL         Spark master of the --job run (default local[*])
              --job-option ARG     an extra argument for the --job run (repeatable), e.g.
                                   --job-option=--spark-conf --job-option=spark.task.cpus=2
              --cache DIR          where the preset checkpoint lives (default $DIFFUSERS4J_CACHE or
                                   ~/.cache/diffusers4j)
              --json               print one JSON object as the last line of stdout
            Prints per-stage times, the UNet step's split by op class, the machine reference (libtorch matmul and
            3x3 convolutions measured in the same process) and the UNet's fraction of it, load time next to the time
            to read the weight bytes, and peak resident memory next to the weights' size.
            """;

    static BenchOptions parse(String[] argv) {
        CliArgs a = CliArgs.parse("bench", argv, OPTIONS, FLAGS);
        String model = a.get("model");
        String preset = a.get("preset");
        if (model != null && preset != null) {
            throw new UsageException("give --model or --preset, not both");
        }
        if (model == null && preset == null) {
            preset = "sd15";
        }
        if (preset != null && !preset.equals("sd15") && !preset.equals("tiny")) {
            throw new UsageException("--preset must be sd15 or tiny, got '" + preset + "'");
        }
        boolean inMemory = a.flag("in-memory");
        if (inMemory && !"sd15".equals(preset)) {
            throw new UsageException("--in-memory applies to --preset sd15 only");
        }
        int height = positive(a, "height", 256);
        int width = positive(a, "width", 256);
        int steps = positive(a, "steps", 10);
        int batch = positive(a, "batch", 1);
        int runs = positive(a, "runs", 3);
        String dtype = a.get("dtype", "float32");
        if (!dtype.equals("float32") && !dtype.equals("float16")) {
            throw new UsageException("--dtype must be float32 or float16, got '" + dtype + "'"
                    + (dtype.equals("bfloat16") ? " (DJL 0.36 aborts the JVM on bfloat16)" : ""));
        }
        String device = a.get("device", "cpu");
        if (!device.equals("cpu") && !device.equals("gpu")) {
            throw new UsageException("--device must be cpu or gpu, got '" + device + "'");
        }
        String attention = a.get("attention");
        if (attention != null && !List.of("dense", "chunked", "fused", "sliced").contains(attention)) {
            throw new UsageException("--attention must be dense, chunked, fused or sliced, got '" + attention + "'");
        }
        int job = a.intValue("job", 0);
        if (job < 0) {
            throw new UsageException("--job must be >= 0, got " + job);
        }
        if (job > 0 && inMemory) {
            throw new UsageException("--job needs a checkpoint folder; drop --in-memory");
        }
        Integer threads = a.intValue("threads");
        if (threads != null && threads < 1) {
            throw new UsageException("--threads must be >= 1, got " + threads);
        }
        Path cache = a.get("cache") == null ? Sd15Preset.defaultCacheRoot() : Path.of(a.get("cache"));
        long seed = a.longValues("seed").isEmpty() ? 0 : a.longValues("seed").get(0);
        return new BenchOptions(model, preset, inMemory, height, width, steps, batch, dtype, device, a.flag("json"),
                runs, attention, a.flag("compare-attention"), job, a.get("master", "local[*]"), threads, cache, seed,
                a.all("job-option"));
    }

    private static int positive(CliArgs a, String name, int dflt) {
        int v = a.intValue(name, dflt);
        if (v < 1) {
            throw new UsageException("--" + name + " must be >= 1, got " + v);
        }
        return v;
    }

    /** A label for the model: the preset name or the --model value. */
    String modelLabel() {
        return model != null ? model : "preset:" + preset + (inMemory ? " (in memory)" : "");
    }
}
