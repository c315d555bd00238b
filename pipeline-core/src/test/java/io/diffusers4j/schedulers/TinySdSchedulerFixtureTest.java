// DDIM and PNDM against the tiny-sd fixture (schedulers.json and the .npy trajectories made by diffusers 0.30.3).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.utils.Npy;
import io.diffusers4j.utils.TorchGenerator;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The fixture's scheduler tables: timesteps for 1/4/20/50 steps exact, alphas_cumprod, 4-step trajectories. */
class TinySdSchedulerFixtureTest {

    static JsonObject fixture() {
        return ConfigBase.readJsonObject(Fixtures.expected("schedulers/schedulers.json"));
    }

    static Scheduler build(JsonObject entry) {
        JsonObject kw = entry.getAsJsonObject("constructor_kwargs").deepCopy();
        kw.addProperty("_class_name", entry.get("class").getAsString());
        return Schedulers.fromConfig(kw, entry.get("name").getAsString());
    }

    @Test
    void alphasCumprodMatchesBitForBit() {
        float[] ref = Fixtures.npy("schedulers/alphas_cumprod_sd15.npy").floats();
        Scheduler s = Schedulers.fromPretrained(Fixtures.tinySd().resolve("scheduler"));
        double[] mine = s.alphasCumprod();
        assertEquals(ref.length, mine.length);
        for (int i = 0; i < ref.length; i++) {
            assertEquals(ref[i], (float) mine[i], "alphas_cumprod[" + i + "]");
        }
    }

    @Test
    void pipelineConfigLoadsAsPndm() {
        Scheduler s = Schedulers.fromPretrained(Fixtures.tinySd().resolve("scheduler"));
        assertTrue(s instanceof PNDMScheduler);
        PNDMScheduler.Config c = (PNDMScheduler.Config) s.config();
        assertTrue(c.skipPrkSteps);
        assertEquals("scaled_linear", c.betaSchedule);
        assertEquals(1, c.stepsOffset);
        assertEquals(false, c.extraKeys().get("clip_sample").getAsBoolean()); // kept for other schedulers
        s.setTimesteps(3);
        assertArrayEquals(new double[] {667, 334, 334, 1}, s.timesteps()); // the fixture's pndm_3steps case
    }

    @TestFactory
    List<DynamicTest> entries() {
        List<DynamicTest> out = new ArrayList<>();
        for (JsonElement e : fixture().getAsJsonArray("entries")) {
            JsonObject entry = e.getAsJsonObject();
            String name = entry.get("name").getAsString();
            out.add(DynamicTest.dynamicTest(name + " tables", () -> tables(entry)));
            out.add(DynamicTest.dynamicTest(name + " trajectory", () -> trajectory(entry)));
        }
        return out;
    }

    void tables(JsonObject entry) {
        for (Map.Entry<String, JsonElement> t : entry.getAsJsonObject("set_timesteps").entrySet()) {
            try (Scheduler s = build(entry)) {
                s.setTimesteps(Integer.parseInt(t.getKey()));
                JsonObject ref = t.getValue().getAsJsonObject();
                double[] expected = ref.getAsJsonArray("timesteps").asList().stream()
                        .mapToDouble(JsonElement::getAsDouble).toArray();
                assertArrayEquals(expected, s.timesteps(), entry.get("name") + " n=" + t.getKey());
                assertEquals(ref.get("init_noise_sigma").getAsDouble(), s.initNoiseSigma());
            }
        }
    }

    void trajectory(JsonObject entry) {
        String name = entry.get("name").getAsString();
        JsonObject traj = entry.getAsJsonObject("step_trajectory");
        Npy.Array sample0 = Fixtures.npy("schedulers/" + name + "_sample0.npy");
        float[] outs = Fixtures.npy("schedulers/" + name + "_model_outputs.npy").floats();
        float[] scaled = Fixtures.npy("schedulers/" + name + "_scaled_inputs.npy").floats();
        float[] prevs = Fixtures.npy("schedulers/" + name + "_prev_samples.npy").floats();
        Shape shape = new Shape(sample0.shape());
        int per = (int) shape.size();
        try (Scheduler s = build(entry); NDManager m = NDManager.newBaseManager()) {
            s.setTimesteps(traj.get("num_inference_steps").getAsInt());
            double[] ts = s.timesteps();
            double[] refTs = traj.getAsJsonArray("timesteps").asList().stream()
                    .mapToDouble(JsonElement::getAsDouble).toArray();
            assertArrayEquals(refTs, ts);
            NDArray sample = m.create(sample0.floats(), shape);
            List<TorchGenerator> g = List.of(new TorchGenerator(3000));
            for (int k = 0; k < ts.length; k++) {
                try (NDManager step = m.newSubManager()) {
                    sample.attach(step);
                    NDArray mo = step.create(Arrays.copyOfRange(outs, k * per, (k + 1) * per), shape);
                    close(Arrays.copyOfRange(scaled, k * per, (k + 1) * per), s.scaleModelInput(sample, ts[k]),
                            name + " scaled " + k);
                    NDArray prev = s.step(mo, ts[k], sample, 0.0, g).prevSample();
                    close(Arrays.copyOfRange(prevs, k * per, (k + 1) * per), prev, name + " prev " + k);
                    sample = prev;
                    sample.attach(m);
                }
            }
        }
    }

    static void close(float[] ref, NDArray mine, String what) {
        float[] v = mine.toFloatArray();
        for (int i = 0; i < ref.length; i++) {
            if (Math.abs(v[i] - ref[i]) > 1e-5 * Math.abs(ref[i]) + 1e-6) {
                fail(what + ": element " + i + " " + v[i] + " vs diffusers " + ref[i]);
            }
        }
    }
}
