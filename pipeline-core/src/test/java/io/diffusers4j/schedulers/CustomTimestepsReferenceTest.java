// Parity of set_timesteps(timesteps=...) / set_timesteps(sigmas=...) and retrieve_timesteps with diffusers 0.30.3.
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.utils.TorchGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.diffusers4j.schedulers.DiffusersReferenceTest.doubles;
import static io.diffusers4j.schedulers.DiffusersReferenceTest.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Replays {@code schedulers/custom_timesteps.json.gz} (see {@code schedulers/README.md}): custom schedules given
 * through diffusers' {@code retrieve_timesteps} to DDPM, Euler (timesteps and sigmas), Heun, DPM-Solver and LCM —
 * the step count it returns, timesteps exactly, sigmas exactly (float32), init_noise_sigma, LCM's warnings, a
 * trajectory and add_noise (rtol 1e-5, as {@link DiffusersReferenceTest}) — and the exact messages of the refused
 * combinations.
 */
class CustomTimestepsReferenceTest {
    static JsonObject refs;
    static NDManager manager;

    @BeforeAll
    static void load() throws Exception {
        refs = DiffusersReferenceTest.readGzipJson("/schedulers/custom_timesteps.json.gz");
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static double[] orNull(JsonObject c, String key) {
        JsonElement e = c.get(key);
        return e == null || e.isJsonNull() ? null : doubles(e.getAsJsonArray());
    }

    static Scheduler build(JsonObject c) {
        JsonObject withPipe = c.deepCopy();
        withPipe.addProperty("from_pipeline_config", true);
        return DiffusersReferenceTest.build(withPipe, refs.getAsJsonObject("pipeline_config"));
    }

    @TestFactory
    List<DynamicTest> cases() {
        return DiffusersReferenceTest.dynamicTests(refs.getAsJsonArray("cases"), this::check);
    }

    void check(JsonObject c) {
        String name = c.get("name").getAsString();
        double[] ts = orNull(c, "custom_timesteps");
        double[] sigmas = orNull(c, "custom_sigmas");
        try (Scheduler s = build(c)) {
            assertEquals(c.get("order").getAsInt(), s.order(), name + " order");
            int n = Schedulers.retrieveTimesteps(s, 999_999, ts, sigmas);
            assertEquals(c.get("num_inference_steps").getAsInt(), n, name + " num_inference_steps");
            double[] rt = doubles(c.getAsJsonArray("timesteps"));
            double[] mt = s.timesteps();
            assertEquals(rt.length, mt.length, name + " timesteps length");
            for (int i = 0; i < rt.length; i++) {
                assertEquals(rt[i], mt[i], 0.0, name + " timesteps[" + i + "]");
            }
            assertEquals((float) c.get("init_noise_sigma").getAsDouble(), (float) s.initNoiseSigma(),
                    name + " init_noise_sigma");
            if (c.has("sigmas")) {
                float[] rs = floats(c.get("sigmas").getAsString());
                double[] ms = s.sigmas();
                assertEquals(rs.length, ms.length, name + " sigmas length");
                for (int i = 0; i < rs.length; i++) {
                    assertEquals(rs[i], (float) ms[i], name + " sigmas[" + i + "]");
                }
            }
        }
        if (c.get("class").getAsString().equals("LCMScheduler")) {
            try (LCMScheduler lcm = (LCMScheduler) build(c)) {
                List<String> expected = new ArrayList<>();
                c.getAsJsonArray("warnings").forEach(w -> expected.add(w.getAsString()));
                assertEquals(expected, lcm.customTimestepWarnings(ts, lcm.config().originalInferenceSteps),
                        name + " warnings");
            }
        }
        DiffusersReferenceTest.checkTrajectory(name, c, manager, () -> {
            Scheduler fresh = build(c);
            fresh.setTimesteps(null, ts, sigmas);
            return fresh;
        });
    }

    @TestFactory
    List<DynamicTest> refusals() {
        return DiffusersReferenceTest.dynamicTests(refs.getAsJsonArray("errors"), this::checkRefusal);
    }

    void checkRefusal(JsonObject c) {
        String name = c.get("name").getAsString();
        JsonElement steps = c.get("num_inference_steps");
        Integer n = steps.isJsonNull() ? null : steps.getAsInt();
        double[] ts = orNull(c, "custom_timesteps");
        double[] sigmas = orNull(c, "custom_sigmas");
        // diffusers names the class as "<class 'diffusers.schedulers.scheduling_x.XScheduler'>"
        String expected = c.get("error").getAsString().replaceAll("<class '[\\w.]*\\.(\\w+)'>", "$1");
        try (Scheduler s = build(c)) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> {
                        if (c.get("call").getAsString().equals("retrieve_timesteps")) {
                            Schedulers.retrieveTimesteps(s, n == null ? 10 : n, ts, sigmas);
                        } else {
                            s.setTimesteps(n, ts, sigmas);
                        }
                    }, name);
            assertEquals(expected, ex.getMessage(), name);
        }
    }

    @Test
    void acceptsCustomMatchesDiffusersSignatures() {
        Set<String> timesteps = Set.of("DDPMScheduler", "EulerDiscreteScheduler", "HeunDiscreteScheduler",
                "DPMSolverMultistepScheduler", "LCMScheduler");
        Set<String> sigmas = Set.of("EulerDiscreteScheduler", "FlowMatchEulerDiscreteScheduler");
        for (String cls : Schedulers.available()) {
            // a name builds a class of the checkpoint's family: flow-matching classes from a flow-matching config
            ConfigBase checkpoint = Schedulers.isFlowMatching(cls) ? new FlowMatchEulerDiscreteScheduler.Config()
                    : new PNDMScheduler.Config();
            try (Scheduler s = Schedulers.create(cls, checkpoint)) {
                assertEquals(timesteps.contains(cls), s.acceptsCustomTimesteps(), cls + " timesteps");
                assertEquals(sigmas.contains(cls), s.acceptsCustomSigmas(), cls + " sigmas");
                assertEquals(cls.equals("FlowMatchEulerDiscreteScheduler"), s.acceptsMu(), cls + " mu");
            }
        }
    }

    @Test
    void withoutCustomArraysRetrieveTimestepsIsSetTimesteps() {
        try (Scheduler s = Schedulers.create("HeunDiscreteScheduler", new PNDMScheduler.Config());
             Scheduler ref = s.copy()) {
            assertEquals(7, Schedulers.retrieveTimesteps(s, 7, null, null));
            ref.setTimesteps(7);
            assertArrayEquals(ref.timesteps(), s.timesteps());
            s.setTimesteps(7, null, null);
            assertArrayEquals(ref.timesteps(), s.timesteps());
        }
    }

    @Test
    void ddpmSpacedScheduleAfterACustomOneStepsLikeAFreshScheduler() {
        try (Scheduler s = Schedulers.create("DDPMScheduler", new PNDMScheduler.Config());
             Scheduler fresh = s.copy(); NDManager m = manager.newSubManager()) {
            s.setTimesteps(null, new double[] {999, 500, 10}, null);
            s.setTimesteps(4);
            fresh.setTimesteps(4);
            assertArrayEquals(fresh.timesteps(), s.timesteps());
            NDArray sample = m.ones(new Shape(1, 4, 2, 2));
            NDArray eps = m.ones(new Shape(1, 4, 2, 2)).mul(0.5f);
            double t = 500; // previous timestep 250 when spaced, 10 had the custom list stayed in force
            float[] mine = s.step(eps, t, sample, 0.0, List.of(new TorchGenerator(7))).prevSample().toFloatArray();
            float[] ref = fresh.step(eps, t, sample, 0.0, List.of(new TorchGenerator(7))).prevSample().toFloatArray();
            assertArrayEquals(ref, mine);
        }
    }

    @Test
    void emptyOrTooShortCustomArraysAreRefused() {
        for (String cls : List.of("DDPMScheduler", "EulerDiscreteScheduler", "HeunDiscreteScheduler",
                "DPMSolverMultistepScheduler", "LCMScheduler")) {
            try (Scheduler s = Schedulers.create(cls, new PNDMScheduler.Config())) {
                assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(null, new double[0], null), cls);
                assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(null, null, null), cls);
            }
        }
        try (Scheduler s = Schedulers.create("EulerDiscreteScheduler", new PNDMScheduler.Config())) {
            assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(null, null, new double[] {1.0}));
        }
    }
}
