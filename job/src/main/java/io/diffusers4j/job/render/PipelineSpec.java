// What pipeline the executors build: broadcast from the driver, the key of the executor-wide pipeline cache.
package io.diffusers4j.job.render;

import io.diffusers4j.pipelines.PipelineOptions;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The pipeline every executor builds, as data: {@code DiffusionPipeline.fromPretrained(model, options)} plus an
 * optional scheduler swap. Broadcast once per job; equal specs share one pipeline per executor JVM and device
 * ({@link ExecutorPipelineCache}).
 *
 * <p>Never carries credentials: the Hub token comes from {@code HF_TOKEN} in each JVM's environment
 * ({@code spark.executorEnv.HF_TOKEN}, which Spark redacts), so it cannot reach a log line, the broadcast, the
 * output or Parquet metadata through the spec.
 *
 * @param model        local folder or Hub id ({@code org/name}); null = the embedded default
 * @param revision     Hub revision (branch, tag or commit), or null
 * @param variant      weight variant ("fp16"), or null
 * @param dtype        "float32", "float16" (for CUDA) or "bfloat16" (float32 weights with bfloat16 convolutions and
 *                     linear layers on CPUs with AVX512-BF16 / AMX; needs device "cpu", checked on the driver for
 *                     a local master and by each executor's pipeline build)
 * @param device       "auto" (the GPU Spark assigned to the task, else CPU), "cpu", or "gpu:N" (that GPU
 *                     for every task: local mode on a GPU machine, where Spark assigns no task resources)
 * @param scheduler    diffusers scheduler class to swap in at build time, or null for the checkpoint's own
 * @param options      further loading options: {@code local-files-only}, {@code use-safetensors},
 *                     {@code custom-pipeline}, {@code lora-cache-size} (LoRA files kept loaded per pipeline),
 *                     {@code vae} (a VAE folder or Hub id replacing the model's), {@code text-embedding-cache} and
 *                     {@code without-component} (model_index.json components left out, comma-separated: diffusers'
 *                     {@code from_pretrained(..., text_encoder_3=None)})
 * @param renderer     class name of the {@link RendererFactory} (the seam tests use to inject faults)
 * @param torchThreads libtorch intra-op threads per executor JVM (0: leave libtorch's default)
 */
public record PipelineSpec(String model, String revision, String variant, String dtype, String device,
                           String scheduler, Map<String, String> options, String renderer, int torchThreads)
        implements Serializable {
    /** The {@code model} column value of images rendered by the embedded default. */
    public static final String EMBEDDED_MODEL = "embedded:tiny-random";
    /** The production renderer (StableDiffusionPipeline). */
    public static final String DEFAULT_RENDERER = PipelineRenderer.Factory.class.getName();
    /** The option naming the components left out ({@link #withoutComponents()}). */
    public static final String WITHOUT_COMPONENT = "without-component";
    public static final Set<String> OPTION_KEYS = Set.of("local-files-only", "use-safetensors", "custom-pipeline",
            "lora-cache-size", "vae", "text-embedding-cache", WITHOUT_COMPONENT);
    /** The largest {@code lora-cache-size}. */
    public static final int MAX_LORA_CACHE_SIZE = 256;
    /** A component name: a model_index.json key, which diffusers' from_pretrained takes as a keyword argument. */
    private static final Pattern COMPONENT_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    public PipelineSpec {
        options = Map.copyOf(new TreeMap<>(options == null ? Map.of() : options));
        dtype = dtype == null ? "float32" : dtype.toLowerCase(Locale.ROOT);
        device = device == null ? "auto" : device.toLowerCase(Locale.ROOT);
        if (dtype.equals("bf16")) {
            dtype = "bfloat16";
        }
        if (!dtype.equals("float32") && !dtype.equals("float16") && !dtype.equals("bfloat16")) {
            throw new IllegalArgumentException("dtype must be float32, float16 or bfloat16, got '" + dtype + "'");
        }
        if (!device.equals("auto") && !device.equals("cpu") && !device.matches("gpu:\\d+")) {
            throw new IllegalArgumentException("device must be auto, cpu or gpu:N, got '" + device + "'");
        }
        if (dtype.equals("bfloat16") && !device.equals("cpu")) {
            throw new IllegalArgumentException("dtype bfloat16 needs device cpu (diffusers4j.pipeline.device), got '"
                    + device + "': it is "
                    + "float32 weights with bfloat16 compute on CPUs with AVX512-BF16 or AMX; GPU executors use "
                    + "float16");
        }
        for (String key : options.keySet()) {
            if (key.toLowerCase(Locale.ROOT).contains("token")) {
                throw new IllegalArgumentException("pipeline option '" + key + "' refused: pass the Hub token "
                        + "through the HF_TOKEN environment variable (spark.executorEnv.HF_TOKEN on a cluster)");
            }
            if (!OPTION_KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown pipeline option '" + key + "' (known: "
                        + OPTION_KEYS.stream().sorted().toList() + ")");
            }
        }
        if (options.containsKey("lora-cache-size")) {
            String v = options.get("lora-cache-size");
            int n;
            try {
                n = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("lora-cache-size must be an integer, got '" + v + "'");
            }
            if (n < 1 || n > MAX_LORA_CACHE_SIZE) {
                throw new IllegalArgumentException("lora-cache-size must be in [1, " + MAX_LORA_CACHE_SIZE + "], got "
                        + n);
            }
        }
        split(options.get(WITHOUT_COMPONENT)).forEach(PipelineSpec::requireComponentName);
        if (renderer == null || renderer.isBlank()) {
            renderer = DEFAULT_RENDERER;
        }
        if (torchThreads < 0) {
            throw new IllegalArgumentException("torch threads must be >= 0, got " + torchThreads);
        }
    }

    /** The embedded default with everything else at its default. */
    public static PipelineSpec embeddedDefault() {
        return new PipelineSpec(null, null, null, "float32", "auto", null, Map.of(), null, 0);
    }

    public PipelineSpec withModel(String value) {
        return new PipelineSpec(value, revision, variant, dtype, device, scheduler, options, renderer, torchThreads);
    }

    public PipelineSpec withRenderer(String value) {
        return new PipelineSpec(model, revision, variant, dtype, device, scheduler, options, value, torchThreads);
    }

    /** This spec at Hub revision {@code value} (a commit the driver resolved: every executor loads the same files). */
    public PipelineSpec withRevision(String value) {
        return new PipelineSpec(model, value, variant, dtype, device, scheduler, options, renderer, torchThreads);
    }

    /** This spec with loading option {@code key} set to {@code value} ({@link #OPTION_KEYS}). */
    public PipelineSpec withOption(String key, String value) {
        Map<String, String> changed = new TreeMap<>(options);
        changed.put(key, value);
        return new PipelineSpec(model, revision, variant, dtype, device, scheduler, changed, renderer, torchThreads);
    }

    public PipelineSpec withTorchThreads(int value) {
        return new PipelineSpec(model, revision, variant, dtype, device, scheduler, options, renderer, value);
    }

    /** The value of the output's {@code model} column. */
    public String modelName() {
        return model == null ? EMBEDDED_MODEL : model;
    }

    /** LoRA files each executor keeps loaded in its pipeline (least recently used ones make room). */
    public int loraCacheSize() {
        String v = options.get("lora-cache-size");
        return v == null ? PipelineRenderer.DEFAULT_LORA_CACHE_SIZE : Integer.parseInt(v);
    }

    /** The model_index.json components the pipeline is built without ({@code without-component}), in order. */
    public List<String> withoutComponents() {
        return split(options.get(WITHOUT_COMPONENT));
    }

    /** Refuses a {@code without-component} value that is not a component name (so a list joins unambiguously). */
    public static String requireComponentName(String name) {
        if (name == null || !COMPONENT_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("without-component '" + name + "' is not a component name (a "
                    + "model_index.json key such as text_encoder_3)");
        }
        return name;
    }

    private static List<String> split(String names) {
        return names == null || names.isEmpty() ? List.of() : Arrays.asList(names.split(",", -1));
    }

    /**
     * The loading options the driver's checks and the executors' build share: revision, variant, offline,
     * safetensors, custom pipeline class and the components left out.
     */
    public PipelineOptions loadingOptions() {
        PipelineOptions o = new PipelineOptions().variant(variant).revision(revision)
                .localFilesOnly(option("local-files-only", false));
        if (options.containsKey("use-safetensors")) {
            o.useSafetensors(option("use-safetensors", true));
        }
        if (options.containsKey("custom-pipeline")) {
            o.customPipeline(options.get("custom-pipeline"));
        }
        withoutComponents().forEach(name -> o.component(name, PipelineOptions.NONE));
        return o;
    }

    public boolean option(String key, boolean fallback) {
        String v = options.get(key);
        return v == null ? fallback : Boolean.parseBoolean(v);
    }
}
