// diffusers.pipelines.pipeline_utils.DiffusionPipeline: from_pretrained, components, save_pretrained, and the
// contract every pipeline answers for front ends (defaults, accepted arguments, check_inputs, __call__).
package io.diffusers4j.pipelines;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import io.diffusers4j.config.ModelIndex;
import io.diffusers4j.hub.HubOptions;
import io.diffusers4j.loaders.LoraLoader;
import io.diffusers4j.loaders.TextualInversionLoader;
import io.diffusers4j.models.nn.Bf16Support;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.SchedulerConfig;
import io.diffusers4j.schedulers.Schedulers;
import io.diffusers4j.weights.CheckpointFiles;
import io.diffusers4j.weights.TensorSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Base of every pipeline: loading by {@code model_index.json} ({@link PipelineRegistry}), components, saving,
 * closing native memory, and the contract front ends (the CLI, the Spark job, the benchmark) rely on instead of
 * knowing pipeline classes: {@link #defaults()}, {@link #acceptedArguments()} / {@link #requiredArguments()},
 * {@link #withDefaults}, {@link #checkInputs}, {@link #call} and {@link #pipelineFor} (which family member runs a
 * call: diffusers' {@code AutoPipelineFor*.from_pipe}).
 */
public abstract class DiffusionPipeline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DiffusionPipeline.class);

    /** Family members built over this pipeline's components by {@link #pipelineFor}, closed with it. */
    private final Map<String, DiffusionPipeline> siblings = new ConcurrentHashMap<>();
    private volatile int textEmbeddingCacheSize = DEFAULT_TEXT_EMBEDDING_CACHE;
    /** Rows of text-encoder output a pipeline keeps by default ({@link #setTextEmbeddingCacheSize}). */
    public static final int DEFAULT_TEXT_EMBEDDING_CACHE = 64;
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
        return PipelineRegistry.classNames();
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
     * The local pipeline folder of {@code pathOrRepoId}: the folder itself, or the Hub snapshot in the HF cache
     * (downloaded when needed, as {@link #fromPretrained} would).
     */
    public static Path resolve(String pathOrRepoId, PipelineOptions options) {
        return ModelSources.resolve(pathOrRepoId, options == null ? new PipelineOptions() : options);
    }

    /**
     * {@link #resolve} without downloading weights, for checking a model where it is not run (a Spark driver): a
     * local folder as is; a Hub id as the snapshot folder, named by the commit the revision points to, holding
     * {@code model_index.json}, the component configs and the tokenizer files ({@link #checkPretrained} reads
     * these). The weights the options need must be in the repo's listing, but are not fetched.
     */
    public static Path resolveConfigs(String pathOrRepoId, PipelineOptions options) {
        return ModelSources.resolveConfigs(pathOrRepoId, options == null ? new PipelineOptions() : options);
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
        if (dtype == DataType.BFLOAT16) {
            Bf16Support.require(device);
        }
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
                } else if (c.name().equals("vae") && o.vae() != null) {
                    components.put(c.name(), VaeSource.load(o.vae(), o, ctx));
                } else if (c.className() != null) {
                    components.put(c.name(), ComponentLoader.load(c.name(), c.library(), c.className(),
                            dir.resolve(c.name()), ctx));
                }
            }
            for (Map.Entry<String, Object> e : o.components().entrySet()) {
                components.putIfAbsent(e.getKey(), e.getValue() == PipelineOptions.NONE ? null : e.getValue());
            }
            if (o.vae() != null && !components.containsKey("vae")) {
                components.put("vae", VaeSource.load(o.vae(), o, ctx));
            }
            DiffusionPipeline made = o.customPipeline() != null ? custom(o.customPipeline(), components)
                    : PipelineRegistry.require(className).create(components, index.plainKeys(), true);
            if (o.textEmbeddingCache() != null) {
                made.setTextEmbeddingCacheSize(o.textEmbeddingCache());
            }
            return made;
        } catch (RuntimeException | Error e) {
            Map<String, Object> loaded = new LinkedHashMap<>(components);
            o.components().keySet().forEach(loaded::remove);
            ComponentLoader.closeAll(loaded);
            throw e;
        }
    }

    /**
     * Checks a VAE folder or Hub id ({@link PipelineOptions#vae(String)}) without loading weights: its
     * {@code config.json} names AutoencoderKL or AutoencoderTiny and validates. A Hub id is resolved to its
     * snapshot: config.json only, or with the weights when {@code download} (a driver whose executors share its
     * disk).
     */
    public static void checkVae(String folderOrHubId, PipelineOptions options, boolean download) {
        PipelineOptions o = options == null ? new PipelineOptions() : options;
        if (download) {
            ModelSources.resolveModel(folderOrHubId, o, false);
        }
        VaeSource.check(folderOrHubId, o);
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
        for (Map.Entry<String, Object> e : o.components().entrySet()) {
            if (e.getValue() == PipelineOptions.NONE && !index.components().containsKey(e.getKey())) {
                throw new IllegalArgumentException(index.source() + " has no component '" + e.getKey()
                        + "' to leave out (its components: " + String.join(", ", index.components().keySet()) + ")");
            }
        }
        boolean vaeOverride = o.vae() != null && !o.components().containsKey("vae");
        for (ModelIndex.Component c : index.components().values()) {
            if (c.className() != null && !o.components().containsKey(c.name())
                    && !(vaeOverride && c.name().equals("vae"))) {
                ComponentLoader.check(c.name(), c.library(), c.className(), dir.resolve(c.name()));
            }
        }
        if (vaeOverride) {
            VaeSource.check(o.vae(), o);
        }
    }

    /**
     * The config of the scheduler a checkpoint folder's pipeline starts with ({@code scheduler/scheduler_config.json},
     * the {@code scheduler} entry of its {@code model_index.json}), read without any weight: front ends resolve a
     * scheduler name in the checkpoint's family with it ({@link Schedulers#resolve(String,
     * io.diffusers4j.config.ConfigBase)}) before loading. Null when {@code model_index.json} lists no scheduler.
     */
    public static SchedulerConfig schedulerConfig(Path dir) {
        if (!ModelIndex.load(dir).hasComponent("scheduler")) {
            return null;
        }
        try (Scheduler scheduler = Schedulers.fromPretrained(dir.resolve("scheduler"))) {
            return scheduler.config();
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
        if (PipelineRegistry.get(className) == null) {
            throw new IllegalArgumentException(index.source() + ": key '_class_name': pipeline class '" + className
                    + "' is not supported (supported: " + String.join(", ", supportedPipelines()) + ")");
        }
        return className;
    }

    /**
     * "auto" reads the denoiser's weights' dtype (the UNet's, else the transformer's): float16 stays float16, anything
     * else (float32, and bfloat16, which DJL 0.36 cannot hold) becomes float32; bfloat16 asked by name is the CPU
     * autocast of {@link PipelineOptions#dtype(String)}.
     */
    static DataType resolveDtype(String dtype, Path dir, PipelineOptions o) {
        DataType named = PipelineOptions.parseDtype(dtype);
        if (named != null) {
            return named;
        }
        Path unet = Files.isDirectory(dir.resolve("unet")) ? dir.resolve("unet") : dir.resolve("transformer");
        if (!Files.isDirectory(unet)) {
            return DataType.FLOAT32;
        }
        try (TensorSource w = CheckpointFiles.open(unet, CheckpointFiles.DIFFUSERS_WEIGHTS_NAME,
                CheckpointFiles.variantFor(unet, o.variant()), o.useSafetensors())) {
            String first = w.keys().iterator().next();
            return w.info(first).dtype().equals("F16") ? DataType.FLOAT16 : DataType.FLOAT32;
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

    // ---------------------------------------------------------------------------------------------------------
    // the contract

    /** The diffusers class name of this pipeline ("StableDiffusionPipeline"), for messages and metadata. */
    public String className() {
        return getClass().getSimpleName();
    }

    /** What this pipeline does (registered classes: their {@link PipelineRegistry} task). */
    public PipelineTask task() {
        PipelineRegistry.Entry e = PipelineRegistry.get(className());
        return e == null ? PipelineTask.TEXT_TO_IMAGE : e.task();
    }

    /** The call defaults of this pipeline class for its checkpoint. */
    public abstract PipelineDefaults defaults();

    /** The optional argument groups this pipeline's {@code __call__} takes (registered classes: their entry's). */
    public Set<CallArgument> acceptedArguments() {
        PipelineRegistry.Entry e = PipelineRegistry.get(className());
        return e == null ? Set.of() : e.accepted();
    }

    /** The argument groups a call must set (a text-to-image pipeline: the prompt). */
    public Set<CallArgument> requiredArguments() {
        PipelineRegistry.Entry e = PipelineRegistry.get(className());
        return e == null ? Set.of() : e.required();
    }

    /**
     * A copy of {@code call} with this pipeline's defaults where it sets none: steps (a custom schedule's length
     * when it gives one, as diffusers sets {@code num_inference_steps = len(timesteps)}), guidance scale (pipelines
     * that take a prompt), strength (pipelines with an input image), size (pipelines that take
     * {@code height}/{@code width}), {@code max_sequence_length} (pipelines with a T5 text encoder) and
     * {@code batch_size} 1 (unconditional pipelines). The result is what the call
     * will actually use; front ends record it.
     */
    public PipelineCall withDefaults(PipelineCall call) {
        PipelineCall resolved = call.copy();
        PipelineDefaults d = defaults();
        Set<CallArgument> accepted = acceptedArguments();
        int customSteps = Schedulers.customScheduleSteps(call.timesteps(), call.sigmas());
        if (customSteps >= 0) {
            resolved.numInferenceSteps(customSteps);
        } else if (call.numInferenceSteps() == null) {
            resolved.numInferenceSteps(d.numInferenceSteps());
        }
        if (call.guidanceScale() == null && accepted.contains(CallArgument.GUIDANCE_SCALE)) {
            resolved.guidanceScale(d.guidanceScale());
        }
        if (call.batchSizeArgument() == null && accepted.contains(CallArgument.BATCH_SIZE)) {
            resolved.batchSize(1);
        }
        if (call.strength() == null && d.strength() != null && accepted.contains(CallArgument.STRENGTH)) {
            resolved.strength(d.strength());
        }
        if (call.maxSequenceLength() == null && d.maxSequenceLength() != null
                && accepted.contains(CallArgument.MAX_SEQUENCE_LENGTH)) {
            resolved.maxSequenceLength(d.maxSequenceLength());
        }
        if (accepted.contains(CallArgument.SIZE)) {
            resolved.height(call.height() != null ? call.height() : d.height());
            resolved.width(call.width() != null ? call.width() : d.width());
        }
        return resolved;
    }

    /**
     * The (height, width) of what a resolved call ({@link #withDefaults}) produces: its size, or for image-to-image
     * the input image's size as the pipeline resizes it; an error when neither the call nor the checkpoint gives one.
     */
    public int[] outputSize(PipelineCall resolved) {
        if (resolved.height() == null || resolved.width() == null) {
            throw new IllegalArgumentException(className() + " needs height and width");
        }
        return new int[] {resolved.height(), resolved.width()};
    }

    /**
     * The shape of ONE image of a resolved call's output: {@code [height, width, 3]} for {@code np} and {@code pil},
     * and for {@code latent} the final latents' {@code [channels, height / f, width / f]} (null when the pipeline
     * does not say); front ends size their output with it before rendering.
     */
    public long[] outputShape(PipelineCall resolved, String outputType) {
        if (outputType.equals("latent")) {
            return null;
        }
        int[] size = outputSize(resolved);
        return new long[] {size[0], size[1], 3};
    }

    /**
     * diffusers' {@code check_inputs} for {@code call} on this pipeline and checkpoint: the checkpoint-independent
     * checks ({@link PipelineCall#validate()}), the argument groups ({@link #acceptedArguments()},
     * {@link #requiredArguments()}), then this pipeline's own ({@link #checkPipelineInputs}). Throws
     * IllegalArgumentException with diffusers' message; {@link #call} runs it too.
     */
    public final void checkInputs(PipelineCall call) {
        call.validate();
        checkArgumentGroups(className(), acceptedArguments(), requiredArguments(), call);
        checkPipelineInputs(call);
    }

    /** A call's argument groups against what pipeline {@code className} accepts and requires. */
    private static void checkArgumentGroups(String className, Set<CallArgument> accepted,
                                            Set<CallArgument> required, PipelineCall call) {
        Map<CallArgument, String> set = call.setArguments();
        for (Map.Entry<CallArgument, String> e : set.entrySet()) {
            if (!accepted.contains(e.getKey())) {
                throw new IllegalArgumentException(className + " does not take " + e.getValue()
                        + takenBy(className, e.getKey()));
            }
        }
        for (CallArgument group : required) {
            // an image may come as latents where the pipeline takes those
            boolean asLatents = group == CallArgument.IMAGE && accepted.contains(CallArgument.IMAGE_LATENTS)
                    && set.containsKey(CallArgument.IMAGE_LATENTS);
            if (!set.containsKey(group) && !asLatents) {
                throw new IllegalArgumentException(group == CallArgument.PROMPT
                        ? "Provide either `prompt` or `prompt_embeds`"
                        : className + " needs `" + group.diffusersName() + "`");
            }
        }
    }

    /**
     * The checks of {@link #checkInputs} that need no weights, for the pipeline a local checkpoint folder would run
     * {@code call} with (its {@code model_index.json} class, or that class's family member for the call's task, as
     * {@link #pipelineFor} picks it): front ends call it before loading a model, so a wrong argument costs no load.
     */
    public static void checkCall(Path dir, PipelineCall call) {
        call.validate();
        PipelineRegistry.Entry runs = registeredFor(dir, call);
        if (runs != null) {
            checkArgumentGroups(runs.className(), runs.accepted(), runs.required(), call);
        }
    }

    /**
     * The registered pipeline class a checkpoint folder (its {@code model_index.json} is all that is read) would
     * run {@code call} with, as {@link #pipelineFor} picks it: its task, argument groups and output kind, for front
     * ends that size or name their output before loading any weight. Null for a class the registry does not know
     * (a custom pipeline).
     */
    public static PipelineRegistry.Entry registeredFor(Path dir, PipelineCall call) {
        PipelineRegistry.Entry loaded = PipelineRegistry.get(ModelIndex.load(dir).className());
        if (loaded == null || loaded.task() != PipelineTask.TEXT_TO_IMAGE || call.task() == loaded.task()) {
            return loaded;
        }
        PipelineRegistry.Entry sibling = PipelineRegistry.find(loaded.family(), call.task());
        return sibling == null ? loaded : sibling;
    }

    /** Why a group is refused, and which family members take it. */
    private static String takenBy(String className, CallArgument group) {
        List<String> takers = PipelineRegistry.takers(className, group);
        return " (its diffusers __call__ has no such argument" + (takers.isEmpty() ? ")"
                : "; " + String.join(" and ", takers) + " take" + (takers.size() == 1 ? "s" : "") + " it)");
    }

    /** The checks of this pipeline beyond the argument groups (sizes against the VAE factor, the UNet, ...). */
    protected void checkPipelineInputs(PipelineCall call) {
    }

    /** diffusers' {@code __call__}: one generation; unset arguments take {@link #withDefaults}. */
    public abstract PipelineOutput call(PipelineCall call);

    /**
     * The call with this pipeline's defaults, checked: what every {@code __call__} starts with, so a call that
     * sets no steps, guidance or size renders exactly as one that sets the defaults.
     */
    protected PipelineCall prepare(PipelineCall call) {
        PipelineCall resolved = withDefaults(call);
        checkInputs(resolved);
        return resolved;
    }

    /** This call's own copy of its scheduler (the call's, else the pipeline's): calls never share scheduler state. */
    protected Scheduler callScheduler(PipelineCall args) {
        return (args.scheduler() != null ? args.scheduler() : scheduler()).copy();
    }

    /** The call's progress listener, else the pipeline's (diffusers' set_progress_bar_config). */
    protected ProgressListener progress(PipelineCall args) {
        return args.progress() != null ? args.progress() : progressBar();
    }

    /**
     * A caller's array ({@code prompt_embeds}, {@code latents}, ...) as the call uses it: a copy on {@code m}'s
     * device, in {@code dtype}, owned by {@code m} (the caller's array is left as it was).
     */
    protected static NDArray given(NDManager m, NDArray x, DataType dtype) {
        NDArray out = x.toDevice(m.getDevice(), true).toType(dtype, false);
        out.attach(m);
        return out;
    }

    /**
     * The pipeline that runs {@code call}: this one when the call is of its task (or it is not a text-to-image
     * pipeline: an image-to-image or inpainting checkpoint runs as loaded and its checks say what is missing);
     * for a text-to-image pipeline and an image or inpainting call, the family member for that task over the same
     * components and config (diffusers' {@code AutoPipelineForImage2Image.from_pipe(pipe)}), built once and closed
     * with this one, sharing its scheduler and progress bar. When the family has no such member, this one (whose
     * checks then refuse the call).
     */
    public DiffusionPipeline pipelineFor(PipelineCall call) {
        PipelineTask wanted = call.task();
        PipelineRegistry.Entry mine = PipelineRegistry.get(className());
        if (wanted == task() || task() != PipelineTask.TEXT_TO_IMAGE || mine == null) {
            return this;
        }
        PipelineRegistry.Entry target = PipelineRegistry.find(mine.family(), wanted);
        if (target == null) {
            return this;
        }
        DiffusionPipeline sibling = siblings.computeIfAbsent(target.className(),
                k -> {
                    DiffusionPipeline made = target.create(components(), modelIndexKeys(), false);
                    made.setTextEmbeddingCacheSize(textEmbeddingCacheSize);
                    return made;
                });
        sibling.setScheduler(scheduler());
        sibling.setProgressBar(progressBar());
        return sibling;
    }

    /**
     * The model_index.json keys that are not loaded components: absent components ({@code [null, null]}) and
     * pipeline config values, as diffusers' {@code register_to_config} writes them.
     */
    protected Map<String, JsonElement> modelIndexKeys() {
        return Map.of();
    }

    /** The components by name (sharing them builds another pipeline without reloading weights). */
    public abstract Map<String, Object> components();

    /** The pipeline's scheduler (a call uses its own copy). */
    public Scheduler scheduler() {
        Object s = components().get("scheduler");
        if (!(s instanceof Scheduler scheduler)) {
            throw new IllegalStateException(className() + " has no scheduler");
        }
        return scheduler;
    }

    /** Swaps the scheduler ({@code pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config)}). */
    public void setScheduler(Scheduler scheduler) {
        throw new UnsupportedOperationException(className() + " does not swap schedulers");
    }

    /** diffusers' enable_attention_slicing: "auto" (half the heads), "max" (one head at a time) or a slice size. */
    public void enableAttentionSlicing(String sliceSize) {
        throw unsupportedOption("attention slicing");
    }

    /** diffusers' disable_attention_slicing. */
    public void disableAttentionSlicing() {
        throw unsupportedOption("attention slicing");
    }

    /** Query-chunked attention that never materialises the full score matrix. */
    public void enableMemoryEfficientAttention() {
        throw unsupportedOption("memory-efficient attention");
    }

    public void disableMemoryEfficientAttention() {
        throw unsupportedOption("memory-efficient attention");
    }

    /**
     * How many prompt rows of text-encoder output this pipeline (and its family members) keep for repeated prompts
     * and negative prompts, least recently used evicted; 0 turns the cache off. Deterministic: with the cache on,
     * every row is the encoder's output for that row alone (fresh or cached), whatever the other rows of its call and
     * whichever call cached it first; it may differ in the last bits from the batch encoding that the cache off gives.
     * Pipelines without such a cache (SDXL) accept and ignore it.
     */
    public void setTextEmbeddingCacheSize(int rows) {
        TextEmbeddingCache.checkCapacity(rows);
        this.textEmbeddingCacheSize = rows;
        for (DiffusionPipeline sibling : siblings.values()) {
            sibling.setTextEmbeddingCacheSize(rows);
        }
    }

    public int textEmbeddingCacheSize() {
        return textEmbeddingCacheSize;
    }

    /** diffusers' enable_vae_slicing: decode a batch one image at a time. */
    public void enableVaeSlicing() {
        throw unsupportedOption("VAE slicing");
    }

    /** diffusers' enable_vae_tiling: encode and decode large images in overlapping tiles. */
    public void enableVaeTiling() {
        throw unsupportedOption("VAE tiling");
    }

    // ---------------------------------------------------------------------------------------------------------
    // adapters: diffusers' LoRA and textual-inversion loader mixins (Stable Diffusion and SDXL pipelines)

    /**
     * diffusers' {@code load_lora_weights(pathOrHubId, adapter_name=adapterName)}: a LoRA {@code .safetensors} file
     * (diffusers / peft, Kohya / AUTOMATIC1111 or older attention-processor keys), a folder or a Hub repo holding
     * one; it becomes the only active adapter. {@code adapterName} null: {@code default_<n>}.
     */
    public LoraLoader.AdapterInfo loadLoraWeights(String pathOrHubId, String adapterName) {
        return loadLoraWeights(pathOrHubId, null, adapterName, null);
    }

    /** {@link #loadLoraWeights(String, String)} with diffusers' {@code weight_name} and the Hub options. */
    public LoraLoader.AdapterInfo loadLoraWeights(String pathOrHubId, String weightName, String adapterName,
                                                  HubOptions hub) {
        throw unsupportedOption("LoRA support");
    }

    /** diffusers' {@code set_adapters(names, adapter_weights=weights)} (weights null: 1.0 each). */
    public void setAdapters(List<String> names, List<Double> weights) {
        throw unsupportedOption("LoRA support");
    }

    /** diffusers' {@code disable_lora()}. */
    public void disableLora() {
        throw unsupportedOption("LoRA support");
    }

    /** diffusers' {@code enable_lora()}. */
    public void enableLora() {
        throw unsupportedOption("LoRA support");
    }

    /** diffusers' {@code delete_adapters(names)}. */
    public void deleteAdapters(List<String> names) {
        throw unsupportedOption("LoRA support");
    }

    /** diffusers' {@code fuse_lora(lora_scale=scale)}: the active adapters added into copies of the weights. */
    public void fuseLora(double scale) {
        fuseLora(scale, null);
    }

    /** diffusers' {@code fuse_lora(lora_scale=scale, adapter_names=names)}. */
    public void fuseLora(double scale, List<String> names) {
        throw unsupportedOption("LoRA support");
    }

    /** diffusers' {@code unfuse_lora()}: the original weights again, bit for bit. */
    public void unfuseLora() {
        throw unsupportedOption("LoRA support");
    }

    /** diffusers' {@code get_active_adapters()}. */
    public List<String> getActiveAdapters() {
        return List.of();
    }

    /** diffusers' {@code get_list_adapters()}: adapters by component. */
    public Map<String, List<String>> getListAdapters() {
        return Map.of();
    }

    /**
     * diffusers' {@code load_textual_inversion(pathOrHubId, token=token)}: a {@code .safetensors} embedding
     * ({token: tensor}, AUTOMATIC1111's {@code emb_params}, SDXL's {@code clip_l} / {@code clip_g}); {@code token}
     * null: the file's key (AUTOMATIC1111 files: the file name).
     */
    public TextualInversionLoader.Loaded loadTextualInversion(String pathOrHubId, String token) {
        return loadTextualInversion(pathOrHubId, null, token, null);
    }

    /** {@link #loadTextualInversion(String, String)} with diffusers' {@code weight_name} and the Hub options. */
    public TextualInversionLoader.Loaded loadTextualInversion(String pathOrHubId, String weightName, String token,
                                                             HubOptions hub) {
        throw unsupportedOption("textual inversion support");
    }

    /**
     * diffusers' {@code unload_textual_inversion()}: every token {@link #loadTextualInversion} added leaves the
     * tokenizer(s) and the text encoder(s) get the checkpoint's token embeddings back. Returns the tokens removed.
     */
    public List<String> unloadTextualInversion() {
        throw unsupportedOption("textual inversion support");
    }

    private UnsupportedOperationException unsupportedOption(String option) {
        return new UnsupportedOperationException(className() + " has no " + option);
    }

    /** Writes model_index.json, every component config and safetensors weights (optionally a variant). */
    public void savePretrained(Path dir, String variant) throws IOException {
        PipelineSaver.save(this, className(), dir, variant);
    }

    /** Frees this pipeline's native memory (its components too when it owns them) and its family members'. */
    @Override
    public void close() {
        for (DiffusionPipeline sibling : siblings.values()) {
            sibling.close();
        }
        siblings.clear();
    }
}
