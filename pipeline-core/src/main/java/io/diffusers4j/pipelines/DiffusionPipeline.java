// diffusers.pipelines.pipeline_utils.DiffusionPipeline: from_pretrained, components, save_pretrained.
package io.diffusers4j.pipelines;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import io.diffusers4j.weights.CheckpointFiles;
import io.diffusers4j.weights.TensorSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Base of every pipeline: loading by {@code model_index.json}, components, saving, closing native memory. */
public abstract class DiffusionPipeline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DiffusionPipeline.class);

    /** Builds a pipeline from its components, its model_index.json config keys and whether it owns the components. */
    private interface Factory {
        AbstractStableDiffusionPipeline create(Map<String, Object> components, Map<String, JsonElement> config,
                                               boolean ownsComponents);
    }

    /** Pipeline classes by diffusers name. */
    private static final Map<String, Factory> PIPELINES = Map.of(
            "StableDiffusionPipeline", (c, cfg, own) -> new StableDiffusionPipeline(StableDiffusionComponents.from(c),
                    own),
            "StableDiffusionImg2ImgPipeline", (c, cfg, own) -> new StableDiffusionImg2ImgPipeline(
                    StableDiffusionComponents.from(c), own),
            "StableDiffusionInpaintPipeline", (c, cfg, own) -> new StableDiffusionInpaintPipeline(
                    StableDiffusionComponents.from(c), own),
            "StableDiffusionXLPipeline", (c, cfg, own) -> new StableDiffusionXLPipeline(
                    StableDiffusionXLComponents.from(c), AbstractStableDiffusionXLPipeline.forceZerosForEmptyPrompt(cfg),
                    own),
            "StableDiffusionXLImg2ImgPipeline", (c, cfg, own) -> new StableDiffusionXLImg2ImgPipeline(
                    StableDiffusionXLComponents.from(c), AbstractStableDiffusionXLPipeline.forceZerosForEmptyPrompt(cfg),
                    AbstractStableDiffusionXLPipeline.requiresAestheticsScore(cfg), own),
            "StableDiffusionXLInpaintPipeline", (c, cfg, own) -> new StableDiffusionXLInpaintPipeline(
                    StableDiffusionXLComponents.from(c), AbstractStableDiffusionXLPipeline.forceZerosForEmptyPrompt(cfg),
                    AbstractStableDiffusionXLPipeline.requiresAestheticsScore(cfg), own),
            "LatentConsistencyModelPipeline", (c, cfg, own) -> new LatentConsistencyModelPipeline(
                    StableDiffusionComponents.from(c), own));

    private volatile ProgressListener progressBar = ProgressListener.NONE;

    /** The default progress listener of calls that set none (none by default in the library; the CLI sets one). */
    public ProgressListener progressBar() {
        return progressBar;
    }

    /** diffusers' set_progress_bar_config: {@link ProgressListener#NONE} disables it. */
    public void setProgressBar(ProgressListener listener) {
        this.progressBar = listener == null ? ProgressListener.NONE : listener;
    }

    /** The pipeline classes {@link #fromPretrained} can build from {@code _class_name}. */
    public static List<String> supportedPipelines() {
        return PIPELINES.keySet().stream().sorted().toList();
    }

    /**
     * The model and tokenizer classes ({@code model_index.json} {@code [library, class]} entries) that
     * {@link #fromPretrained} loads; schedulers are any of {@code Schedulers.available()}.
     */
    public static List<String> supportedComponents() {
        return ComponentLoader.COMPONENT_CLASSES;
    }

    /**
     * Component classes that are recognised but not loaded: the component becomes null, as with diffusers'
     * {@code safety_checker=None} (no safety checker, no image feature extractor).
     */
    public static List<String> skippedComponents() {
        return ComponentLoader.SKIPPED.stream().sorted().toList();
    }

    /**
     * Loads the pipeline class named by {@code model_index.json} ({@code _class_name}, or the custom pipeline
     * class of the options) from a local folder or a Hub id, loading every component it lists.
     */
    public static DiffusionPipeline fromPretrained(String pathOrRepoId, PipelineOptions options) {
        PipelineOptions o = options == null ? new PipelineOptions() : options;
        Path dir = ModelSources.resolve(pathOrRepoId, o);
        checkPretrained(dir, o); // every config and class first: a broken folder fails before any weight loads
        ModelIndex index = ModelIndex.load(dir.resolve("model_index.json"));
        String className = index.className();
        Device device = o.device() == null ? Device.cpu() : o.device();
        DataType dtype = resolveDtype(o.dtype(), dir, o);
        if (dtype == DataType.FLOAT16 && device.equals(Device.cpu())) {
            LOG.warn("float16 on CPU is about 100x slower than float32 in this libtorch build; use float32 on CPU");
        }
        ComponentLoader.LoadContext ctx = new ComponentLoader.LoadContext(device, dtype, o.variant(),
                o.useSafetensors());
        Map<String, Object> components = new LinkedHashMap<>();
        try {
            for (ModelIndex.Component c : index.components().values()) {
                if (o.components().containsKey(c.name())) {
                    Object given = o.components().get(c.name());
                    components.put(c.name(), given == PipelineOptions.NONE ? null : given);
                } else if (c.className() != null) {
                    components.put(c.name(), ComponentLoader.load(c.name(), c.library(), c.className(),
                            dir.resolve(c.name()), ctx));
                }
            }
            for (Map.Entry<String, Object> e : o.components().entrySet()) {
                components.putIfAbsent(e.getKey(), e.getValue() == PipelineOptions.NONE ? null : e.getValue());
            }
            if (o.customPipeline() != null) {
                return custom(o.customPipeline(), components);
            }
            return PIPELINES.get(className).create(components, index.plainKeys(), true);
        } catch (RuntimeException | Error e) {
            Map<String, Object> loaded = new LinkedHashMap<>(components);
            o.components().keySet().forEach(loaded::remove);
            ComponentLoader.closeAll(loaded);
            throw e;
        }
    }

    /** A pipeline of a supported class over {@code components} (closed with it when it owns them). */
    static AbstractStableDiffusionPipeline create(String className, Map<String, Object> components,
                                                  Map<String, JsonElement> config, boolean ownsComponents) {
        Factory f = PIPELINES.get(className);
        if (f == null) {
            throw new IllegalArgumentException("pipeline class '" + className + "' is not supported (supported: "
                    + String.join(", ", supportedPipelines()) + ")");
        }
        return f.create(components, config, ownsComponents);
    }

    /**
     * Checks a local pipeline folder without loading any weights: {@code model_index.json}, the pipeline class,
     * and for every present component its class, folder and config (typed and validated, as loading would).
     * Cheap (JSON only), for failing fast before a long job starts; throws the same
     * {@link IllegalArgumentException} (naming the file and the key) that {@link #fromPretrained} would.
     */
    public static void checkPretrained(Path dir, PipelineOptions options) {
        PipelineOptions o = options == null ? new PipelineOptions() : options;
        ModelIndex index = ModelIndex.load(dir.resolve("model_index.json"));
        checkPipelineClass(index, o);
        if (o.customPipeline() != null) {
            customPipelineClass(o.customPipeline());
        }
        for (ModelIndex.Component c : index.components().values()) {
            if (c.className() != null && !o.components().containsKey(c.name())) {
                ComponentLoader.check(c.name(), c.library(), c.className(), dir.resolve(c.name()));
            }
        }
    }

    /**
     * The pipeline class to build. {@code _class_name} may name a class of this library, or a custom pipeline
     * given as a class on the classpath; {@code [module, class]} (diffusers' custom pipeline code shipped in the
     * model repo) is refused: code from a model repo or the Hub is never run.
     */
    private static String checkPipelineClass(ModelIndex index, PipelineOptions o) {
        String className = index.className();
        if (o.customPipeline() != null) {
            return className;
        }
        if (index.customPipeline() != null) {
            throw new IllegalArgumentException(index.source() + ": key '_class_name' names custom pipeline code ['"
                    + index.customPipeline() + "', '" + className + "'] from the model repo; Diffusers4J never runs "
                    + "code from a model repo or the Hub: give a DiffusionPipeline class on the classpath with "
                    + "customPipeline(\"fully.qualified.ClassName\") (supported built-in classes: "
                    + String.join(", ", supportedPipelines()) + ")");
        }
        if (!PIPELINES.containsKey(className)) {
            throw new IllegalArgumentException(index.source() + ": key '_class_name': pipeline class '" + className
                    + "' is not supported (supported: " + String.join(", ", supportedPipelines()) + ")");
        }
        return className;
    }

    /** "auto" reads the UNet weights' dtype (bfloat16 becomes float32); bfloat16 is refused. */
    static DataType resolveDtype(String dtype, Path dir, PipelineOptions o) {
        String d = dtype == null ? "float32" : dtype;
        switch (d) {
            case "float32", "fp32":
                return DataType.FLOAT32;
            case "float16", "fp16", "half":
                return DataType.FLOAT16;
            case "bfloat16", "bf16":
                throw new IllegalArgumentException("dtype bfloat16 is not supported: DJL 0.36's PyTorch engine aborts "
                        + "the JVM on bfloat16 tensors; use float32 (CPU) or float16 (GPU)");
            case "auto":
                Path unet = dir.resolve("unet");
                if (!Files.isDirectory(unet)) {
                    return DataType.FLOAT32;
                }
                try (TensorSource w = CheckpointFiles.open(unet, CheckpointFiles.DIFFUSERS_WEIGHTS_NAME,
                        CheckpointFiles.variantFor(unet, o.variant()), o.useSafetensors())) {
                    String first = w.keys().iterator().next();
                    return w.info(first).dtype().equals("F16") ? DataType.FLOAT16 : DataType.FLOAT32;
                }
            default:
                throw new IllegalArgumentException("dtype must be float32, float16 or auto, got '" + dtype + "'");
        }
    }

    private static DiffusionPipeline custom(String className, Map<String, Object> components) {
        Class<? extends DiffusionPipeline> cls = customPipelineClass(className);
        try {
            Constructor<? extends DiffusionPipeline> ctor = cls.getConstructor(Map.class);
            return ctor.newInstance(components);
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("custom pipeline " + className
                    + " needs a public constructor taking the components map (Map<String, Object>)");
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create custom pipeline " + className, e);
        }
    }

    /**
     * A custom pipeline is a class already on the classpath, looked up by name WITHOUT initialising it (no static
     * initialiser runs) until it is known to be a DiffusionPipeline. Nothing is ever fetched: a Hub id, URL or
     * .py path is simply not a class name.
     */
    static Class<? extends DiffusionPipeline> customPipelineClass(String className) {
        Class<?> cls;
        try {
            cls = Class.forName(className, false, Thread.currentThread().getContextClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException("custom pipeline class '" + className + "' is not on the classpath "
                    + "(custom pipelines are DiffusionPipeline classes on the classpath, never code fetched from a "
                    + "model repo or the network)");
        }
        if (!DiffusionPipeline.class.isAssignableFrom(cls)) {
            throw new IllegalArgumentException("custom pipeline " + className + " does not extend DiffusionPipeline");
        }
        return cls.asSubclass(DiffusionPipeline.class);
    }

    /** The components by name (sharing them builds another pipeline without reloading weights). */
    public abstract Map<String, Object> components();

    /** Writes model_index.json, every component config and safetensors weights (optionally a variant). */
    public abstract void savePretrained(Path dir, String variant) throws java.io.IOException;

    @Override
    public abstract void close();
}
