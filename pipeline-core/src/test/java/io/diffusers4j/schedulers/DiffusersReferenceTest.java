// Parity of every scheduler port with tables and trajectories produced by the real diffusers 0.30.3 (torch 1.13.1).
package io.diffusers4j.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.utils.TorchGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Replays {@code schedulers/scheduler_refs.json.gz}: 118 scheduler configurations made by the real diffusers
 * (see {@code schedulers/README.md}): effective config (defaults), alphas_cumprod, set_timesteps tables for many
 * step counts (timesteps and sigmas EXACT, init_noise_sigma exact float32), a full step trajectory on seeded
 * inputs (scaled inputs, prev samples, pred_original — rtol 1e-5), stochastic draws from one seeded generator,
 * and add_noise with and without a begin index.
 */
class DiffusersReferenceTest {
    static final double RTOL = 1e-5;
    /** Absolute floor, relative to the array's largest magnitude (outputs pass through zero). */
    static final double ATOL_OF_MAX = 1e-5;
    /**
     * Known float32 last-bit differences: torch's vectorized (Sleef) exp/log/sigmoid kernels are not correctly
     * rounded; these cases build tables through them (sigmoid betas, log_linear sigmas, continuous timesteps) and
     * are compared to max(1 float32 ulp, 1e-6 relative) instead of exactly.
     */
    static final Set<String> ONE_ULP = Set.of("DDPM_sigmoid", "Euler_log_linear",
            "Euler_continuous_vpred");
    static JsonObject refs;
    static NDManager manager;

    @BeforeAll
    static void load() throws Exception {
        refs = readGzipJson("/schedulers/scheduler_refs.json.gz");
        manager = NDManager.newBaseManager();
    }

    /** A gzipped JSON object from the test resources. */
    static JsonObject readGzipJson(String resource) throws Exception {
        try (InputStream in = DiffusersReferenceTest.class.getResourceAsStream(resource);
             var reader = new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8)) {
            return JsonParser.parseReader(reader).getAsJsonObject();
        }
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static float[] floats(String b64) {
        ByteBuffer bb = ByteBuffer.wrap(Base64.getDecoder().decode(b64)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[bb.remaining() / 4];
        bb.asFloatBuffer().get(out);
        return out;
    }

    static double[] doubles(JsonArray a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsDouble();
        }
        return out;
    }

    static Scheduler build(JsonObject c) {
        return build(c, refs.getAsJsonObject("pipeline_config"));
    }

    /** The case's scheduler: {@code from_config(pipelineConfig, **kwargs)}, or its kwargs alone. */
    static Scheduler build(JsonObject c, JsonObject pipelineConfig) {
        String cls = c.get("class").getAsString();
        JsonObject kw = c.getAsJsonObject("kwargs");
        if (c.get("from_pipeline_config").getAsBoolean()) {
            ConfigBase pipe = SchedulerConfig.parse(pipelineConfig, PNDMScheduler.Config.class, "pipeline");
            List<String> overrides = new ArrayList<>();
            for (Map.Entry<String, JsonElement> e : kw.entrySet()) {
                JsonElement v = e.getValue();
                overrides.add(e.getKey() + "=" + (v.isJsonPrimitive() && v.getAsJsonPrimitive().isString()
                        ? v.getAsString() : v.toString()));
            }
            return Schedulers.create(cls, pipe, overrides);
        }
        JsonObject json = kw.deepCopy();
        json.addProperty("_class_name", cls);
        return Schedulers.fromConfig(json, c.get("name").getAsString());
    }

    @TestFactory
    List<DynamicTest> cases() {
        return dynamicTests(refs.getAsJsonArray("cases"), this::check);
    }

    /** One dynamic test per recorded case, named by its {@code name}. */
    static List<DynamicTest> dynamicTests(JsonArray cases, Consumer<JsonObject> check) {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonElement e : cases) {
            JsonObject c = e.getAsJsonObject();
            tests.add(DynamicTest.dynamicTest(c.get("name").getAsString(), () -> check.accept(c)));
        }
        return tests;
    }

    void check(JsonObject c) {
        String name = c.get("name").getAsString();
        try (Scheduler s = build(c)) {
            assertEquals(c.get("order").getAsInt(), s.order(), name + " order");
            checkConfig(name, c.getAsJsonObject("config"), s.config());
            if (c.has("alphas_cumprod")) {
                float[] ref = floats(c.get("alphas_cumprod").getAsString());
                double[] mine = s.alphasCumprod();
                for (int i = 0; i < ref.length; i++) {
                    assertFloat(name, ref[i], mine[i], name + " alphas_cumprod[" + i + "]");
                }
            }
            for (Map.Entry<String, JsonElement> t : c.getAsJsonObject("set_timesteps").entrySet()) {
                checkTable(name, build(c), Integer.parseInt(t.getKey()), t.getValue().getAsJsonObject());
            }
            if (c.has("trajectory")) {
                int steps = c.get("steps").getAsInt();
                checkTrajectory(name, c, manager, () -> {
                    Scheduler fresh = build(c);
                    fresh.setTimesteps(steps);
                    return fresh;
                });
            }
        }
    }

    static void checkConfig(String name, JsonObject ref, SchedulerConfig mine) {
        JsonObject json = mine.toJson();
        for (Map.Entry<String, JsonElement> e : ref.entrySet()) {
            String key = e.getKey();
            if (key.startsWith("_")) {
                continue;
            }
            JsonElement v = json.get(key);
            assertNotNull(v, name + ": config key " + key + " missing");
            JsonElement r = e.getValue();
            if (r.isJsonNull()) {
                assertTrue(v.isJsonNull() || (v.isJsonArray() && key.equals("trained_betas")),
                        name + " " + key + " should be null, is " + v);
            } else if (r.isJsonPrimitive() && (r.getAsJsonPrimitive().isNumber() || r.getAsString().endsWith("Infinity"))) {
                assertEquals(r.getAsDouble(), v.getAsDouble(), 0.0, name + " " + key);
            } else if (r.isJsonArray() && key.equals("trained_betas")) {
                assertArrayEquals(doubles(r.getAsJsonArray()), doubles(v.getAsJsonArray()), name + " " + key);
            } else {
                assertEquals(r.toString(), v.toString(), name + " " + key);
            }
        }
    }

    static void checkTable(String name, Scheduler s, int n, JsonObject ref) {
        try (s) {
            if (ref.has("error")) {
                assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(n), name + " n=" + n
                        + " should fail like diffusers: " + ref.get("error").getAsString());
                return;
            }
            if (n > 1000) {
                return; // diffusers does not check this for every scheduler; this port always refuses it
            }
            s.setTimesteps(n);
            double[] rt = doubles(ref.getAsJsonArray("timesteps"));
            double[] mt = s.timesteps();
            assertEquals(rt.length, mt.length, name + " timesteps length n=" + n);
            for (int i = 0; i < rt.length; i++) {
                if (ONE_ULP.contains(name)) {
                    assertFloat(name, (float) rt[i], mt[i], name + " timesteps[" + i + "] n=" + n);
                } else {
                    assertEquals(rt[i], mt[i], 0.0, name + " timesteps[" + i + "] n=" + n);
                }
            }
            assertEquals((float) ref.get("init_noise_sigma").getAsDouble(), (float) s.initNoiseSigma(),
                    name + " init_noise_sigma n=" + n);
            if (ref.has("sigmas")) {
                float[] rs = floats(ref.get("sigmas").getAsString());
                double[] ms = s.sigmas();
                assertEquals(rs.length, ms.length, name + " sigmas length n=" + n);
                for (int i = 0; i < rs.length; i++) {
                    assertFloat(name, rs[i], ms[i], name + " sigmas[" + i + "] n=" + n);
                }
            }
        }
    }

    static void assertFloat(String name, float ref, double mine, String what) {
        if (ONE_ULP.contains(name)) {
            assertEquals(ref, (float) mine, Math.max(Math.ulp(ref), 1e-6 * Math.abs(ref)), what);
        } else {
            assertEquals(ref, (float) mine, what);
        }
    }

    static void assertClose(float[] ref, NDArray mine, String what) {
        float[] m = mine.toFloatArray();
        assertEquals(ref.length, m.length, what + " size");
        double max = 0;
        for (float v : ref) {
            max = Math.max(max, Math.abs(v));
        }
        double worst = 0;
        int at = -1;
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs(ref[i] - m[i]) - (ATOL_OF_MAX * max + RTOL * Math.abs(ref[i]));
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        if (at >= 0) {
            fail(what + ": element " + at + " is " + m[at] + ", diffusers " + ref[at]);
        }
    }

    /**
     * Replays a case's trajectory and add_noise records; {@code scheduled} gives a fresh scheduler of the case
     * with its timesteps set; arrays live in sub-managers of {@code manager}.
     */
    static void checkTrajectory(String name, JsonObject c, NDManager manager, Supplier<Scheduler> scheduled) {
        Shape shape = new Shape(2, 4, 4, 4);
        double eta = c.get("eta").getAsDouble();
        try (Scheduler s = scheduled.get(); NDManager m = manager.newSubManager()) {
            NDArray sample = m.create(floats(c.get("sample0").getAsString()), shape);
            List<TorchGenerator> gens = List.of(new TorchGenerator(3000));
            double[] ts = s.timesteps();
            JsonArray steps = c.getAsJsonArray("trajectory");
            assertEquals(steps.size(), ts.length, name + " trajectory length");
            for (int k = 0; k < steps.size(); k++) {
                JsonObject st = steps.get(k).getAsJsonObject();
                assertEquals(st.get("t").getAsDouble(), ts[k], name + " t" + k);
                String at = name + " step " + k + " (t=" + ts[k] + ")";
                try (NDManager stepManager = m.newSubManager()) {
                    NDArray mo = stepManager.create(floats(st.get("model_output").getAsString()), shape);
                    sample.attach(stepManager);
                    NDArray scaled = s.scaleModelInput(sample, ts[k]);
                    assertClose(floats(st.get("scaled").getAsString()), scaled, at + " scaled input");
                    SchedulerOutput out = s.step(mo, ts[k], sample, eta, gens);
                    assertClose(floats(st.get("prev").getAsString()), out.prevSample(), at + " prev_sample");
                    if (st.get("pred_original").isJsonNull()) {
                        assertNull(out.predOriginalSample(), at + " pred_original");
                    } else {
                        assertClose(floats(st.get("pred_original").getAsString()), out.predOriginalSample(),
                                at + " pred_original");
                    }
                    assertTrue(out.prevSample().getManager() == stepManager, at + " prev_sample manager");
                    sample = out.prevSample();
                    sample.attach(m);
                }
            }
        }
        JsonObject an = c.getAsJsonObject("add_noise");
        try (Scheduler s = scheduled.get(); NDManager m = manager.newSubManager()) {
            NDArray orig = m.create(floats(an.get("original").getAsString()), shape);
            NDArray noise = m.create(floats(an.get("noise").getAsString()), shape);
            NDArray out = s.addNoise(orig, noise, doubles(an.getAsJsonArray("timesteps")));
            assertClose(floats(an.get("out").getAsString()), out, name + " add_noise");
            if (c.has("add_noise_begin2")) {
                JsonObject b2 = c.getAsJsonObject("add_noise_begin2");
                try (Scheduler s2 = scheduled.get()) {
                    s2.setBeginIndex(2);
                    NDArray out2 = s2.addNoise(orig, noise, doubles(b2.getAsJsonArray("timesteps")));
                    assertClose(floats(b2.get("out").getAsString()), out2, name + " add_noise begin_index 2");
                }
            }
        }
    }
}
