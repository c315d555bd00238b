// from_config round trips, overrides, validation errors, noise draw order and memory ownership of the schedulers.
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.utils.TorchGenerator;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SchedulerBehaviourTest {
    static final Shape SHAPE = new Shape(2, 4, 4, 4);

    static Scheduler pipelineScheduler() {
        return Schedulers.fromPretrained(Fixtures.tinySd().resolve("scheduler"));
    }

    @Test
    void fromConfigKeepsForeignKeysAndRestoresThemOnTheWayBack() {
        DDIMScheduler ddim = Schedulers.fromConfig(DDIMScheduler.class, pipelineScheduler().config());
        assertFalse(ddim.config().clipSample); // from the file (PNDM does not use it; kept)
        assertFalse(ddim.config().setAlphaToOne);
        EulerDiscreteScheduler euler = Schedulers.fromConfig(EulerDiscreteScheduler.class, ddim.config());
        assertEquals("leading", euler.config().timestepSpacing); // explicit in the file, so passed on
        assertEquals(1, euler.config().stepsOffset);
        assertTrue(euler.config().extraKeys().containsKey("clip_sample"));
        assertEquals("EulerDiscreteScheduler", euler.config().className());
        DDIMScheduler back = Schedulers.fromConfig(DDIMScheduler.class, euler.config());
        assertFalse(back.config().clipSample);
        assertFalse(back.config().setAlphaToOne);
        assertTrue(back.config().extraKeys().containsKey("skip_prk_steps"));
    }

    @Test
    void fromConfigByClassIsTypedAndRefusesUnregisteredClasses() {
        try (EulerDiscreteScheduler euler = Schedulers.fromConfig(EulerDiscreteScheduler.class,
                pipelineScheduler().config())) {
            assertEquals("EulerDiscreteScheduler", euler.className());
            assertEquals(1, euler.config().stepsOffset); // from the tiny-sd PNDM config
        }
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Schedulers.fromConfig(UnregisteredEuler.class, pipelineScheduler().config()));
        assertTrue(ex.getMessage().contains("UnregisteredEuler is not registered"), ex.getMessage());
    }

    /** A subclass the registry does not know. */
    static class UnregisteredEuler extends EulerDiscreteScheduler {
        UnregisteredEuler(Config config) {
            super(config);
        }
    }

    @Test
    void defaultedKeysAreNotPassedOn() {
        DDIMScheduler ddim = new DDIMScheduler(SchedulerConfig.parse(new JsonObject(),
                DDIMScheduler.Config.class, "defaults"));
        // DDIM's default spacing "leading" was not given: Euler keeps its own default, like diffusers
        assertEquals("linspace",
                Schedulers.fromConfig(EulerDiscreteScheduler.class, ddim.config()).config().timestepSpacing);
    }

    @Test
    void overridesAreTypedAndChecked() {
        Scheduler s = Schedulers.create("DPMSolverMultistepScheduler", pipelineScheduler().config(),
                List.of("use_karras_sigmas=true", "solver_order=3", "algorithm_type=sde-dpmsolver++"));
        DPMSolverMultistepScheduler.Config c = (DPMSolverMultistepScheduler.Config) s.config();
        assertTrue(c.useKarrasSigmas);
        assertEquals(3, c.solverOrder);
        assertEquals("sde-dpmsolver++", c.algorithmType);
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Schedulers.create(
                "EulerDiscreteScheduler", pipelineScheduler().config(), List.of("use_karas_sigmas=true")));
        assertTrue(unknown.getMessage().contains("use_karas_sigmas"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Schedulers.create("EulerDiscreteScheduler",
                pipelineScheduler().config(), List.of("use_karras_sigmas=yes")));
        assertThrows(IllegalArgumentException.class, () -> Schedulers.create("EulerDiscreteScheduler",
                pipelineScheduler().config(), List.of("steps_offset=1.5")));
    }

    @Test
    void badValuesAreRefusedQuotingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Schedulers.create("NoSuchScheduler", pipelineScheduler().config()));
        assertTrue(e.getMessage().contains("NoSuchScheduler") && e.getMessage().contains("EulerDiscreteScheduler"));
        for (String[] bad : new String[][] {{"beta_schedule", "cubic"}, {"prediction_type", "noise"},
            {"timestep_spacing", "middle"}}) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Schedulers.create(
                    "DDIMScheduler", pipelineScheduler().config(), List.of(bad[0] + "=" + bad[1])));
            assertTrue(ex.getMessage().contains(bad[1]), ex.getMessage());
        }
        IllegalArgumentException alg = assertThrows(IllegalArgumentException.class, () -> Schedulers.create(
                "DPMSolverMultistepScheduler", pipelineScheduler().config(), List.of("algorithm_type=dpm3")));
        assertTrue(alg.getMessage().contains("dpm3"));
        for (String name : Schedulers.available()) {
            Scheduler s = Schedulers.isFlowMatching(name)
                    ? Schedulers.create(name, new FlowMatchEulerDiscreteScheduler.Config())
                    : Schedulers.create(name, pipelineScheduler().config());
            assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(0), name);
            assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(1001), name);
        }
    }

    /** Runs {@code steps} steps with one seeded generator and returns the generator. */
    static TorchGenerator run(String name, int steps, double eta, List<String> overrides) {
        TorchGenerator g = new TorchGenerator(3000);
        try (Scheduler s = Schedulers.create(name, pipelineScheduler().config(), overrides);
             NDManager m = NDManager.newBaseManager()) {
            s.setTimesteps(steps);
            NDArray sample = m.randomNormal(SHAPE);
            for (double t : s.timesteps()) {
                try (NDManager step = m.newSubManager()) {
                    sample.attach(step);
                    NDArray mo = step.randomNormal(SHAPE);
                    NDArray prev = s.step(mo, t, s.scaleModelInput(sample, t), eta, List.of(g)).prevSample();
                    assertSame(step, prev.getManager(), name + ": prev_sample must belong to the sample's manager");
                    sample = prev;
                    sample.attach(m);
                }
            }
        }
        return g;
    }

    /** A generator advanced by {@code draws} randn draws of SHAPE. */
    static TorchGenerator after(int draws) {
        TorchGenerator g = new TorchGenerator(3000);
        for (int i = 0; i < draws; i++) {
            g.randn(SHAPE.getShape());
        }
        return g;
    }

    static void assertSameState(TorchGenerator expected, TorchGenerator actual, String what) {
        assertEquals(expected.nextUint32(), actual.nextUint32(), what);
    }

    @Test
    void noiseDrawOrderFollowsDiffusers() {
        assertSameState(after(4), run("EulerDiscreteScheduler", 4, 0, List.of()), "Euler draws every step");
        assertSameState(after(4), run("EulerAncestralDiscreteScheduler", 4, 0, List.of()), "Euler a every step");
        assertSameState(after(0), run("DDIMScheduler", 4, 0, List.of()), "DDIM eta=0 draws nothing");
        assertSameState(after(4), run("DDIMScheduler", 4, 1.0, List.of()), "DDIM eta>0 draws every step");
        assertSameState(after(3), run("LCMScheduler", 4, 0, List.of()), "LCM draws but on the last step");
        assertSameState(after(4), run("DPMSolverMultistepScheduler", 4, 0,
                List.of("algorithm_type=sde-dpmsolver++")), "SDE-DPM++ draws every step");
        assertSameState(after(0), run("DPMSolverMultistepScheduler", 4, 0, List.of()), "DPM++ draws nothing");
        // DDPM draws while t > 0: with steps_offset 1 every timestep is > 0
        assertSameState(after(4), run("DDPMScheduler", 4, 0, List.of()), "DDPM draws while t > 0");
        assertSameState(after(3), run("DDPMScheduler", 4, 0, List.of("steps_offset=0")), "DDPM t=0 draws nothing");
    }

    @Test
    void karrasSigmasFollowTheFormula() {
        EulerDiscreteScheduler s = (EulerDiscreteScheduler) Schedulers.create("EulerDiscreteScheduler",
                pipelineScheduler().config(), List.of("timestep_spacing=linspace"));
        EulerDiscreteScheduler k = (EulerDiscreteScheduler) Schedulers.create("EulerDiscreteScheduler",
                pipelineScheduler().config(), List.of("use_karras_sigmas=true", "timestep_spacing=linspace"));
        int n = 10;
        s.setTimesteps(n);
        k.setTimesteps(n);
        double[] base = s.sigmas();
        double[] sig = k.sigmas();
        double max = base[0];
        double min = base[n - 1];
        double rho = 7;
        for (int i = 0; i < n; i++) {
            double ramp = i / (double) (n - 1);
            double expect = Math.pow(Math.pow(max, 1 / rho) + ramp * (Math.pow(min, 1 / rho)
                    - Math.pow(max, 1 / rho)), rho);
            assertEquals(expect, sig[i], 1e-6 * expect, "karras sigma " + i);
            assertTrue(i == 0 || sig[i] < sig[i - 1]);
        }
        assertEquals(0.0, sig[n]);
        assertEquals((float) max, (float) k.initNoiseSigma());
        assertEquals(999.0, k.timesteps()[0], 1e-3);
    }

    @Test
    void heunIsSecondOrderAndKeepsStateOutsideTheCallersManager() {
        try (Scheduler s = Schedulers.create("HeunDiscreteScheduler", pipelineScheduler().config());
             NDManager m = NDManager.newBaseManager()) {
            assertEquals(2, s.order());
            s.setTimesteps(3);
            double[] t = s.timesteps();
            assertEquals(5, t.length);
            assertEquals(t[1], t[2]);
            NDArray sample = m.randomNormal(SHAPE);
            for (double ts : t) {
                try (NDManager step = m.newSubManager()) { // closed after each step, as a pipeline does
                    sample.attach(step);
                    sample = s.step(step.randomNormal(SHAPE), ts, s.scaleModelInput(sample, ts)).prevSample();
                    sample.attach(m);
                }
            }
            assertFalse(Float.isNaN(sample.sum().getFloat()));
            Scheduler copy = s.copy();
            assertNotSame(s, copy);
            assertEquals(s.config().toJson(), copy.config().toJson());
            assertEquals(null, copy.stepIndex());
        }
    }
}
