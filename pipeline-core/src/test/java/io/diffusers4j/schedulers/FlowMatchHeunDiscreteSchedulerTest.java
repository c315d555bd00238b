// Parity of FlowMatchHeunDiscreteScheduler with diffusers 0.30.3 (flow_match_refs.json.gz), and its behaviour.
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replays the FlowMatchHeunDiscreteScheduler cases of {@code schedulers/flow_match_refs.json.gz} (default, SD3's
 * config, num_train_timesteps 100 / shift 1.7): construction tables and the interleaved schedules of
 * {@code set_timesteps(n)} exactly, trajectories (with the generator diffusers' step draws from, a begin index, a
 * repeated timestep) and scale_noise within 1e-6, and diffusers' errors.
 */
class FlowMatchHeunDiscreteSchedulerTest {
    static final String CLASS = "FlowMatchHeunDiscreteScheduler";
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
        System.out.println("FlowMatchHeunDiscreteSchedulerTest: max |step - diffusers| " + FlowMatchReferences.maxStepDiff
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

    @TestFactory
    List<DynamicTest> errors() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonObject e : FlowMatchReferences.errorsOf(CLASS)) {
            tests.add(DynamicTest.dynamicTest(e.get("name").getAsString(),
                    () -> FlowMatchEulerDiscreteSchedulerTest.checkError(e, manager)));
        }
        return tests;
    }

    @Test
    void secondOrderStateAndNoCustomSchedules() {
        try (FlowMatchHeunDiscreteScheduler s = new FlowMatchHeunDiscreteScheduler(
                new FlowMatchHeunDiscreteScheduler.Config()); NDManager m = manager.newSubManager()) {
            assertEquals(2, s.order());
            assertFalse(s.acceptsMu() || s.acceptsCustomSigmas() || s.acceptsCustomTimesteps());
            s.setTimesteps(3);
            assertEquals(5, s.timesteps().length);
            assertEquals(6, s.sigmas().length);
            NDArray x = m.ones(new Shape(1, 2));
            NDArray velocity = m.ones(new Shape(1, 2));
            assertTrue(s.stateInFirstOrder());
            s.step(velocity, s.timesteps()[0], x);
            assertFalse(s.stateInFirstOrder());
            s.setTimesteps(3); // clears the first-order state
            assertTrue(s.stateInFirstOrder());
            assertNull(s.stepIndex());
            assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(null, null, new double[] {1.0, 0.5}));
            assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(3, null, null, 1.0));
            assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(null, null, null, null));
        }
    }
}
