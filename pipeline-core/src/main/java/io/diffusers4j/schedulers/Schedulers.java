// Port of diffusers' scheduler loading: SchedulerMixin.from_pretrained / from_config by _class_name.
package io.diffusers4j.schedulers;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Builds schedulers by diffusers class ({@link #fromConfig(Class, ConfigBase)}), by name (a diffusers class name or
 * a web UI name, {@link #create(String, ConfigBase, List)}), from a scheduler folder ({@link #fromPretrained(Path)})
 * or from a config JSON's {@code _class_name}.
 */
public final class Schedulers {
    private record Entry(Class<? extends Scheduler> type, Class<? extends SchedulerConfig> configType,
                         Function<SchedulerConfig, Scheduler> ctor) {
    }

    private static final Map<String, Entry> REGISTRY = new LinkedHashMap<>();

    static {
        register(DDIMScheduler.class, DDIMScheduler.Config.class, DDIMScheduler::new);
        register(DDPMScheduler.class, DDPMScheduler.Config.class, DDPMScheduler::new);
        register(PNDMScheduler.class, PNDMScheduler.Config.class, PNDMScheduler::new);
        register(EulerDiscreteScheduler.class, EulerDiscreteScheduler.Config.class, EulerDiscreteScheduler::new);
        register(EulerAncestralDiscreteScheduler.class, EulerAncestralDiscreteScheduler.Config.class,
                EulerAncestralDiscreteScheduler::new);
        register(LMSDiscreteScheduler.class, LMSDiscreteScheduler.Config.class, LMSDiscreteScheduler::new);
        register(HeunDiscreteScheduler.class, HeunDiscreteScheduler.Config.class, HeunDiscreteScheduler::new);
        register(DPMSolverMultistepScheduler.class, DPMSolverMultistepScheduler.Config.class,
                DPMSolverMultistepScheduler::new);
        register(UniPCMultistepScheduler.class, UniPCMultistepScheduler.Config.class, UniPCMultistepScheduler::new);
        register(LCMScheduler.class, LCMScheduler.Config.class, LCMScheduler::new);
        register(IPNDMScheduler.class, IPNDMScheduler.Config.class, IPNDMScheduler::new);
        register(FlowMatchEulerDiscreteScheduler.class, FlowMatchEulerDiscreteScheduler.Config.class,
                FlowMatchEulerDiscreteScheduler::new);
        register(FlowMatchHeunDiscreteScheduler.class, FlowMatchHeunDiscreteScheduler.Config.class,
                FlowMatchHeunDiscreteScheduler::new);
    }

    /** Registers a scheduler under its diffusers class name (the Java class's simple name). */
    private static <S extends Scheduler, C extends SchedulerConfig> void register(Class<S> type, Class<C> configType,
                                                                                 Function<C, S> ctor) {
        REGISTRY.put(type.getSimpleName(), new Entry(type, configType, c -> ctor.apply(configType.cast(c))));
    }

    private Schedulers() {
    }

    /** The diffusers class names this port implements. */
    public static Set<String> available() {
        return REGISTRY.keySet();
    }

    private static Entry entry(String className) {
        Entry e = REGISTRY.get(className);
        if (e == null) {
            throw new IllegalArgumentException("unknown scheduler class '" + className + "'; available: "
                    + REGISTRY.keySet());
        }
        return e;
    }

    /**
     * The typed config class of the scheduler a name builds: a diffusers class name, or a web UI name
     * ({@link #resolve(String)}, whose refusals and suggestions it throws).
     */
    public static Class<? extends SchedulerConfig> configType(String nameOrAlias) {
        Entry e = REGISTRY.get(nameOrAlias);
        return (e != null ? e : entry(resolve(nameOrAlias).className())).configType();
    }

    /**
     * diffusers' {@code SchedulerClass.from_config(config)}: builds {@code type} from any scheduler config (another
     * scheduler's included), e.g.
     * {@code Schedulers.fromConfig(EulerDiscreteScheduler.class, pipe.scheduler().config())}.
     */
    public static <T extends Scheduler> T fromConfig(Class<T> type, ConfigBase config) {
        Entry e = REGISTRY.get(type.getSimpleName());
        if (e == null || e.type() != type) {
            throw new IllegalArgumentException("scheduler class " + type.getName() + " is not registered; available: "
                    + REGISTRY.keySet());
        }
        return type.cast(e.ctor().apply(configFor(e, config)));
    }

    /**
     * What a scheduler name stands for: a diffusers class name, an AUTOMATIC1111 sampler name ({@code "DPM++ 2M
     * Karras"}) or a ComfyUI sampler with an optional scheduler ({@code "dpmpp_2m karras"}), matched ignoring case
     * and surrounding whitespace (see {@link SchedulerNames}). Cheap (no model, no engine): check a user's value
     * with it before loading anything.
     *
     * @throws IllegalArgumentException naming the value: why it is refused, or, for an unknown name, the closest
     *                                  accepted names and the accepted ones
     */
    public static SchedulerChoice resolve(String nameOrAlias) {
        return SchedulerNames.resolve(nameOrAlias);
    }

    /**
     * What a scheduler name stands for on a checkpoint whose scheduler config is {@code checkpointConfig}: as
     * {@link #resolve(String)}, but within the checkpoint's family. On a flow-matching checkpoint (SD3, FLUX: its
     * scheduler is a {@link FlowMatchScheduler}) the web UI / ComfyUI names of Euler and Heun ({@code "Euler"},
     * {@code "euler"}, {@code "euler normal"}, {@code "heun"}) stand for {@link FlowMatchEulerDiscreteScheduler} and
     * {@link FlowMatchHeunDiscreteScheduler}, as those UIs run them on flow models; every other method, and a schedule
     * those classes lack ({@code karras}, {@code simple}, {@code sgm_uniform}), is refused with the reason. A
     * flow-matching class on any other checkpoint, and another class by its diffusers name on a flow-matching one,
     * are refused (diffusers would run them and make noise).
     */
    public static SchedulerChoice resolve(String nameOrAlias, ConfigBase checkpointConfig) {
        return SchedulerNames.resolve(nameOrAlias, isFlowMatching(checkpointConfig));
    }

    /** Whether the class is a registered flow-matching scheduler ({@link FlowMatchScheduler}). */
    public static boolean isFlowMatching(String className) {
        Entry e = REGISTRY.get(className);
        return e != null && FlowMatchScheduler.class.isAssignableFrom(e.type());
    }

    /**
     * Whether a scheduler config belongs to a flow-matching scheduler: a typed scheduler config by its type, any other
     * config by its {@code _class_name}.
     */
    public static boolean isFlowMatching(ConfigBase config) {
        if (config instanceof SchedulerConfig) {
            return config instanceof FlowMatchConfig;
        }
        return isFlowMatching(config.className());
    }

    /**
     * diffusers' {@code SchedulerClass.from_config(config)} by name: any config (another scheduler's included); a UI
     * name adds the config keys it stands for. The name is resolved in the family of {@code config}
     * ({@link #resolve(String, ConfigBase)}: e.g. {@code "euler"} builds a {@link FlowMatchEulerDiscreteScheduler}
     * from a FLUX config).
     */
    public static Scheduler create(String nameOrAlias, ConfigBase config) {
        return create(nameOrAlias, config, List.of());
    }

    /**
     * {@link #create(String, ConfigBase)} then {@code key=value} overrides (like diffusers' from_config kwargs),
     * applied after those of a UI name (so they win). A scheduler without dynamic shifting is refused for a config
     * that uses it ({@code use_dynamic_shifting=true}, FLUX.1-dev): FluxPipeline's
     * {@code set_timesteps(sigmas=..., mu=...)} fails on it in diffusers.
     */
    public static Scheduler create(String nameOrAlias, ConfigBase config, List<String> overrides) {
        SchedulerChoice choice = resolve(nameOrAlias, config);
        Entry e = entry(choice.className());
        List<String> all = new ArrayList<>(choice.overrides());
        all.addAll(overrides);
        SchedulerConfig target = configFor(e, config);
        Scheduler scheduler = e.ctor().apply(all.isEmpty() ? target : target.withOverrides(all));
        if (isFlowMatching(config) && usesDynamicShifting(config) && !scheduler.acceptsMu()) {
            scheduler.close();
            throw new IllegalArgumentException("scheduler '" + nameOrAlias.strip() + "' is not supported on this "
                    + "checkpoint: its scheduler config sets use_dynamic_shifting=true (as FLUX.1-dev's), which "
                    + choice.className() + " does not have (its set_timesteps takes no sigmas or mu); use "
                    + "FlowMatchEulerDiscreteScheduler ('euler')");
        }
        return scheduler;
    }

    /** {@code use_dynamic_shifting} set in a config (typed, or kept from another scheduler's config). */
    private static boolean usesDynamicShifting(ConfigBase config) {
        if (config instanceof FlowMatchEulerDiscreteScheduler.Config flow) {
            return flow.useDynamicShifting;
        }
        JsonElement e = config.extraKeys().get("use_dynamic_shifting");
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean() && e.getAsBoolean();
    }

    /** A copy of {@code config} when it already is the target's type, else diffusers' from_config conversion. */
    private static SchedulerConfig configFor(Entry e, ConfigBase config) {
        return config.getClass() == e.configType() ? ((SchedulerConfig) config).copyConfig()
                : SchedulerConfig.convert(config, e.configType());
    }

    /** Builds the scheduler a config JSON object names in {@code _class_name}. */
    public static Scheduler fromConfig(JsonObject json, String source) {
        JsonElement name = json.get("_class_name");
        if (name == null || !name.isJsonPrimitive()) {
            throw new IllegalArgumentException(source + ": scheduler config has no _class_name");
        }
        Entry e;
        try {
            e = entry(name.getAsString());
        } catch (IllegalArgumentException unknown) {
            throw new IllegalArgumentException(source + ": key '_class_name': " + unknown.getMessage(), unknown);
        }
        return e.ctor().apply(SchedulerConfig.parse(json, e.configType(), source));
    }

    /**
     * diffusers' {@code retrieve_timesteps(scheduler, num_inference_steps, device, timesteps, sigmas)}, what a
     * pipeline calls instead of {@code setTimesteps}: with a custom {@code timesteps} or {@code sigmas} array
     * (at most one; the other {@code null}) it calls {@link Scheduler#setTimesteps(Integer, double[], double[])}
     * without {@code numInferenceSteps} and returns {@code timesteps().length} (Heun: the repeated timesteps
     * included), else {@code setTimesteps(numInferenceSteps)} and returns {@code numInferenceSteps}.
     *
     * @return the number of inference steps the pipeline runs (diffusers' second return value)
     */
    public static int retrieveTimesteps(Scheduler scheduler, int numInferenceSteps, double[] timesteps,
                                        double[] sigmas) {
        return retrieveTimesteps(scheduler, numInferenceSteps, timesteps, sigmas, null);
    }

    /**
     * FluxPipeline's {@code retrieve_timesteps(scheduler, num_inference_steps, device, timesteps, sigmas, mu=mu)}:
     * {@link #retrieveTimesteps(Scheduler, int, double[], double[])} passing {@code mu} (null: not passed) to
     * {@link Scheduler#setTimesteps(Integer, double[], double[], Double)}. The checks come in diffusers' order: both
     * arrays, a custom array the class does not take, then {@code set_timesteps}' own (an unexpected {@code mu},
     * a missing one with dynamic shifting).
     *
     * @return the number of inference steps the pipeline runs: {@code numInferenceSteps}, or with a custom array the
     *         length of {@code timesteps()}
     */
    public static int retrieveTimesteps(Scheduler scheduler, int numInferenceSteps, double[] timesteps,
                                        double[] sigmas, Double mu) {
        checkCustomSchedule(timesteps, sigmas);
        if (timesteps != null && !scheduler.acceptsCustomTimesteps()) {
            throw BaseScheduler.unsupportedCustom(scheduler.className(), "timestep");
        }
        if (sigmas != null && !scheduler.acceptsCustomSigmas()) {
            throw BaseScheduler.unsupportedCustom(scheduler.className(), "sigmas");
        }
        if (timesteps == null && sigmas == null) {
            if (mu == null) {
                scheduler.setTimesteps(numInferenceSteps);
            } else {
                scheduler.setTimesteps(numInferenceSteps, null, null, mu);
            }
            return numInferenceSteps;
        }
        scheduler.setTimesteps(null, timesteps, sigmas, mu);
        return scheduler.timesteps().length;
    }

    /** A custom schedule is timesteps or sigmas, not both (diffusers' retrieve_timesteps message). */
    public static void checkCustomSchedule(double[] timesteps, double[] sigmas) {
        if (timesteps != null && sigmas != null) {
            throw new IllegalArgumentException("Only one of `timesteps` or `sigmas` can be passed. Please choose one "
                    + "to set custom values");
        }
    }

    /**
     * The denoising steps a custom schedule asks for: the number of {@code timesteps}, or of {@code sigmas} less the
     * final one; -1 when both are null (the scheduler spaces {@code num_inference_steps} itself). What a user counts
     * as steps: Heun's {@code timesteps()} repeat all but the first of them. (The sigmas of
     * {@link FlowMatchEulerDiscreteScheduler} come without the final 0: there each sigma is a step; no diffusers
     * 0.30.3 flow-matching pipeline takes sigmas from its caller.)
     */
    public static int customScheduleSteps(double[] timesteps, double[] sigmas) {
        return timesteps != null ? timesteps.length : sigmas != null ? sigmas.length - 1 : -1;
    }

    /**
     * diffusers' {@code SchedulerMixin.from_pretrained(dir)}: reads {@code scheduler_config.json} in the folder
     * (or the file itself) and builds the class its {@code _class_name} names.
     */
    public static Scheduler fromPretrained(Path schedulerDir) {
        Path file = Files.isDirectory(schedulerDir) ? schedulerDir.resolve("scheduler_config.json") : schedulerDir;
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no scheduler config at " + file);
        }
        return fromConfig(ConfigBase.readJsonObject(file), file.toString());
    }
}
