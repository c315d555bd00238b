// The web UI scheduler names (AUTOMATIC1111, ComfyUI): what each resolves to, what it builds, what is refused and why.
package io.diffusers4j.schedulers;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SchedulerNamesTest {

    /** The tiny-sd checkpoint's scheduler config (a PNDMScheduler's, as SD 1.5's). */
    static ConfigBase pipelineConfig() {
        try (Scheduler pipelineScheduler = Schedulers.fromPretrained(Fixtures.tinySd().resolve("scheduler"))) {
            return pipelineScheduler.config().copyConfig();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            Euler                  | EulerDiscreteScheduler          | use_karras_sigmas=false | Euler | -
            Euler a                | EulerAncestralDiscreteScheduler |  | Euler a | -
            DPM++ 2M               | DPMSolverMultistepScheduler | algorithm_type=dpmsolver++ solver_order=2 use_karras_sigmas=false | DPM++ 2M | -
            DPM++ 2M Karras        | DPMSolverMultistepScheduler | algorithm_type=dpmsolver++ solver_order=2 use_karras_sigmas=true | DPM++ 2M Karras | -
            DPM++ 2M SDE           | DPMSolverMultistepScheduler | algorithm_type=sde-dpmsolver++ solver_order=2 use_karras_sigmas=false | DPM++ 2M SDE | -
            DPM++ 2M SDE Karras    | DPMSolverMultistepScheduler | algorithm_type=sde-dpmsolver++ solver_order=2 use_karras_sigmas=true | DPM++ 2M SDE Karras | -
            Heun                   | HeunDiscreteScheduler   | use_karras_sigmas=false | Heun | -
            LMS                    | LMSDiscreteScheduler    | use_karras_sigmas=false | LMS | -
            LMS Karras             | LMSDiscreteScheduler    | use_karras_sigmas=true  | LMS Karras | -
            DDIM                   | DDIMScheduler           |  | DDIM | -
            PLMS                   | PNDMScheduler           | skip_prk_steps=true | PLMS | -
            UniPC                  | UniPCMultistepScheduler | solver_type=bh1 solver_order=3 use_karras_sigmas=false | UniPC | -
            LCM                    | LCMScheduler            |  | LCM | -
            euler                  | EulerDiscreteScheduler  | use_karras_sigmas=false | Euler | -
            euler normal           | EulerDiscreteScheduler  | use_karras_sigmas=false | Euler | -
            euler karras           | EulerDiscreteScheduler  | use_karras_sigmas=true  | Euler | Karras
            euler simple           | EulerDiscreteScheduler  | timestep_spacing=trailing use_karras_sigmas=false | Euler | Simple
            euler_ancestral        | EulerAncestralDiscreteScheduler |  | Euler a | -
            euler_ancestral sgm_uniform | EulerAncestralDiscreteScheduler | timestep_spacing=trailing | Euler a | SGM Uniform
            heun karras            | HeunDiscreteScheduler   | use_karras_sigmas=true | Heun | Karras
            lms karras             | LMSDiscreteScheduler    | use_karras_sigmas=true | LMS Karras | -
            dpmpp_2m               | DPMSolverMultistepScheduler | algorithm_type=dpmsolver++ solver_order=2 use_karras_sigmas=false | DPM++ 2M | -
            dpmpp_2m karras        | DPMSolverMultistepScheduler | algorithm_type=dpmsolver++ solver_order=2 use_karras_sigmas=true | DPM++ 2M Karras | -
            dpmpp_2m simple        | DPMSolverMultistepScheduler | algorithm_type=dpmsolver++ solver_order=2 timestep_spacing=trailing use_karras_sigmas=false | DPM++ 2M | Simple
            dpmpp_2m_sde           | DPMSolverMultistepScheduler | algorithm_type=sde-dpmsolver++ solver_order=2 use_karras_sigmas=false | DPM++ 2M SDE | -
            dpmpp_2m_sde_gpu karras | DPMSolverMultistepScheduler | algorithm_type=sde-dpmsolver++ solver_order=2 use_karras_sigmas=true | DPM++ 2M SDE Karras | -
            ddim                   | DDIMScheduler           |  | DDIM | -
            ddim sgm_uniform       | DDIMScheduler           | timestep_spacing=trailing | DDIM | SGM Uniform
            uni_pc                 | UniPCMultistepScheduler | solver_type=bh1 solver_order=3 use_karras_sigmas=false | UniPC | -
            uni_pc_bh2 karras      | UniPCMultistepScheduler | solver_type=bh2 solver_order=3 use_karras_sigmas=true | UniPC | Karras
            lcm                    | LCMScheduler            |  | LCM | -
            EulerDiscreteScheduler | EulerDiscreteScheduler  |  | Euler | -
            PNDMScheduler          | PNDMScheduler           |  | PLMS | -
            DDPMScheduler          | DDPMScheduler           |  | DDPMScheduler | -
            """)
    void everyNameResolvesToItsClassOverridesAndWebUiName(String name, String className, String overrides,
                                                          String a1111Sampler, String scheduleType) {
        SchedulerChoice choice = Schedulers.resolve(name);
        // one spelling per meaning: ComfyUI's "euler" is the web UI's "Euler"
        assertEquals(name.toLowerCase(Locale.ROOT), choice.name().toLowerCase(Locale.ROOT));
        assertEquals(className, choice.className());
        assertEquals(overrides == null ? List.of() : Arrays.asList(overrides.split(" ")), choice.overrides());
        assertEquals(a1111Sampler, choice.a1111Sampler());
        assertEquals(scheduleType, choice.a1111ScheduleType());
    }

    @Test
    void theNamesUsersBringAreAccepted() {
        assertTrue(SchedulerNames.a1111Names().containsAll(List.of("Euler", "Euler a", "DPM++ 2M", "DPM++ 2M Karras",
                "DPM++ 2M SDE", "DPM++ 2M SDE Karras", "Heun", "LMS", "LMS Karras", "DDIM", "PLMS", "UniPC", "LCM")),
                SchedulerNames.a1111Names().toString());
        assertEquals(List.of("euler", "euler_ancestral", "heun", "lms", "dpmpp_2m", "dpmpp_2m_sde", "dpmpp_2m_sde_gpu",
                "ddim", "uni_pc", "uni_pc_bh2", "lcm"), SchedulerNames.comfySamplers());
        assertEquals(List.of("normal", "karras", "simple", "sgm_uniform"), SchedulerNames.comfySchedules());
        List<String> accepted = SchedulerNames.acceptedNames();
        assertTrue(accepted.containsAll(Schedulers.available()));
        assertEquals(accepted.size(), accepted.stream().map(String::toLowerCase).distinct().count(),
                "each accepted spelling is listed once");
    }

    @Test
    void matchingIgnoresCaseAndSurroundingOrRepeatedWhitespace() {
        assertEquals("DPM++ 2M Karras", Schedulers.resolve("  dpm++ 2m   KARRAS\t").name());
        assertEquals("Euler a", Schedulers.resolve("EULER A").name());
        assertEquals("dpmpp_2m karras", Schedulers.resolve("DPMPP_2M  Karras").name());
        assertEquals("EulerDiscreteScheduler", Schedulers.resolve("eulerdiscretescheduler").name());
        assertEquals(DPMSolverMultistepScheduler.Config.class, Schedulers.configType("dpm++ 2m karras"));
        assertEquals(LMSDiscreteScheduler.Config.class, Schedulers.configType("LMSDiscreteScheduler"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Schedulers.configType("Eular a")).getMessage()
                .contains("Did you mean 'Euler a'?"));
        // the web UI's "Euler" and ComfyUI's "euler" are one spelling with one meaning
        assertEquals(Schedulers.resolve("euler").overrides(), Schedulers.resolve("euler normal").overrides());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            DPM2                    | it needs KDPM2DiscreteScheduler, which Diffusers4J does not implement
            DPM2 Karras             | it needs KDPM2DiscreteScheduler, which Diffusers4J does not implement
            DPM2 a                  | it needs KDPM2AncestralDiscreteScheduler, which Diffusers4J does not implement
            dpm_2_ancestral karras  | it needs KDPM2AncestralDiscreteScheduler, which Diffusers4J does not implement
            DPM++ SDE               | it needs DPMSolverSinglestepScheduler, which Diffusers4J does not implement
            dpmpp_sde_gpu           | it needs DPMSolverSinglestepScheduler, which Diffusers4J does not implement
            DPM++ 2S a              | diffusers has no scheduler for it
            DPM fast                | diffusers has no scheduler for it
            dpm_adaptive            | diffusers has no scheduler for it
            DPM++ 3M SDE Karras     | which has no third-order SDE update in diffusers 0.30.3
            dpmpp_3m_sde            | which has no third-order SDE update in diffusers 0.30.3
            deis                    | it needs DEISMultistepScheduler, which Diffusers4J does not implement
            euler_ancestral karras  | it needs use_karras_sigmas=true, which EulerAncestralDiscreteScheduler does not have
            ddim karras             | it needs use_karras_sigmas=true, which DDIMScheduler does not have
            lcm karras              | it needs use_karras_sigmas=true, which LCMScheduler does not have
            lcm sgm_uniform         | LCMScheduler sets its own timesteps (it ignores timestep_spacing)
            euler exponential       | its schedule 'exponential' needs use_exponential_sigmas, which diffusers 0.30.3 does not have
            dpmpp_2m beta           | its schedule 'beta' needs use_beta_sigmas, which diffusers 0.30.3 does not have
            euler ddim_uniform      | its schedule 'ddim_uniform' has no diffusers config that reproduces it
            """)
    void namesThisPortCannotRunAreRefusedWithTheReason(String name, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Schedulers.resolve(name));
        assertTrue(e.getMessage().startsWith("scheduler '" + name + "' is not supported: "), e.getMessage());
        assertTrue(e.getMessage().endsWith(reason), e.getMessage());
        assertTrue(SchedulerNames.find(name).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> Schedulers.create(name, pipelineConfig()));
    }

    @Test
    void unknownNamesGetTheClosestAcceptedNamesAndTheList() {
        IllegalArgumentException underscore = assertThrows(IllegalArgumentException.class,
                () -> Schedulers.resolve("dpmpp_2m_karras"));
        assertTrue(underscore.getMessage().startsWith("unknown scheduler 'dpmpp_2m_karras'. Did you mean "
                + "'dpmpp_2m karras'? Accepted: diffusers classes ["), underscore.getMessage());
        assertTrue(underscore.getMessage().contains("AUTOMATIC1111 samplers [Euler, Euler a, LMS, LMS Karras"),
                underscore.getMessage());
        assertTrue(underscore.getMessage().endsWith("and scheduler one of [normal, karras, simple, sgm_uniform]"),
                underscore.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Schedulers.resolve("DPM++ 2M Karas"))
                .getMessage().contains("Did you mean 'DPM++ 2M Karras'?"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Schedulers.resolve("EulerDiscrete"))
                .getMessage().contains("Did you mean 'EulerDiscreteScheduler'?"));
        IllegalArgumentException far = assertThrows(IllegalArgumentException.class,
                () -> Schedulers.resolve("NoSuchScheduler"));
        assertTrue(far.getMessage().startsWith("unknown scheduler 'NoSuchScheduler'. Accepted: "), far.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Schedulers.resolve(" "))
                .getMessage().startsWith("scheduler name is empty. Accepted: "));
        assertThrows(IllegalArgumentException.class, () -> Schedulers.resolve(null));
    }

    /** SD3's scheduler config (flow matching, shift 3.0). */
    static ConfigBase flowConfig() {
        return Schedulers.fromConfig(JsonParser.parseString("""
                {"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": 3.0}""")
                .getAsJsonObject(), "sd3").config();
    }

    /** A checkpoint config of the family of the class a name builds. */
    static ConfigBase checkpointFor(SchedulerChoice choice, ConfigBase pipe) {
        return Schedulers.isFlowMatching(choice.className()) ? flowConfig() : pipe;
    }

    @Test
    void everyAcceptedNameBuildsItsClassWithTheOverridesInTheConfig() {
        ConfigBase sd = pipelineConfig();
        for (String name : SchedulerNames.acceptedNames()) {
            SchedulerChoice choice = Schedulers.resolve(name);
            ConfigBase pipe = checkpointFor(choice, sd);
            try (Scheduler scheduler = Schedulers.create(name, pipe)) {
                assertEquals(choice.className(), scheduler.className(), name);
                JsonObject config = scheduler.config().toJson();
                for (String override : choice.overrides()) {
                    String[] keyValue = override.split("=", 2);
                    assertEquals(keyValue[1], config.get(keyValue[0]).getAsString(), name + ": " + override);
                }
                scheduler.setTimesteps(12);
                assertTrue(scheduler.timesteps().length >= 12, name);
            }
        }
    }

    @Test
    void aNameFixesWhatItSaysOverThePipelineConfigAndGivenOverridesWin() {
        ConfigBase sdeKarras = SchedulerConfig.parse(JsonParser.parseString("""
                {"_class_name": "DPMSolverMultistepScheduler", "algorithm_type": "sde-dpmsolver++",
                 "use_karras_sigmas": true, "solver_order": 3, "beta_schedule": "scaled_linear",
                 "beta_start": 0.00085, "beta_end": 0.012, "timestep_spacing": "leading"}""").getAsJsonObject(),
                DPMSolverMultistepScheduler.Config.class, "sdxl-like");
        try (Scheduler plain = Schedulers.create("DPM++ 2M", sdeKarras);
             Scheduler karras = Schedulers.create("dpm++ 2m karras", sdeKarras, List.of("solver_order=3"))) {
            DPMSolverMultistepScheduler.Config c = (DPMSolverMultistepScheduler.Config) plain.config();
            assertEquals("dpmsolver++", c.algorithmType);
            assertFalse(c.useKarrasSigmas);
            assertEquals(2, c.solverOrder);
            assertEquals("leading", c.timestepSpacing); // not said by the name: the pipeline's
            assertEquals(0.012, c.betaEnd);
            DPMSolverMultistepScheduler.Config k = (DPMSolverMultistepScheduler.Config) karras.config();
            assertTrue(k.useKarrasSigmas);
            assertEquals(3, k.solverOrder); // the caller's override comes after the name's
        }
    }

    /** Timesteps and sigmas of a scheduler after {@code setTimesteps(steps)}. */
    private static double[][] schedule(Scheduler scheduler, int steps) {
        try (scheduler) {
            scheduler.setTimesteps(steps);
            return new double[][] {scheduler.timesteps(), scheduler.sigmas()};
        }
    }

    private static void assertSameSchedule(double[][] expected, double[][] actual, String name) {
        assertArrayEquals(expected[0], actual[0], name + " timesteps");
        assertArrayEquals(expected[1], actual[1], name + " sigmas");
    }

    @Test
    void aUiNameGivesExactlyTheScheduleOfItsClassConfiguredByHand() {
        ConfigBase pipe = pipelineConfig();
        DPMSolverMultistepScheduler.Config dpm =
                SchedulerConfig.convert(pipe, DPMSolverMultistepScheduler.Config.class);
        dpm.algorithmType = "sde-dpmsolver++";
        dpm.solverOrder = 2;
        dpm.useKarrasSigmas = true;
        double[][] byHand = schedule(new DPMSolverMultistepScheduler(dpm), 20);
        assertSameSchedule(byHand, schedule(Schedulers.create("DPM++ 2M SDE Karras", pipe), 20), "DPM++ 2M SDE Karras");
        assertSameSchedule(byHand, schedule(Schedulers.create("dpmpp_2m_sde karras", pipe), 20), "dpmpp_2m_sde karras");
        double[][] notKarras = schedule(Schedulers.create("DPM++ 2M SDE", pipe), 20);
        assertFalse(Arrays.equals(byHand[1], notKarras[1]), "Karras sigmas differ from the plain ones");

        LMSDiscreteScheduler.Config lms = SchedulerConfig.convert(pipe, LMSDiscreteScheduler.Config.class);
        lms.useKarrasSigmas = true;
        assertSameSchedule(schedule(new LMSDiscreteScheduler(lms), 15),
                schedule(Schedulers.create("LMS Karras", pipe), 15), "LMS Karras");

        EulerDiscreteScheduler.Config euler = SchedulerConfig.convert(pipe, EulerDiscreteScheduler.Config.class);
        euler.timestepSpacing = "trailing";
        double[][] trailing = schedule(new EulerDiscreteScheduler(euler), 10);
        assertSameSchedule(trailing, schedule(Schedulers.create("euler sgm_uniform", pipe), 10), "euler sgm_uniform");
        assertFalse(Arrays.equals(trailing[0], schedule(Schedulers.create("euler", pipe), 10)[0]),
                "trailing timesteps differ from the pipeline's spacing");

        UniPCMultistepScheduler.Config unipc = SchedulerConfig.convert(pipe, UniPCMultistepScheduler.Config.class);
        unipc.solverType = "bh1";
        unipc.solverOrder = 3;
        assertSameSchedule(schedule(new UniPCMultistepScheduler(unipc), 8),
                schedule(Schedulers.create("UniPC", pipe), 8), "UniPC");

        PNDMScheduler.Config plms = SchedulerConfig.convert(pipe, PNDMScheduler.Config.class);
        plms.skipPrkSteps = true;
        assertSameSchedule(schedule(new PNDMScheduler(plms), 9), schedule(Schedulers.create("PLMS", pipe), 9), "PLMS");
    }

    @Test
    void everyUiNameMatchesTheClassBuiltWithItsOverrides() {
        ConfigBase sd = pipelineConfig();
        for (String name : SchedulerNames.acceptedNames()) {
            SchedulerChoice choice = Schedulers.resolve(name);
            ConfigBase pipe = checkpointFor(choice, sd);
            assertSameSchedule(schedule(Schedulers.create(choice.className(), pipe, choice.overrides()), 7),
                    schedule(Schedulers.create(name, pipe), 7), name);
        }
    }

    @Test
    void webUiNamesOfClassesAreThoseOfTheirFirstMethod() {
        String[][] expected = {{"DDIMScheduler", "DDIM"}, {"PNDMScheduler", "PLMS"}, {"LMSDiscreteScheduler", "LMS"},
            {"EulerDiscreteScheduler", "Euler"}, {"EulerAncestralDiscreteScheduler", "Euler a"},
            {"HeunDiscreteScheduler", "Heun"}, {"KDPM2DiscreteScheduler", "DPM2"},
            {"KDPM2AncestralDiscreteScheduler", "DPM2 a"}, {"DPMSolverMultistepScheduler", "DPM++ 2M"},
            {"DPMSolverSinglestepScheduler", "DPM++ SDE"}, {"UniPCMultistepScheduler", "UniPC"},
            {"LCMScheduler", "LCM"}, {"FlowMatchEulerDiscreteScheduler", "Euler"},
            {"FlowMatchHeunDiscreteScheduler", "Heun"}};
        for (String[] pair : expected) {
            assertEquals(pair[1], SchedulerNames.a1111Name(pair[0]).orElse(null), pair[0]);
        }
        assertTrue(SchedulerNames.a1111Name("DDPMScheduler").isEmpty());
        assertNull(Schedulers.resolve("DDPMScheduler").a1111ScheduleType());
    }

    /** FLUX.1-dev's scheduler config (dynamic shifting). */
    static ConfigBase fluxConfig() {
        return Schedulers.fromConfig(JsonParser.parseString("""
                {"_class_name": "FlowMatchEulerDiscreteScheduler", "base_image_seq_len": 256, "base_shift": 0.5,
                 "max_image_seq_len": 4096, "max_shift": 1.15, "num_train_timesteps": 1000, "shift": 3.0,
                 "use_dynamic_shifting": true}""").getAsJsonObject(), "flux-dev").config();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            Euler                           | FlowMatchEulerDiscreteScheduler | Euler
            euler                           | FlowMatchEulerDiscreteScheduler | Euler
            EULER normal                    | FlowMatchEulerDiscreteScheduler | Euler
            FlowMatchEulerDiscreteScheduler | FlowMatchEulerDiscreteScheduler | Euler
            Heun                            | FlowMatchHeunDiscreteScheduler  | Heun
            heun normal                     | FlowMatchHeunDiscreteScheduler  | Heun
            FlowMatchHeunDiscreteScheduler  | FlowMatchHeunDiscreteScheduler  | Heun
            """)
    void onAFlowMatchingCheckpointEulerAndHeunAreItsSchedulers(String name, String className, String a1111) {
        SchedulerChoice choice = Schedulers.resolve(name, flowConfig());
        assertEquals(className, choice.className());
        assertEquals(List.of(), choice.overrides());
        assertEquals(a1111, choice.a1111Sampler());
        assertNull(choice.a1111ScheduleType());
        try (Scheduler scheduler = Schedulers.create(name, flowConfig())) {
            assertEquals(className, scheduler.className());
            assertEquals(3.0, ((FlowMatchConfig) scheduler.config()).shift, "the checkpoint's shift");
        }
        // the same name on an SD checkpoint: the classic schedulers (class names of the other family refused)
        if (!name.startsWith("FlowMatch")) {
            assertFalse(Schedulers.isFlowMatching(Schedulers.resolve(name, pipelineConfig()).className()), name);
        }
    }

    @Test
    void eulerOnFluxKeepsDynamicShiftingAndHeunIsRefusedThere() {
        try (Scheduler euler = Schedulers.create("euler", fluxConfig())) {
            assertTrue(((FlowMatchEulerDiscreteScheduler.Config) euler.config()).useDynamicShifting);
        }
        IllegalArgumentException heun = assertThrows(IllegalArgumentException.class,
                () -> Schedulers.create("heun", fluxConfig()));
        assertTrue(heun.getMessage().startsWith("scheduler 'heun' is not supported on this checkpoint: its scheduler "
                + "config sets use_dynamic_shifting=true"), heun.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            DPM++ 2M Karras        | EulerDiscreteScheduler is not a flow-matching scheduler|DPMSolverMultistepScheduler is not a flow-matching scheduler
            euler_ancestral        | EulerAncestralDiscreteScheduler is not a flow-matching scheduler|
            EulerDiscreteScheduler | EulerDiscreteScheduler is not a flow-matching scheduler|
            euler karras           | it needs use_karras_sigmas=true, which FlowMatchEulerDiscreteScheduler does not have|
            euler simple           | FlowMatchEulerDiscreteScheduler sets its own timesteps|
            heun sgm_uniform       | FlowMatchHeunDiscreteScheduler sets its own timesteps|
            """)
    void onAFlowMatchingCheckpointOtherMethodsAndSchedulesAreRefused(String name, String reason, String altReason) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Schedulers.create(name, flowConfig()));
        assertTrue(ex.getMessage().startsWith("scheduler '" + name + "' is not supported on this flow-matching "
                + "checkpoint: "), ex.getMessage());
        assertTrue(ex.getMessage().contains(reason) || altReason != null && ex.getMessage().contains(altReason),
                ex.getMessage());
    }

    @Test
    void aFlowMatchingSchedulerIsRefusedOnOtherCheckpoints() {
        for (String name : List.of("FlowMatchEulerDiscreteScheduler", "flowmatchheundiscretescheduler")) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> Schedulers.create(name, pipelineConfig()));
            assertTrue(ex.getMessage().contains("is a flow-matching scheduler (for SD3 / FLUX checkpoints), and this "
                    + "checkpoint's scheduler is not one"), ex.getMessage());
        }
        // diffusers' from_config itself (no name) converts between any two classes, as in Python
        try (FlowMatchEulerDiscreteScheduler s = Schedulers.fromConfig(FlowMatchEulerDiscreteScheduler.class,
                pipelineConfig())) {
            assertEquals(1.0, s.config().shift);
        }
    }
}
