// `diffusers4j bench`: the project's performance instrument (see docs/performance.md).
package io.diffusers4j.bench;

import ai.djl.Device;
import io.diffusers4j.cli.UsageException;
import io.diffusers4j.cli.VersionInfo;
import io.diffusers4j.models.nn.Bf16Support;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Measures a pipeline in one run and prints the figures (and with {@code --json} one JSON object as the last line
 * of stdout); progress goes to stderr. Targets are judged from this output, never in unit tests.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class, sortOptions = false,
        usageHelpAutoWidth = true,
        description = {"Measure speed and memory: stages, UNet op split, machine reference, load, Spark job.",
            "Prints per-stage times, the UNet step's split by op class, the machine reference (libtorch matmul and 3x3 "
                + "convolutions measured in the same process) and the UNet's fraction of it, load time next to the "
                + "time to read the weight bytes, and peak resident memory next to the weights' size."})
public final class BenchCommand implements Callable<Integer> {
    /** Every --preset. */
    static final List<String> PRESETS = List.of("sd15", "tiny", Sd3Preset.NAME, FluxPreset.NAME);
    /** Image sides of the flow-matching presets: multiples of the VAE factor times the 2x2 patches. */
    static final int FLOW_SIZE_MULTIPLE = 16;
    /** Largest image side of the flow-matching presets (SD3's position table covers 3072). */
    static final int MAX_FLOW_SIZE = 2048;
    /** Most prompts per call of the flow-matching presets. */
    static final int MAX_FLOW_BATCH = 16;
    /** --scaling: prompts when --job is not given; the largest batch size and slot count it accepts. */
    static final int DEFAULT_SCALING_PROMPTS = 16;
    static final int MAX_SCALING_BATCH = 64;
    static final int MAX_SCALING_SLOTS = 64;

    @Option(names = "--preset", paramLabel = "sd15|tiny|sd3-medium-shape|flux-schnell-shape", description = {
        "sd15 (the default): SD-1.5 architecture (UNet 320/640/1280/1280, CLIP-L, 4-block VAE) with seeded random "
            + "weights, written once to the cache as a diffusers checkpoint (~4.3 GB) and loaded from there",
        "tiny: the embedded default pipeline",
        "sd3-medium-shape: Stable Diffusion 3 medium's architecture (24 joint blocks, CLIP-L + CLIP-G, 16-channel "
            + "VAE) WITHOUT T5, seeded random weights built in memory (~12 GB float32)",
        "flux-schnell-shape: FLUX.1-schnell's transformer width with --layers double- and single-stream blocks "
            + "(scaled to 19 + 38), CLIP-L, VAE, WITHOUT T5, built in memory"})
    String preset;

    @Option(names = "--layers", paramLabel = "N", description = "transformer blocks a flow-matching preset builds: "
            + "sd3-medium-shape joint blocks (2-24, default 24), flux-schnell-shape double-stream and as many "
            + "single-stream blocks (1-" + FluxPreset.DOUBLE_BLOCKS + ", default " + FluxPreset.DEFAULT_LAYERS
            + "); figures for the real depth are then scaled by each block kind's measured time")
    Integer layers;

    @Option(names = "--model", paramLabel = "DIR|ORG/NAME", description = "a real diffusers checkpoint instead")
    String model;

    @Option(names = "--in-memory", description = "build the preset in memory (no checkpoint; no load figures); the "
            + "flow-matching presets always are")
    boolean inMemory;

    @Option(names = "--height", paramLabel = "H", description = "image height (default 256)")
    int height = 256;

    @Option(names = "--width", paramLabel = "W", description = "image width (default 256)")
    int width = 256;

    @Option(names = "--steps", paramLabel = "N", description = "denoising steps of the end-to-end run (default 10)")
    int steps = 10;

    @Option(names = "--batch", paramLabel = "N",
            description = "prompts per pipeline call (default 1; the UNet batch is 2N with CFG)")
    int batch = 1;

    @Option(names = "--dtype", paramLabel = "float32|float16|bfloat16",
            description = {"(default float32; float16 is for --device gpu)", "bfloat16: float32 weights with bfloat16 "
                    + "convolutions and linear layers on a CPU with AVX512-BF16 or AMX, compared with a float32 twin "
                    + "in the same run (UNet call, image max abs difference and PSNR)"})
    String dtype = "float32";

    @Option(names = "--device", paramLabel = "cpu|gpu", description = "(default cpu)")
    String device = "cpu";

    @Option(names = "--runs", paramLabel = "N", description = "timed repetitions per figure, best reported (default 3)")
    int runs = 3;

    @Option(names = "--threads", paramLabel = "N", description = "libtorch intra-op threads (default: libtorch's)")
    Integer threads;

    @Option(names = "--attention", paramLabel = "dense|chunked|fused|sliced", description = "attention for every "
            + "call (default: fused when libtorch's fused kernel is available, else chunked)")
    String attention;

    @Option(names = "--compare-attention",
            description = "also time one UNet call per attention mode, with its peak memory")
    boolean compareAttention;

    @Option(names = "--job", paramLabel = "N", description = "also render N prompts with the Spark job (local mode) "
            + "and with the bare pipeline: job throughput as a fraction of bare throughput")
    int job;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master of the --job run (default local[*])")
    String master = "local[*]";

    @Option(names = "--job-option", paramLabel = "ARG", description = "an extra argument for the --job run "
            + "(repeatable), e.g. --job-option=--spark-conf --job-option=spark.task.cpus=2")
    List<String> jobOptions = new ArrayList<>();

    @Option(names = "--scaling", description = "the job's scaling study instead of the stages: the bare pipeline at "
            + "each --batches size, then the Spark job at each (batch size, --slots count) pair on --job prompts "
            + "(default 16), each run building its own pipeline; images/s, fraction of bare, peak RSS per run")
    boolean scaling;

    @Option(names = "--batches", paramLabel = "N,N,...", split = ",",
            description = "batch sizes of --scaling (default 1,2,4,8)")
    List<Integer> scalingBatches = new ArrayList<>(List.of(1, 2, 4, 8));

    @Option(names = "--slots", paramLabel = "N,N,...", split = ",",
            description = "task slots of --scaling: local[N] with N partitions (default 1,2,4)")
    List<Integer> scalingSlots = new ArrayList<>(List.of(1, 2, 4));

    @Option(names = "--lora", paramLabel = "PATH_OR_HUB_ID[:SCALE]", description = "measure LoRA adapters instead "
            + "of the stages: loading each, switching the set on and off, a call with them vs a plain call "
            + "(repeatable)")
    List<String> loras = new ArrayList<>();

    @Option(names = "--random-lora", paramLabel = "RANK", description = "as --lora with a seeded random LoRA of this "
            + "rank on the UNet's attention projections (to_q, to_k, to_v, to_out.0), written to a temporary file")
    Integer randomLoraRank;

    @Option(names = "--cache", paramLabel = "DIR",
            description = "where the preset checkpoint lives (default $DIFFUSERS4J_CACHE or ~/.cache/diffusers4j)")
    Path cache;

    @Option(names = "--seed", paramLabel = "N", description = "weight and noise seed (default 0)")
    long seed;

    @Option(names = "--few-step", description = "after the load, time only the few-step comparison: SD-1.5 shape "
            + "(--steps, CFG) and LCM shape (4 steps, no CFG), AutoencoderKL vs AutoencoderTiny, text embedding cache "
            + "off vs on")
    boolean fewStep;

    @Option(names = "--json", description = "print one JSON object as the last line of stdout")
    boolean json;

    @Override
    public Integer call() throws Exception {
        BenchOptions o = options();
        BenchReport r = Benchmark.run(o, System.err);
        System.out.print("diffusers4j bench" + r.text());
        if (o.json()) {
            System.out.println(r.json());
        }
        System.out.flush();
        return 0;
    }

    /** The checked options. */
    BenchOptions options() {
        if (model != null && preset != null) {
            throw new UsageException("give --model or --preset, not both");
        }
        String chosen = model == null && preset == null ? "sd15" : preset;
        if (chosen != null && !PRESETS.contains(chosen)) {
            throw new UsageException("--preset must be one of " + String.join(", ", PRESETS) + ", got '" + chosen
                    + "'");
        }
        boolean flow = chosen != null && BenchOptions.FLOW_PRESETS.contains(chosen);
        if (inMemory && !"sd15".equals(chosen) && !flow) {
            throw new UsageException("--in-memory applies to the sd15 preset and the flow-matching presets (which are "
                    + "always built in memory), not to " + (chosen == null ? "--model" : "--preset " + chosen));
        }
        int blocks = flow ? flowLayers(chosen) : 0;
        if (layers != null && !flow) {
            throw new UsageException("--layers applies to --preset " + String.join(" / ", BenchOptions.FLOW_PRESETS)
                    + " only");
        }
        if (flow) {
            checkFlow(chosen);
        }
        for (int[] value : new int[][] {{height}, {width}, {steps}, {batch}, {runs}}) {
            if (value[0] < 1) {
                throw new UsageException("--height, --width, --steps, --batch and --runs must be >= 1, got "
                        + value[0]);
            }
        }
        if (!List.of("float32", "float16", "bfloat16").contains(dtype)) {
            throw new UsageException("--dtype must be float32, float16 or bfloat16, got '" + dtype + "'");
        }
        if (!device.equals("cpu") && !device.equals("gpu")) {
            throw new UsageException("--device must be cpu or gpu, got '" + device + "'");
        }
        if (dtype.equals("bfloat16")) {
            if ((job > 0 && !scaling) || !loras.isEmpty() || randomLoraRank != null || fewStep || compareAttention) {
                throw new UsageException("--dtype bfloat16 is a comparison with float32 of its own (or, with "
                        + "--scaling, a scaling study in bfloat16): drop --job, --lora, --random-lora, --few-step and "
                        + "--compare-attention");
            }
            Bf16Support.unsupportedReason(device.equals("gpu") ? Device.gpu() : Device.cpu()).ifPresent(why -> {
                throw new UsageException("--dtype bfloat16 refused: " + why);
            });
        }
        if (attention != null && !List.of("dense", "chunked", "fused", "sliced").contains(attention)) {
            throw new UsageException("--attention must be dense, chunked, fused or sliced, got '" + attention + "'");
        }
        if (job < 0) {
            throw new UsageException("--job must be >= 0, got " + job);
        }
        if (job > 0 && inMemory) {
            throw new UsageException("--job needs a checkpoint folder; drop --in-memory");
        }
        if (randomLoraRank != null && (randomLoraRank < 1 || randomLoraRank > LoraBench.MAX_RANK)) {
            throw new UsageException("--random-lora must be in [1, " + LoraBench.MAX_RANK + "], got "
                    + randomLoraRank);
        }
        List<LoraBench.Spec> loraSpecs = new ArrayList<>();
        for (String value : loras) {
            loraSpecs.add(LoraBench.Spec.parse(value));
        }
        if ((!loras.isEmpty() || randomLoraRank != null) && (job > 0 || compareAttention)) {
            throw new UsageException("--lora / --random-lora is a run of its own: drop --job and --compare-attention");
        }
        if (scaling) {
            checkScaling();
        }
        if (threads != null && threads < 1) {
            throw new UsageException("--threads must be >= 1, got " + threads);
        }
        return new BenchOptions(model, chosen, inMemory || flow, height, width, steps, batch, dtype, device, json, runs,
                attention, compareAttention, job, master, threads, cache == null ? Sd15Preset.defaultCacheRoot()
                : cache, seed, jobOptions, loraSpecs, randomLoraRank == null ? 0 : randomLoraRank,
                fewStep, blocks, scaling ? List.copyOf(scalingBatches) : List.of(),
                scaling ? List.copyOf(scalingSlots) : List.of());
    }

    /** --scaling: its own run, on a checkpoint (the job loads one), with bounded batch sizes and slot counts. */
    private void checkScaling() {
        if (inMemory || fewStep || compareAttention || !loras.isEmpty() || randomLoraRank != null) {
            throw new UsageException("--scaling is a run of its own on a checkpoint: drop --in-memory, --few-step, "
                    + "--compare-attention and --lora / --random-lora");
        }
        if (job == 0) {
            job = DEFAULT_SCALING_PROMPTS;
        }
        for (int b : scalingBatches) {
            if (b < 1 || b > MAX_SCALING_BATCH) {
                throw new UsageException("--batches values must be in [1, " + MAX_SCALING_BATCH + "], got " + b);
            }
        }
        for (int s : scalingSlots) {
            if (s < 1 || s > MAX_SCALING_SLOTS) {
                throw new UsageException("--slots values must be in [1, " + MAX_SCALING_SLOTS + "], got " + s);
            }
        }
        if (scalingBatches.isEmpty() || scalingSlots.isEmpty()) {
            throw new UsageException("--batches and --slots need at least one value");
        }
    }

    /** --layers of a flow-matching preset, checked; its default when not given. */
    private int flowLayers(String chosen) {
        boolean sd3 = chosen.equals(Sd3Preset.NAME);
        int min = sd3 ? 2 : 1;
        int max = sd3 ? Sd3Preset.LAYERS : FluxPreset.DOUBLE_BLOCKS;
        if (layers == null) {
            return sd3 ? Sd3Preset.LAYERS : FluxPreset.DEFAULT_LAYERS;
        }
        if (layers < min || layers > max) {
            throw new UsageException("--layers for --preset " + chosen + " must be in [" + min + ", " + max + "], got "
                    + layers + (sd3 && layers == 1 ? " (the one block would be the last, context_pre_only block: "
                    + "no full joint block to time and scale)" : ""));
        }
        return layers;
    }

    /** What a flow-matching preset run refuses: the SD-1.5-only modes, and sizes it cannot or should not build. */
    private void checkFlow(String chosen) {
        List<String> sd15Only = new ArrayList<>();
        if (job > 0 || scaling) {
            sd15Only.add("--job / --scaling");
        }
        if (!loras.isEmpty() || randomLoraRank != null) {
            sd15Only.add("--lora / --random-lora");
        }
        if (fewStep) {
            sd15Only.add("--few-step");
        }
        if (compareAttention || attention != null) {
            sd15Only.add("--attention / --compare-attention");
        }
        if (!sd15Only.isEmpty()) {
            throw new UsageException(String.join(", ", sd15Only) + " time UNet pipelines (sd15, tiny, --model); "
                    + "--preset " + chosen + " times the stages only");
        }
        for (int side : new int[] {height, width}) {
            if (side % FLOW_SIZE_MULTIPLE != 0 || side > MAX_FLOW_SIZE) {
                throw new UsageException("--height and --width of --preset " + chosen + " must be multiples of "
                        + FLOW_SIZE_MULTIPLE + " (the VAE factor 8 x the 2x2 patches) up to " + MAX_FLOW_SIZE
                        + ", got " + height + "x" + width);
            }
        }
        if (batch > MAX_FLOW_BATCH) {
            throw new UsageException("--batch of --preset " + chosen + " must be at most " + MAX_FLOW_BATCH + ", got "
                    + batch);
        }
    }
}
