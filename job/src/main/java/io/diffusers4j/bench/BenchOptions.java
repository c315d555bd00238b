// The options of `diffusers4j bench`.
package io.diffusers4j.bench;


import java.nio.file.Path;
import java.util.List;

/**
 * What to benchmark and how (parsed and checked by {@link BenchCommand}).
 *
 * @param model      a diffusers folder or Hub id, or null for a preset
 * @param preset     "sd15" (SD-1.5 architecture, seeded random weights), "tiny" (the embedded default), one of the
 *                   flow-matching shapes "sd3-medium-shape" / "flux-schnell-shape" (always built in memory), or null
 * @param inMemory   build the preset in memory instead of loading it from its cached checkpoint (no load figures)
 * @param runs       timed repetitions per figure (the best is reported)
 * @param attention  null (the model's default), or dense | chunked | fused | sliced for every timed call
 * @param compareAttention time one UNet call in each attention mode, with its peak memory
 * @param job        render this many prompts through the Spark job and the bare pipeline (0 = skip)
 * @param master     the job's Spark master (default local[*])
 * @param threads    libtorch intra-op threads for this process (null = libtorch's default)
 * @param jobOptions extra {@code job} options (e.g. --spark-conf) for the --job run
 * @param loras      LoRA files to measure instead of the stages ({@link LoraBench})
 * @param randomLoraRank the rank of a seeded random LoRA to measure as well (0 = none)
 * @param fewStep    run only the few-step comparison ({@link FewStepBench}) after the load
 * @param scalingBatches batch sizes of the scaling study ({@link ScalingBench}); empty when it does not run
 * @param scalingSlots   task-slot counts of the scaling study; empty when it does not run
 * @param layers     transformer blocks a flow-matching preset builds (SD3: joint blocks of 24; FLUX: double-stream and
 *                   as many single-stream blocks of 19 + 38); 0 for the other presets
 */
record BenchOptions(String model, String preset, boolean inMemory, int height, int width, int steps, int batch,
                    String dtype, String device, boolean json, int runs, String attention, boolean compareAttention,
                    int job, String master, Integer threads, Path cache, long seed, List<String> jobOptions,
                    List<LoraBench.Spec> loras, int randomLoraRank, boolean fewStep, int layers,
                    List<Integer> scalingBatches, List<Integer> scalingSlots) {
    /** The flow-matching presets (always built in memory; timed by {@link FlowStageBench}). */
    static final List<String> FLOW_PRESETS = List.of(Sd3Preset.NAME, FluxPreset.NAME);

    /** Whether this run times a flow-matching preset. */
    boolean flowPreset() {
        return preset != null && FLOW_PRESETS.contains(preset);   // --model runs have no preset
    }

    /** Whether this run is the job's scaling study ({@link ScalingBench}). */
    boolean scaling() {
        return !scalingBatches.isEmpty();
    }

    /** Whether this run measures LoRA adapters (instead of the stages). */
    boolean lora() {
        return !loras.isEmpty() || randomLoraRank > 0;
    }

    /** A label for the model: the preset name or the --model value. */
    String modelLabel() {
        return model != null ? model : "preset:" + preset + (inMemory ? " (in memory)" : "");
    }
}
