// Parity of FlowMatchEulerDiscreteScheduler with diffusers 0.30.3 (flow_match_refs.json.gz), and its behaviour.
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.diffusers4j.schedulers.FlowMatchReferences.doubleOrNull;
import static io.diffusers4j.schedulers.FlowMatchReferences.doublesOrNull;
import static io.diffusers4j.schedulers.FlowMatchReferences.intOrNull;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replays the FlowMatchEulerDiscreteScheduler cases of {@code schedulers/flow_match_refs.json.gz} (default, SD3,
 * FLUX.1-dev with dynamic shifting, FLUX.1-schnell, num_train_timesteps 100 / shift 1.7): effective config, the
 * construction tables, every schedule ({@code set_timesteps(n)} for n 1, 2, 4, 28, 50, FLUX's
 * {@code retrieve_timesteps(sigmas=np.linspace(1, 1/n, n), mu=...)} for nine mu values, arbitrary sigmas) EXACTLY
 * (every value float32, as diffusers' tables), step trajectories (float32 and float16, begin index, a repeated
 * timestep) and scale_noise within 1e-6 absolute, FluxPipeline's calculate_shift exactly, and diffusers' errors.
 */
class FlowMatchEulerDiscreteSchedulerTest {
    static final String CLASS = "FlowMatchEulerDiscreteScheduler";
    static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
        FlowMatchReferences.maxStepDiff = 0;
        FlowMatchReferences.maxScaleNoiseDiff = 0;
    }

    @AfterAll
    static void close() {
        manager.close();
        System.out.println("FlowMatchEulerDiscreteSchedulerTest: max |step - diffusers| " + FlowMatchReferences.maxStepDiff
                + ", max |scale_noise - diffusers| " + FlowMatchReferences.maxScaleNoiseDiff);
    }

    @TestFactory
    List<DynamicTest> constructionTables() {
        return FlowMatchReferences.casesOf(CLASS, FlowMatchReferences::checkConstruction);
    }

    @TestFactory
    List<DynamicTest> schedules() {
        return FlowMatchReferences.casesOf(CLASS, FlowMatchReferences::checkSchedules);
    }

    @TestFactory
    List<DynamicTest> trajectories() {
        return FlowMatchReferences.casesOf(CLASS, c -> FlowMatchReferences.checkTrajectories(c, manager));
    }

    @TestFactory
    List<DynamicTest> scaleNoise() {
        return FlowMatchReferences.casesOf(CLASS, c -> FlowMatchReferences.checkScaleNoise(c, manager));
    }

    @Test
    void calculateShiftIsFluxPipelines() {
        for (JsonElement e : FlowMatchReferences.refs().getAsJsonArray("calculate_shift")) {
            JsonObject r = e.getAsJsonObject();
            double mu = FlowMatchEulerDiscreteScheduler.calculateShift(r.get("image_seq_len").getAsLong(),
                    r.get("base_seq_len").getAsInt(), r.get("max_seq_len").getAsInt(),
                    r.get("base_shift").getAsDouble(), r.get("max_shift").getAsDouble());
            assertEquals(r.get("mu").getAsDouble(), mu, 0.0, r.toString());
        }
        try (FlowMatchEulerDiscreteScheduler flux = fluxDev()) {
            assertEquals(1.15, flux.calculateShift(4096), 0.0);
            assertEquals(0.63, flux.calculateShift(1024), 0.0);
        }
    }

    /**
     * diffusers' own ValueErrors (and Python's message for an unexpected {@code mu}) exactly, {@code <class '...X'>}
     * written as {@code X}; where Python, numpy or torch fail inside diffusers (no steps, a negative count, an unknown
     * timestep, stepping past the end) this port refuses the call with its own message.
     */
    @TestFactory
    List<DynamicTest> errors() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonObject e : FlowMatchReferences.errorsOf(CLASS)) {
            tests.add(DynamicTest.dynamicTest(e.get("name").getAsString(), () -> checkError(e, manager)));
        }
        return tests;
    }

    static void checkError(JsonObject e, NDManager manager) {
        String name = e.get("name").getAsString();
        JsonObject json = e.getAsJsonObject("config_json").deepCopy();
        json.addProperty("_class_name", e.get("class").getAsString());
        RuntimeException thrown;
        try (Scheduler s = Schedulers.fromConfig(json, name); NDManager m = manager.newSubManager()) {
            thrown = assertThrows(RuntimeException.class, () -> invalidCall(name, s, m), name);
        }
        assertTrue(thrown instanceof IllegalArgumentException || thrown instanceof IllegalStateException,
                name + ": " + thrown);
        String raisedBy = e.get("raised_by").getAsString();
        if (raisedBy.equals("diffusers") || e.get("type").getAsString().equals("TypeError")
                && e.get("error").getAsString().contains("unexpected keyword")) {
            String expected = e.get("error").getAsString().replaceAll("<class '[\\w.]*\\.(\\w+)'>", "$1");
            assertEquals(expected, thrown.getMessage(), name);
        }
    }

    /** The recorded invalid calls, as a pipeline makes them. */
    static void invalidCall(String name, Scheduler s, NDManager m) {
        double[] flux4 = SchedulerMath.npLinspace(1.0, 1.0 / 4, 4);
        NDArray sample = m.zeros(FlowMatchReferences.SHAPE);
        NDArray velocity = m.ones(FlowMatchReferences.SHAPE);
        switch (name) {
            case "dynamic_without_mu" -> s.setTimesteps(4);
            case "dynamic_sigmas_without_mu" -> Schedulers.retrieveTimesteps(s, 4, null, flux4);
            case "custom_timesteps" -> Schedulers.retrieveTimesteps(s, 10, new double[] {999, 500, 20}, null);
            case "timesteps_and_sigmas" -> Schedulers.retrieveTimesteps(s, 10, new double[] {999, 500},
                    new double[] {1.0, 0.5});
            case "heun_custom_sigmas" -> Schedulers.retrieveTimesteps(s, 10, null, flux4);
            case "heun_mu" -> Schedulers.retrieveTimesteps(s, 4, null, null, 0.5);
            case "no_steps" -> s.setTimesteps(null, null, null);
            case "negative_steps" -> s.setTimesteps(-1);
            case "step_unknown_timestep" -> {
                s.setTimesteps(4);
                s.step(velocity, 123.0, sample);
            }
            case "step_past_end" -> {
                s.setTimesteps(2);
                for (int k = 0; k < 3; k++) {
                    sample = s.step(velocity, s.timesteps()[Math.min(k, 1)], sample).prevSample();
                }
            }
            case "heun_scale_noise_two_rows" -> {
                s.setTimesteps(4);
                double t = s.timesteps()[1];
                ((FlowMatchScheduler<?>) s).scaleNoise(sample, new double[] {t, t}, velocity);
            }
            default -> throw new AssertionError("no Java call for recorded error " + name);
        }
    }

    // ---------------------------------------------------------------- behaviour

    static final String FLUX_DEV_JSON = """
            {"_class_name": "FlowMatchEulerDiscreteScheduler", "_diffusers_version": "0.30.0.dev0",
             "base_image_seq_len": 256, "base_shift": 0.5, "max_image_seq_len": 4096, "max_shift": 1.15,
             "num_train_timesteps": 1000, "shift": 3.0, "use_dynamic_shifting": true}""";
    static final String SD3_JSON = """
            {"_class_name": "FlowMatchEulerDiscreteScheduler", "_diffusers_version": "0.29.0.dev0",
             "num_train_timesteps": 1000, "shift": 3.0}""";

    static FlowMatchEulerDiscreteScheduler fluxDev() {
        return (FlowMatchEulerDiscreteScheduler) Schedulers.fromConfig(JsonParser.parseString(FLUX_DEV_JSON)
                .getAsJsonObject(), "flux-dev");
    }

    static FlowMatchEulerDiscreteScheduler sd3() {
        return (FlowMatchEulerDiscreteScheduler) Schedulers.fromConfig(JsonParser.parseString(SD3_JSON)
                .getAsJsonObject(), "sd3");
    }

    @Test
    void dynamicShiftingNeedsMuAndOtherwiseIgnoresIt() {
        try (FlowMatchEulerDiscreteScheduler flux = fluxDev(); FlowMatchEulerDiscreteScheduler sd3 = sd3();
             Scheduler sd3WithMu = sd3.copy()) {
            double[] sigmas = SchedulerMath.npLinspace(1.0, 1.0 / 8, 8);
            for (Runnable call : List.<Runnable>of(() -> flux.setTimesteps(8),
                    () -> flux.setTimesteps(8, null, null), () -> flux.setTimesteps(null, null, sigmas, null),
                    () -> Schedulers.retrieveTimesteps(flux, 8, null, sigmas))) {
                IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, call::run);
                assertEquals(FlowMatchEulerDiscreteScheduler.MU_REQUIRED, ex.getMessage());
            }
            assertEquals(8, Schedulers.retrieveTimesteps(flux, 999, null, sigmas, flux.calculateShift(4096)));
            assertEquals(8, flux.timesteps().length);
            assertEquals(9, flux.sigmas().length);
            assertEquals(0.0, flux.sigmas()[8]);
            sd3.setTimesteps(8);
            sd3WithMu.setTimesteps(8, null, null, 0.7);
            assertArrayEquals(sd3.timesteps(), sd3WithMu.timesteps(), "mu is ignored without dynamic shifting");
            assertArrayEquals(sd3.sigmas(), sd3WithMu.sigmas());
            assertTrue(flux.acceptsMu() && flux.acceptsCustomSigmas() && !flux.acceptsCustomTimesteps());
        }
    }

    @Test
    void stepIndexBeginsAtTheBeginIndexOrTheTimestepAndSetTimestepsClearsBoth() {
        try (FlowMatchEulerDiscreteScheduler s = sd3(); NDManager m = manager.newSubManager()) {
            s.setTimesteps(6);
            double[] ts = s.timesteps();
            NDArray x = m.ones(new Shape(1, 2));
            NDArray velocity = m.ones(new Shape(1, 2));
            s.setBeginIndex(3);
            assertNull(s.stepIndex());
            NDArray prev = s.step(velocity, ts[0], x).prevSample(); // the begin index wins over the timestep
            assertEquals(4, s.stepIndex());
            assertEquals(1 + (s.sigmas()[4] - s.sigmas()[3]), prev.toFloatArray()[0], 1e-7);
            assertSame(m, prev.getManager());
            s.setTimesteps(6);
            assertNull(s.stepIndex());
            assertNull(s.beginIndex());
            s.step(velocity, ts[2], x);
            assertEquals(3, s.stepIndex(), "found by its timestep");
            s.step(velocity, 12345.0, x); // later calls only advance the index
            assertEquals(4, s.stepIndex());
        }
    }

    @Test
    void noBetasNoInputScalingNoAddNoise() {
        try (FlowMatchEulerDiscreteScheduler s = sd3(); NDManager m = manager.newSubManager()) {
            assertEquals(1, s.order());
            assertEquals(1.0, s.initNoiseSigma());
            assertNull(s.alphasCumprod());
            NDArray x = m.ones(new Shape(1, 2));
            assertSame(x, s.scaleModelInput(x, 1000.0));
            UnsupportedOperationException ex = assertThrows(UnsupportedOperationException.class,
                    () -> s.addNoise(x, x, new double[] {1000.0}));
            assertTrue(ex.getMessage().contains("scaleNoise"), ex.getMessage());
            assertEquals(1000, s.timesteps().length, "before set_timesteps: the training timesteps, as diffusers");
        }
    }

    @Test
    void loadsFromASchedulerFolderAndSavesOnlyItsOwnKeys(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("scheduler_config.json"), FLUX_DEV_JSON);
        try (Scheduler s = Schedulers.fromPretrained(dir)) {
            FlowMatchEulerDiscreteScheduler flux = asFlowEuler(s);
            FlowMatchEulerDiscreteScheduler.Config c = flux.config();
            assertTrue(c.useDynamicShifting);
            assertEquals(3.0, c.shift);
            assertEquals(4096, c.maxImageSeqLen);
            assertEquals(List.of("num_train_timesteps", "shift", "use_dynamic_shifting", "base_shift", "max_shift",
                    "base_image_seq_len", "max_image_seq_len"), c.keys());
            JsonObject saved = c.toJson();
            for (String key : List.of("beta_start", "beta_schedule", "prediction_type", "timestep_spacing",
                    "steps_offset", "trained_betas")) {
                assertFalse(saved.has(key), key + " is not a key of FlowMatchEulerDiscreteScheduler");
            }
            assertEquals("FlowMatchEulerDiscreteScheduler", saved.get("_class_name").getAsString());
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> c.withOverrides(List.of("beta_start=0.1")));
            assertTrue(ex.getMessage().startsWith("unknown scheduler option 'beta_start'"), ex.getMessage());
            FlowMatchEulerDiscreteScheduler.Config shifted = c.withOverrides(List.of("shift=2.5"));
            assertEquals(2.5, shifted.shift);
            try (Scheduler copy = s.copy()) {
                assertEquals(FlowMatchEulerDiscreteScheduler.class, copy.getClass());
                assertEquals(saved, copy.config().toJson());
            }
        }
    }

    @Test
    void anIntegerShiftIsTheSameShift() {
        try (Scheduler s = Schedulers.fromConfig(JsonParser.parseString("""
                {"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": 3}""").getAsJsonObject(), "int");
             FlowMatchEulerDiscreteScheduler sd3 = sd3()) {
            s.setTimesteps(28);
            sd3.setTimesteps(28);
            assertArrayEquals(sd3.sigmas(), s.sigmas());
        }
    }

    private static FlowMatchEulerDiscreteScheduler asFlowEuler(Scheduler s) {
        assertEquals(FlowMatchEulerDiscreteScheduler.class, s.getClass());
        return (FlowMatchEulerDiscreteScheduler) s;
    }

    /** A hostile or broken scheduler_config.json is refused naming the file and the key, before any table is built. */
    @Test
    void invalidConfigValuesAreRefusedWithTheFileAndKey(@TempDir Path dir) throws IOException {
        String[][] bad = {
            {"\"num_train_timesteps\": 0", "num_train_timesteps"},
            {"\"num_train_timesteps\": 2000000000", "num_train_timesteps"},
            {"\"shift\": 0", "shift"},
            {"\"shift\": -3.0", "shift"},
            {"\"shift\": \"3\"", "shift"},
            {"\"base_shift\": NaN", "base_shift"},
            {"\"max_shift\": Infinity", "max_shift"},
            {"\"base_image_seq_len\": -256", "base_image_seq_len"},
            {"\"max_image_seq_len\": 1e12", "max_image_seq_len"},
            {"\"use_dynamic_shifting\": \"yes\"", "use_dynamic_shifting"},
        };
        for (String[] b : bad) {
            Path file = dir.resolve("scheduler_config.json");
            Files.writeString(file, "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", " + b[0] + "}");
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> Schedulers.fromPretrained(dir), b[0]);
            assertTrue(ex.getMessage().startsWith(file.toString() + ": "), ex.getMessage());
            assertTrue(ex.getMessage().contains("'" + b[1] + "'"), ex.getMessage());
        }
    }

    @Test
    void stepsAreBoundedLikeEveryScheduler() {
        try (FlowMatchEulerDiscreteScheduler s = sd3()) {
            assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(0));
            assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(1001));
            assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(null, null, new double[0]));
            s.setTimesteps(1000);
            assertEquals(1000, s.timesteps().length);
            s.setTimesteps(null, null, new double[] {1.0, 0.5, 0.25, 0.125, 0.01}); // any length of custom sigmas
            assertEquals(5, s.timesteps().length);
        }
    }

    @Test
    void customSigmasAreNotChanged() {
        try (FlowMatchEulerDiscreteScheduler s = fluxDev()) {
            double[] sigmas = {1.0, 0.5, 0.25};
            s.setTimesteps(null, null, sigmas, 1.0);
            assertArrayEquals(new double[] {1.0, 0.5, 0.25}, sigmas);
        }
    }

    @Test
    void recordedInputsHoldWhatTheReplayAssumes() {
        JsonObject refs = FlowMatchReferences.refs();
        assertEquals(List.of(2, 4, 4, 4), List.of(refs.getAsJsonArray("shape").get(0).getAsInt(),
                refs.getAsJsonArray("shape").get(1).getAsInt(), refs.getAsJsonArray("shape").get(2).getAsInt(),
                refs.getAsJsonArray("shape").get(3).getAsInt()));
        JsonObject call = refs.getAsJsonArray("cases").get(0).getAsJsonObject().getAsJsonArray("schedules").get(0)
                .getAsJsonObject().getAsJsonObject("call");
        assertEquals(1, intOrNull(call.get("n")));
        assertNull(doubleOrNull(call.get("mu")));
        assertNull(doublesOrNull(call.get("sigmas")));
    }
}
