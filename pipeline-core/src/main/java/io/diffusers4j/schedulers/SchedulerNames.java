// Scheduler names of the AUTOMATIC1111 web UI and ComfyUI mapped to diffusers schedulers, after diffusers' docs
// (schedulers overview: the "A1111/k-diffusion -> Diffusers" table and its noise schedule types).
package io.diffusers4j.schedulers;

import io.diffusers4j.utils.DidYouMean;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The scheduler names this port accepts and what each stands for. Matching ignores case and surrounding or repeated
 * whitespace; every accepted spelling means exactly one thing.
 * <ul>
 *   <li>a diffusers class name ({@code EulerDiscreteScheduler}): the class, built from the pipeline's config;</li>
 *   <li>an AUTOMATIC1111 sampler ({@code "DPM++ 2M Karras"}): the diffusers class and config keys of diffusers'
 *       table;</li>
 *   <li>a ComfyUI sampler, alone or followed by a space and a ComfyUI scheduler ({@code "dpmpp_2m karras"};
 *       alone means {@code normal}).</li>
 * </ul>
 * A UI name fixes the keys its words decide ({@code Karras} or not, {@code 2M}: {@code solver_order=2}, {@code SDE}:
 * {@code algorithm_type=sde-dpmsolver++}); the others come from the pipeline's config, as with diffusers'
 * {@code from_config}. Names of methods this port lacks (e.g. {@code DPM2}: {@code KDPM2DiscreteScheduler}) are
 * known and refused with the reason.
 *
 * <p>{@link #resolve(String)} knows no checkpoint; {@link #resolve(String, boolean)} resolves for a checkpoint of the
 * flow-matching family (SD3, FLUX) or the other one: on a flow-matching checkpoint Euler and Heun names stand for
 * {@code FlowMatchEulerDiscreteScheduler} and {@code FlowMatchHeunDiscreteScheduler}, and the web UI name of those
 * classes is {@code Euler} / {@code Heun}.
 */
public final class SchedulerNames {

    /** A sampling method: the diffusers class and the keys its name fixes, or why this port cannot run it. */
    private record Method(String a1111Name, String className, List<String> overrides, boolean spacesTimesteps,
                          String refusal) {
        static Method of(String a1111Name, String className, String... overrides) {
            return new Method(a1111Name, className, List.of(overrides), true, null);
        }

        /** A method whose scheduler sets its own timesteps (ignores {@code timestep_spacing}). */
        static Method ownTimesteps(String a1111Name, String className) {
            return new Method(a1111Name, className, List.of(), false, null);
        }

        static Method refused(String a1111Name, String className, String refusal) {
            return new Method(a1111Name, className, List.of(), true, refusal);
        }
    }

    /**
     * A noise schedule (ComfyUI's "scheduler", the web UI's "Schedule type"): the keys it needs, the keys it sets
     * where the class has them, whether it works through {@code timestep_spacing}, or why it is refused.
     */
    private record Schedule(String comfyName, String a1111Type, List<String> needs, List<String> whereKnown,
                            boolean viaSpacing, String refusal) {
        static Schedule refused(String comfyName, String refusal) {
            return new Schedule(comfyName, null, List.of(), List.of(), false, refusal);
        }
    }

    /** A web UI sampler name: a method with a schedule. */
    private record Pairing(Method method, Schedule schedule) {
    }

    /** A known spelling: the choice it stands for, or the reason it is refused. */
    private record Known(SchedulerChoice choice, String refusal) {
        boolean sameMeaning(Known other) {
            return Objects.equals(refusal, other.refusal) && (choice == null ? other.choice == null
                    : other.choice != null && choice.named("").equals(other.choice.named("")));
        }
    }

    private static final String NOT_IMPLEMENTED = ", which Diffusers4J does not implement";
    private static final String NO_DIFFUSERS_EQUIVALENT = "diffusers has no scheduler for it";
    private static final String NO_DIFFUSERS_CONFIG = "has no diffusers config that reproduces it";

    private static final Method EULER = Method.of("Euler", "EulerDiscreteScheduler");
    private static final Method EULER_A = Method.of("Euler a", "EulerAncestralDiscreteScheduler");
    private static final Method HEUN = Method.of("Heun", "HeunDiscreteScheduler");
    private static final Method LMS = Method.of("LMS", "LMSDiscreteScheduler");
    private static final Method DPMPP_2M = Method.of("DPM++ 2M", "DPMSolverMultistepScheduler",
            "algorithm_type=dpmsolver++", "solver_order=2");
    private static final Method DPMPP_2M_SDE = Method.of("DPM++ 2M SDE", "DPMSolverMultistepScheduler",
            "algorithm_type=sde-dpmsolver++", "solver_order=2");
    private static final Method DDIM = Method.of("DDIM", "DDIMScheduler");
    /** PLMS is PNDM without its Runge-Kutta warm-up steps. */
    private static final Method PLMS = Method.of("PLMS", "PNDMScheduler", "skip_prk_steps=true");
    /** The web UI's UniPC defaults (variant bh1, order 3), also ComfyUI's {@code uni_pc}. */
    private static final Method UNIPC = Method.of("UniPC", "UniPCMultistepScheduler", "solver_type=bh1",
            "solver_order=3");
    private static final Method UNIPC_BH2 = Method.of("UniPC", "UniPCMultistepScheduler", "solver_type=bh2",
            "solver_order=3");
    private static final Method LCM = Method.ownTimesteps("LCM", "LCMScheduler");
    private static final Method DPM2 = Method.refused("DPM2", "KDPM2DiscreteScheduler",
            "it needs KDPM2DiscreteScheduler" + NOT_IMPLEMENTED);
    private static final Method DPM2_A = Method.refused("DPM2 a", "KDPM2AncestralDiscreteScheduler",
            "it needs KDPM2AncestralDiscreteScheduler" + NOT_IMPLEMENTED);
    private static final Method DPMPP_SDE = Method.refused("DPM++ SDE", "DPMSolverSinglestepScheduler",
            "it needs DPMSolverSinglestepScheduler" + NOT_IMPLEMENTED);
    private static final Method DPMPP_2S_A = Method.refused("DPM++ 2S a", null, NO_DIFFUSERS_EQUIVALENT);
    private static final Method DPMPP_3M_SDE = Method.refused("DPM++ 3M SDE", "DPMSolverMultistepScheduler",
            "it would be DPMSolverMultistepScheduler with solver_order=3 and algorithm_type=sde-dpmsolver++, which "
                    + "has no third-order SDE update in diffusers 0.30.3");
    private static final Method DPM_FAST = Method.refused("DPM fast", null, NO_DIFFUSERS_EQUIVALENT);
    private static final Method DPM_ADAPTIVE = Method.refused("DPM adaptive", null, NO_DIFFUSERS_EQUIVALENT);
    private static final Method DEIS = Method.refused(null, "DEISMultistepScheduler",
            "it needs DEISMultistepScheduler" + NOT_IMPLEMENTED);
    /** Euler and Heun on a flow-matching checkpoint (the web UIs run the same samplers on the model's flow sigmas). */
    private static final Method FLOW_EULER = Method.ownTimesteps("Euler", "FlowMatchEulerDiscreteScheduler");
    private static final Method FLOW_HEUN = Method.ownTimesteps("Heun", "FlowMatchHeunDiscreteScheduler");
    /** The flow-matching version of a method, where diffusers 0.30.3 has one. */
    private static final Map<Method, Method> FLOW_VERSIONS = Map.of(EULER, FLOW_EULER, HEUN, FLOW_HEUN);

    /** Every method, in the order that picks a class's web UI name (its first method). */
    private static final List<Method> METHODS = List.of(EULER, EULER_A, HEUN, LMS, DPMPP_2M, DPMPP_2M_SDE, DDIM, PLMS,
            UNIPC, UNIPC_BH2, LCM, DPM2, DPM2_A, DPMPP_SDE, DPMPP_2S_A, DPMPP_3M_SDE, DPM_FAST, DPM_ADAPTIVE, DEIS,
            FLOW_EULER, FLOW_HEUN);

    private static final Schedule NORMAL = new Schedule("normal", null, List.of(),
            List.of("use_karras_sigmas=false"), false, null);
    private static final Schedule KARRAS = new Schedule("karras", "Karras", List.of("use_karras_sigmas=true"),
            List.of(), false, null);
    private static final List<Schedule> SCHEDULES = List.of(NORMAL, KARRAS,
            new Schedule("simple", "Simple", List.of("timestep_spacing=trailing"), List.of("use_karras_sigmas=false"),
                    true, null),
            new Schedule("sgm_uniform", "SGM Uniform", List.of("timestep_spacing=trailing"),
                    List.of("use_karras_sigmas=false"), true, null),
            Schedule.refused("exponential", "needs use_exponential_sigmas, which diffusers 0.30.3 does not have"),
            Schedule.refused("beta", "needs use_beta_sigmas, which diffusers 0.30.3 does not have"),
            Schedule.refused("ddim_uniform", NO_DIFFUSERS_CONFIG),
            Schedule.refused("linear_quadratic", NO_DIFFUSERS_CONFIG),
            Schedule.refused("kl_optimal", NO_DIFFUSERS_CONFIG));

    /** The web UI's sampler names: method and schedule. */
    private static final Map<String, Pairing> A1111 = new LinkedHashMap<>();
    /** ComfyUI's sampler names. */
    private static final Map<String, Method> COMFY_SAMPLERS = new LinkedHashMap<>();
    /** Every known spelling, normalized, to what it means. */
    private static final Map<String, Known> KNOWN = new LinkedHashMap<>();
    /** The web UI spellings of methods with a flow-matching version, normalized, to what they mean on such a model. */
    private static final Map<String, Known> KNOWN_FLOW = new LinkedHashMap<>();

    static {
        a1111("Euler", EULER, NORMAL);
        a1111("Euler a", EULER_A, NORMAL);
        a1111("LMS", LMS, NORMAL);
        a1111("LMS Karras", LMS, KARRAS);
        a1111("Heun", HEUN, NORMAL);
        a1111("DPM++ 2M", DPMPP_2M, NORMAL);
        a1111("DPM++ 2M Karras", DPMPP_2M, KARRAS);
        a1111("DPM++ 2M SDE", DPMPP_2M_SDE, NORMAL);
        a1111("DPM++ 2M SDE Karras", DPMPP_2M_SDE, KARRAS);
        a1111("DDIM", DDIM, NORMAL);
        a1111("PLMS", PLMS, NORMAL);
        a1111("UniPC", UNIPC, NORMAL);
        a1111("LCM", LCM, NORMAL);
        a1111("DPM2", DPM2, NORMAL);
        a1111("DPM2 Karras", DPM2, KARRAS);
        a1111("DPM2 a", DPM2_A, NORMAL);
        a1111("DPM2 a Karras", DPM2_A, KARRAS);
        a1111("DPM++ SDE", DPMPP_SDE, NORMAL);
        a1111("DPM++ SDE Karras", DPMPP_SDE, KARRAS);
        a1111("DPM++ 2S a", DPMPP_2S_A, NORMAL);
        a1111("DPM++ 2S a Karras", DPMPP_2S_A, KARRAS);
        a1111("DPM++ 3M SDE", DPMPP_3M_SDE, NORMAL);
        a1111("DPM++ 3M SDE Karras", DPMPP_3M_SDE, KARRAS);
        a1111("DPM fast", DPM_FAST, NORMAL);
        a1111("DPM adaptive", DPM_ADAPTIVE, NORMAL);

        comfy(EULER, "euler");
        comfy(EULER_A, "euler_ancestral");
        comfy(HEUN, "heun");
        comfy(LMS, "lms");
        comfy(DPMPP_2M, "dpmpp_2m");
        comfy(DPMPP_2M_SDE, "dpmpp_2m_sde", "dpmpp_2m_sde_gpu");
        comfy(DDIM, "ddim");
        comfy(UNIPC, "uni_pc");
        comfy(UNIPC_BH2, "uni_pc_bh2");
        comfy(LCM, "lcm");
        comfy(DPM2, "dpm_2");
        comfy(DPM2_A, "dpm_2_ancestral");
        comfy(DPMPP_SDE, "dpmpp_sde", "dpmpp_sde_gpu");
        comfy(DPMPP_2S_A, "dpmpp_2s_ancestral");
        comfy(DPMPP_3M_SDE, "dpmpp_3m_sde", "dpmpp_3m_sde_gpu");
        comfy(DPM_FAST, "dpm_fast");
        comfy(DPM_ADAPTIVE, "dpm_adaptive");
        comfy(DEIS, "deis");

        for (String className : Schedulers.available()) {
            know(className, new Known(new SchedulerChoice(className, className, List.of(),
                    a1111Name(className).orElse(className), null), null));
        }
        A1111.forEach((name, pairing) -> know(name, combine(name, pairing.method(), pairing.schedule())));
        COMFY_SAMPLERS.forEach((sampler, method) -> {
            know(sampler, combine(sampler, method, NORMAL));
            for (Schedule schedule : SCHEDULES) {
                String name = sampler + " " + schedule.comfyName();
                know(name, combine(name, method, schedule));
            }
        });
        A1111.forEach((name, pairing) -> {
            Method flow = FLOW_VERSIONS.get(pairing.method());
            if (flow != null) {
                KNOWN_FLOW.put(DidYouMean.normalize(name), combine(name, flow, pairing.schedule()));
            }
        });
        COMFY_SAMPLERS.forEach((sampler, method) -> {
            Method flow = FLOW_VERSIONS.get(method);
            if (flow != null) {
                KNOWN_FLOW.putIfAbsent(DidYouMean.normalize(sampler), combine(sampler, flow, NORMAL));
                for (Schedule schedule : SCHEDULES) {
                    String name = sampler + " " + schedule.comfyName();
                    KNOWN_FLOW.putIfAbsent(DidYouMean.normalize(name), combine(name, flow, schedule));
                }
            }
        });
    }

    private SchedulerNames() {
    }

    private static void a1111(String name, Method method, Schedule schedule) {
        A1111.put(name, new Pairing(method, schedule));
    }

    private static void comfy(Method method, String... names) {
        for (String name : names) {
            COMFY_SAMPLERS.put(name, method);
        }
    }

    /** Adds a spelling; one that is already known must mean the same (the first spelling stays). */
    private static void know(String name, Known meaning) {
        Known before = KNOWN.putIfAbsent(DidYouMean.normalize(name), meaning);
        if (before != null && !before.sameMeaning(meaning)) {
            throw new IllegalStateException("scheduler name '" + name + "' would mean two things");
        }
    }

    /** What {@code method} with {@code schedule} means, or why it is refused. */
    private static Known combine(String name, Method method, Schedule schedule) {
        if (method.refusal() != null) {
            return new Known(null, method.refusal());
        }
        if (schedule.refusal() != null) {
            return new Known(null, "its schedule '" + schedule.comfyName() + "' " + schedule.refusal());
        }
        String className = method.className();
        if (schedule.viaSpacing() && !method.spacesTimesteps()) {
            return new Known(null, className + " sets its own timesteps (it ignores timestep_spacing)");
        }
        List<String> keys = configKeys(className);
        List<String> overrides = new ArrayList<>(method.overrides());
        for (String needed : schedule.needs()) {
            if (!keys.contains(key(needed))) {
                return new Known(null, "it needs " + needed + ", which " + className + " does not have");
            }
            overrides.add(needed);
        }
        for (String optional : schedule.whereKnown()) {
            if (keys.contains(key(optional))) {
                overrides.add(optional);
            }
        }
        String sampler = method.a1111Name();
        String scheduleType = schedule.a1111Type();
        for (Map.Entry<String, Pairing> a : A1111.entrySet()) {
            if (a.getValue().equals(new Pairing(method, schedule))) {
                sampler = a.getKey(); // the web UI's own name says the schedule, e.g. "LMS Karras"
                scheduleType = null;
            }
        }
        return new Known(new SchedulerChoice(name, className, overrides, sampler, scheduleType), null);
    }

    private static String key(String keyValue) {
        return keyValue.substring(0, keyValue.indexOf('='));
    }

    private static List<String> configKeys(String className) {
        try {
            return Schedulers.configType(className).getDeclaredConstructor().newInstance().keys();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(className + ".Config has no public no-argument constructor", e);
        }
    }

    /**
     * What a scheduler name stands for (see the class comment).
     *
     * @throws IllegalArgumentException naming the value: refused with the reason, or unknown with the closest
     *                                  accepted names and the list of accepted names
     */
    public static SchedulerChoice resolve(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("scheduler name is empty. Accepted: " + accepted());
        }
        Known known = KNOWN.get(DidYouMean.normalize(name));
        if (known == null) {
            throw new IllegalArgumentException("unknown scheduler '" + name + "'."
                    + DidYouMean.clause(name, acceptedNames()) + " Accepted: " + accepted());
        }
        if (known.refusal() != null) {
            throw new IllegalArgumentException("scheduler '" + name.strip() + "' is not supported: "
                    + known.refusal());
        }
        return known.choice();
    }

    /**
     * What a scheduler name stands for on a checkpoint of one family: {@code flowMatching} (SD3, FLUX: the checkpoint's
     * scheduler is a flow-matching one) or not. Names of another family's class are refused; on a flow-matching
     * checkpoint the web UI names of Euler and Heun stand for the flow-matching classes (see
     * {@link Schedulers#resolve(String, io.diffusers4j.config.ConfigBase)}).
     *
     * @throws IllegalArgumentException as {@link #resolve(String)}, or naming the value and why it does not fit the
     *                                  checkpoint
     */
    public static SchedulerChoice resolve(String name, boolean flowMatching) {
        SchedulerChoice choice = resolve(name);
        boolean flowChoice = Schedulers.isFlowMatching(choice.className());
        if (flowChoice == flowMatching) {
            return choice;
        }
        String shown = name.strip();
        if (!flowMatching) {
            throw new IllegalArgumentException("scheduler '" + shown + "' is not supported on this checkpoint: "
                    + choice.className() + " is a flow-matching scheduler (for SD3 / FLUX checkpoints), and this "
                    + "checkpoint's scheduler is not one");
        }
        Known flow = KNOWN_FLOW.get(DidYouMean.normalize(name));
        if (flow == null) {
            throw new IllegalArgumentException("scheduler '" + shown + "' is not supported on this flow-matching "
                    + "checkpoint: " + choice.className() + " is not a flow-matching scheduler; diffusers 0.30.3 has "
                    + "FlowMatchEulerDiscreteScheduler ('euler', 'Euler') and FlowMatchHeunDiscreteScheduler "
                    + "('heun', 'Heun') for it");
        }
        if (flow.refusal() != null) {
            throw new IllegalArgumentException("scheduler '" + shown + "' is not supported on this flow-matching "
                    + "checkpoint: " + flow.refusal());
        }
        return flow.choice();
    }

    /** {@link #resolve(String)} without the exceptions: empty for an unknown or refused name. */
    public static Optional<SchedulerChoice> find(String name) {
        Known known = name == null ? null : KNOWN.get(DidYouMean.normalize(name));
        return known == null ? Optional.empty() : Optional.ofNullable(known.choice());
    }

    /** Every accepted name in its canonical spelling: class names, web UI names, ComfyUI names. */
    public static List<String> acceptedNames() {
        List<String> names = new ArrayList<>();
        for (Known known : KNOWN.values()) {
            if (known.choice() != null) {
                names.add(known.choice().name());
            }
        }
        return names;
    }

    /** The web UI names this port runs, in table order. */
    public static List<String> a1111Names() {
        return A1111.keySet().stream().filter(name -> find(name).isPresent()).toList();
    }

    /** The ComfyUI sampler names this port runs, in table order. */
    public static List<String> comfySamplers() {
        return COMFY_SAMPLERS.keySet().stream().filter(name -> find(name).isPresent()).toList();
    }

    /** The ComfyUI scheduler names this port runs (with at least one sampler). */
    public static List<String> comfySchedules() {
        return SCHEDULES.stream().filter(s -> s.refusal() == null).map(Schedule::comfyName).toList();
    }

    /**
     * The web UI's sampler name for a diffusers class: that of the class's first method ({@code PNDMScheduler}:
     * {@code PLMS}, {@code DPMSolverMultistepScheduler}: {@code DPM++ 2M}); classes this port lacks included.
     */
    public static Optional<String> a1111Name(String className) {
        return METHODS.stream().filter(m -> className.equals(m.className()) && m.a1111Name() != null)
                .map(Method::a1111Name).findFirst();
    }

    private static String accepted() {
        return "diffusers classes " + Schedulers.available() + "; AUTOMATIC1111 samplers " + a1111Names()
                + "; ComfyUI '<sampler>' or '<sampler> <scheduler>' with sampler one of " + comfySamplers()
                + " and scheduler one of " + comfySchedules();
    }
}
