// Replays schedulers/flow_match_refs.json.gz (diffusers 0.30.3's flow-matching schedulers) for the scheduler tests.
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.utils.TorchGenerator;
import org.junit.jupiter.api.DynamicTest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static io.diffusers4j.schedulers.DiffusersReferenceTest.doubles;
import static io.diffusers4j.schedulers.DiffusersReferenceTest.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The recorded flow-matching cases (see {@code schedulers/README.md}) and how to replay them: each scheduler is built
 * from the case's {@code config_json} through the registry ({@code _class_name}), schedules are set as recorded
 * ({@code set_timesteps} keywords, or FluxPipeline's {@code retrieve_timesteps}), tables are compared exactly (float32
 * values, as doubles), step and scale_noise outputs to {@link #TOLERANCE} absolute (they are O(1)); the largest
 * differences seen are kept in {@link #maxStepDiff} / {@link #maxScaleNoiseDiff} for the report.
 */
final class FlowMatchReferences {
    /** Step / scale_noise outputs: largest allowed absolute difference (the values are of order 1). */
    static final double TOLERANCE = 1e-6;
    static final Shape SHAPE = new Shape(2, 4, 4, 4);
    private static JsonObject refs;
    static double maxStepDiff;
    static double maxScaleNoiseDiff;

    private FlowMatchReferences() {
    }

    static synchronized JsonObject refs() {
        if (refs == null) {
            try {
                refs = DiffusersReferenceTest.readGzipJson("/schedulers/flow_match_refs.json.gz");
            } catch (Exception e) {
                throw new IllegalStateException("cannot read schedulers/flow_match_refs.json.gz", e);
            }
        }
        return refs;
    }

    /** The recorded cases of one class, as dynamic tests running {@code check}. */
    static List<DynamicTest> casesOf(String className, Consumer<JsonObject> check) {
        JsonArray selected = new JsonArray();
        for (JsonElement e : refs().getAsJsonArray("cases")) {
            if (e.getAsJsonObject().get("class").getAsString().equals(className)) {
                selected.add(e);
            }
        }
        assertTrue(selected.size() > 0, "no recorded case of " + className);
        return DiffusersReferenceTest.dynamicTests(selected, check);
    }

    /** {@code XScheduler.from_config(config_json)} through the registry: {@code _class_name} set to the case's class. */
    static FlowMatchScheduler<?> build(JsonObject c) {
        JsonObject json = c.getAsJsonObject("config_json").deepCopy();
        json.addProperty("_class_name", c.get("class").getAsString());
        Scheduler s = Schedulers.fromConfig(json, c.get("name").getAsString());
        assertEquals(c.get("class").getAsString(), s.className());
        return (FlowMatchScheduler<?>) s;
    }

    static Integer intOrNull(JsonElement e) {
        return e == null || e.isJsonNull() ? null : e.getAsInt();
    }

    static Double doubleOrNull(JsonElement e) {
        return e == null || e.isJsonNull() ? null : e.getAsDouble();
    }

    static double[] doublesOrNull(JsonElement e) {
        return e == null || e.isJsonNull() ? null : doubles(e.getAsJsonArray());
    }

    /**
     * Sets the schedule a recorded {@code call} describes; returns what {@code retrieve_timesteps} returned, or null
     * for a plain {@code set_timesteps}.
     */
    static Integer apply(Scheduler s, JsonObject call) {
        Integer n = intOrNull(call.get("n"));
        double[] sigmas = doublesOrNull(call.get("sigmas"));
        Double mu = doubleOrNull(call.get("mu"));
        if (call.get("via").getAsString().equals("retrieve_timesteps")) {
            return Schedulers.retrieveTimesteps(s, n, null, sigmas, mu);
        }
        s.setTimesteps(n, null, sigmas, mu);
        return null;
    }

    /** The case's effective config (its typed keys), the training tables, sigma_min / sigma_max and the order. */
    static void checkConstruction(JsonObject c) {
        String name = c.get("name").getAsString();
        try (FlowMatchScheduler<?> s = build(c)) {
            assertEquals(c.get("order").getAsInt(), s.order(), name + " order");
            JsonObject mine = s.config().toJson();
            for (Map.Entry<String, JsonElement> e : c.getAsJsonObject("config").entrySet()) {
                if (e.getKey().startsWith("_")) {
                    continue;
                }
                JsonElement v = mine.get(e.getKey());
                assertNotNull(v, name + ": config key " + e.getKey());
                if (e.getValue().getAsJsonPrimitive().isNumber()) {
                    assertEquals(e.getValue().getAsDouble(), v.getAsDouble(), 0.0, name + " " + e.getKey());
                } else {
                    assertEquals(e.getValue(), v, name + " " + e.getKey());
                }
            }
            assertEquals(s.config().keys().size(), c.getAsJsonObject("config").keySet().stream()
                    .filter(k -> !k.startsWith("_")).count(), name + ": the keys of diffusers' __init__ "
                    + s.config().keys());
            assertExact(floats(c.get("train_timesteps").getAsString()), s.timesteps(), name + " training timesteps");
            assertExact(floats(c.get("train_sigmas").getAsString()), s.sigmas(), name + " training sigmas");
            assertEquals(c.get("sigma_min").getAsDouble(), s.sigmaMin(), 0.0, name + " sigma_min");
            assertEquals(c.get("sigma_max").getAsDouble(), s.sigmaMax(), 0.0, name + " sigma_max");
        }
    }

    /** Every recorded schedule: timesteps and sigmas exactly; FLUX's sigmas input as Java's np.linspace makes it. */
    static void checkSchedules(JsonObject c) {
        String name = c.get("name").getAsString();
        for (JsonElement e : c.getAsJsonArray("schedules")) {
            JsonObject entry = e.getAsJsonObject();
            JsonObject call = entry.getAsJsonObject("call");
            String what = name + " " + call;
            if (call.get("via").getAsString().equals("retrieve_timesteps")) {
                int n = call.get("n").getAsInt();
                assertArrayEquals(doubles(call.getAsJsonArray("sigmas")), SchedulerMath.npLinspace(1.0, 1.0 / n, n),
                        what + ": FLUX's np.linspace(1.0, 1 / n, n)");
            }
            try (FlowMatchScheduler<?> s = build(c)) {
                Integer returned = apply(s, call);
                if (entry.has("num_inference_steps_returned")) {
                    assertEquals(entry.get("num_inference_steps_returned").getAsInt(), returned, what + " steps");
                }
                assertArrayEquals(doubles(entry.getAsJsonArray("timesteps")), s.timesteps(), what + " timesteps");
                assertArrayEquals(doubles(entry.getAsJsonArray("sigmas")), s.sigmas(), what + " sigmas");
                assertNull(s.stepIndex(), what + " step index");
                assertNull(s.beginIndex(), what + " begin index");
            }
        }
    }

    /** Every recorded trajectory: prev_sample and step index after each call, and (Heun) the generator's state. */
    static void checkTrajectories(JsonObject c, NDManager manager) {
        String name = c.get("name").getAsString();
        int t = 0;
        for (JsonElement e : c.getAsJsonArray("trajectories")) {
            JsonObject tr = e.getAsJsonObject();
            String what = name + " trajectory " + t++ + " " + tr.get("call") + " start " + tr.get("start");
            DataType dtype = tr.get("dtype").getAsString().equals("torch.float16") ? DataType.FLOAT16
                    : DataType.FLOAT32;
            TorchGenerator generator = tr.get("generator_seed").isJsonNull() ? null
                    : new TorchGenerator(tr.get("generator_seed").getAsLong());
            try (FlowMatchScheduler<?> s = build(c); NDManager m = manager.newSubManager()) {
                apply(s, tr.getAsJsonObject("call"));
                Integer begin = intOrNull(tr.get("begin_index"));
                if (begin != null) {
                    s.setBeginIndex(begin);
                }
                NDArray sample = m.create(floats(tr.get("sample0").getAsString()), SHAPE).toType(dtype, false);
                JsonArray steps = tr.getAsJsonArray("steps");
                for (int k = 0; k < steps.size(); k++) {
                    JsonObject st = steps.get(k).getAsJsonObject();
                    double timestep = st.get("t").getAsDouble();
                    assertEquals(timestep, s.timesteps()[tr.get("start").getAsInt() + k], 0.0, what + " t[" + k + "]");
                    NDArray mo = m.create(floats(st.get("model_output").getAsString()), SHAPE).toType(dtype, false);
                    NDArray prev = s.step(mo, timestep, sample, 0.0, generator == null ? null : List.of(generator))
                            .prevSample();
                    assertEquals(dtype, prev.getDataType(), what + " prev_sample dtype");
                    double diff = maxAbsDiff(floats(st.get("prev").getAsString()), prev, what + " step " + k);
                    maxStepDiff = Math.max(maxStepDiff, diff);
                    assertEquals(st.get("step_index").getAsInt(), s.stepIndex(), what + " step_index after step " + k);
                    sample = prev;
                }
                if (generator != null) {
                    assertArrayEquals(floats(tr.get("generator_after").getAsString()), generator.randn(8),
                            what + ": the generator consumed as by diffusers' step");
                }
            }
        }
    }

    /** Every recorded scale_noise call: the output and the step index it leaves. */
    static void checkScaleNoise(JsonObject c, NDManager manager) {
        String name = c.get("name").getAsString();
        JsonObject inputs = refs().getAsJsonObject("scale_noise_inputs");
        float[] sampleAll = floats(inputs.get("sample").getAsString());
        float[] noiseAll = floats(inputs.get("noise").getAsString());
        float[] modelOutputBefore = floats(inputs.get("model_output_before").getAsString());
        for (JsonElement e : c.getAsJsonArray("scale_noise")) {
            JsonObject sn = e.getAsJsonObject();
            String what = name + " scale_noise " + sn.get("variant").getAsString() + " " + sn.get("dtype").getAsString();
            try (FlowMatchScheduler<?> s = build(c); NDManager m = manager.newSubManager()) {
                apply(s, sn.getAsJsonObject("call"));
                Integer begin = intOrNull(sn.get("begin_index"));
                if (begin != null) {
                    s.setBeginIndex(begin);
                }
                int rows = sn.get("rows").getAsInt();
                Shape shape = new Shape(rows, 4, 4, 4);
                int per = (int) shape.size();
                DataType dtype = sn.get("dtype").getAsString().equals("torch.float16") ? DataType.FLOAT16
                        : DataType.FLOAT32;
                NDArray sample = m.create(Arrays.copyOf(sampleAll, per), shape).toType(dtype, false);
                NDArray noise = m.create(Arrays.copyOf(noiseAll, per), shape).toType(dtype, false);
                if (sn.has("steps_before")) {
                    s.step(m.create(modelOutputBefore, SHAPE), s.timesteps()[0], m.create(sampleAll, SHAPE));
                }
                NDArray out = s.scaleNoise(sample, doubles(sn.getAsJsonArray("timesteps")), noise);
                assertEquals(sample.getManager(), out.getManager(), what + ": result in the sample's manager");
                assertEquals(dtype, out.getDataType(), what + " dtype");
                maxScaleNoiseDiff = Math.max(maxScaleNoiseDiff, maxAbsDiff(floats(sn.get("out").getAsString()), out,
                        what));
                assertEquals(intOrNull(sn.get("step_index_after")), s.stepIndex(), what + " step index after");
            }
        }
    }

    /** Max |ref - mine|, failing at the first element further than {@link #TOLERANCE}. */
    static double maxAbsDiff(float[] ref, NDArray mine, String what) {
        float[] m = mine.toType(DataType.FLOAT32, false).toFloatArray();
        assertEquals(ref.length, m.length, what + " size");
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs((double) ref[i] - m[i]);
            if (!(d <= TOLERANCE)) {
                fail(what + ": element " + i + " is " + m[i] + ", diffusers " + ref[i] + " (|diff| " + d + ")");
            }
            worst = Math.max(worst, d);
        }
        return worst;
    }

    /** float32 reference values against doubles holding float32 values: exactly. */
    static void assertExact(float[] ref, double[] mine, String what) {
        assertEquals(ref.length, mine.length, what + " length");
        for (int i = 0; i < ref.length; i++) {
            assertEquals(ref[i], mine[i], 0.0, what + "[" + i + "]");
        }
    }

    /** The recorded errors of one class. */
    static List<JsonObject> errorsOf(String className) {
        List<JsonObject> out = new ArrayList<>();
        for (JsonElement e : refs().getAsJsonArray("errors")) {
            if (e.getAsJsonObject().get("class").getAsString().equals(className)) {
                out.add(e.getAsJsonObject());
            }
        }
        return out;
    }
}
