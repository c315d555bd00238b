package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.models.unet.UNet2DConfig;
import io.diffusers4j.models.unet.UNet2DModel;
import io.diffusers4j.schedulers.IPNDMScheduler;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.testing.ReferenceCase;
import io.diffusers4j.utils.Npy;
import io.diffusers4j.weights.CheckpointFiles;
import io.diffusers4j.weights.TensorSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every case of {@code reference-unconditional/manifest.json}, recorded with the real diffusers 0.30.3 on tiny random
 * checkpoints saved by diffusers: DDPMPipeline and DDIMPipeline (batches, generator lists, eta, clipped model output,
 * a DDIMPipeline over a DDPMScheduler), DanceDiffusionPipeline (default length, a length cut back after rounding
 * up, batches) and UNet2DModel forwards of the variants no pipeline reaches (class embeddings, Fourier and learned
 * time embeddings, a mid block without attention, pre-0.14 attention weight names). Step samples within
 * {@code 1e-4 * max(1, max|ref|)}; images within 1e-3, audio and UNet outputs within 1e-4; DDPM / DDIM tables and
 * the timesteps exactly; IPNDM's tables within 1e-6 (see {@link #ipndmTablesMatchDiffusers}).
 */
class DiffusersReferenceUnconditionalTest {
    private static final String FOLDER = "reference-unconditional";
    private static final Map<String, DiffusionPipeline> PIPELINES = new HashMap<>();
    /** How far an IPNDM table entry may be from torch's float32 value (see {@link #ipndmTablesMatchDiffusers}). */
    private static final double IPNDM_TABLE_TOLERANCE = 1e-6;

    static Path dir() {
        return DiffusersReferencePipelineTest.referenceDir(FOLDER);
    }

    static List<String> pipelineCases() {
        return DiffusersReferencePipelineTest.cases("pipeline", FOLDER).stream()
                .map(c -> c.get("name").getAsString()).toList();
    }

    static List<String> unetCases() {
        return DiffusersReferencePipelineTest.cases("unet2d", FOLDER).stream()
                .map(c -> c.get("name").getAsString()).toList();
    }

    private static JsonObject json(String kind, String name) {
        return DiffusersReferencePipelineTest.cases(kind, FOLDER).stream()
                .filter(c -> c.get("name").getAsString().equals(name)).findFirst().orElseThrow();
    }

    static synchronized DiffusionPipeline pipeline(String checkpoint) {
        return PIPELINES.computeIfAbsent(checkpoint, k -> DiffusionPipeline.fromPretrained(dir().resolve(k).toString(),
                new PipelineOptions()));
    }

    @AfterAll
    static void closeAll() {
        PIPELINES.values().forEach(DiffusionPipeline::close);
        PIPELINES.clear();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pipelineCases")
    void matchesDiffusers(String name) {
        ReferenceCase c = new ReferenceCase(json("pipeline", name), dir());
        DiffusionPipeline loaded = pipeline(c.json().get("checkpoint").getAsString());
        String pipelineClass = c.json().get("pipeline_class").getAsString();
        PipelineOutput out;
        double[] timesteps;
        boolean ipndm;
        try (DiffusionPipeline p = PipelineRegistry.require(pipelineClass).create(loaded.components(),
                loaded.modelIndexKeys(), false)) {
            assertEquals(c.json().get("scheduler_class").getAsString(), p.scheduler().className());
            out = p.call(c.unconditionalArguments());
            ipndm = p.scheduler() instanceof IPNDMScheduler;
            try (Scheduler s = p.scheduler().copy()) {
                s.setTimesteps(c.json().getAsJsonObject("call").get("num_inference_steps").getAsInt());
                timesteps = s.timesteps();
            }
        }
        double[] expected = doubles(c.json().getAsJsonArray("scheduler_timesteps_after_call"));
        // IPNDM's float timesteps: within the table tolerance (see ipndmTablesMatchDiffusers); the others exactly
        assertArrayEquals(expected, timesteps, ipndm ? IPNDM_TABLE_TOLERANCE : 0,
                name + " timesteps");
        StringBuilder report = new StringBuilder(name);
        Npy.Array steps = c.file("step_samples");
        double bound = 1e-4 * Math.max(1, maxAbs(steps.floats()));
        double[] diffs = c.stepDiffs(steps);
        report.append(": steps ").append(Arrays.toString(diffs));
        for (int k = 0; k < diffs.length; k++) {
            assertTrue(diffs[k] <= bound, name + " step " + k + " max |diff| " + diffs[k] + " > " + bound);
        }
        if (c.hasFile("audio")) {
            AudioPipelineOutput audio = (AudioPipelineOutput) out;
            Npy.Array ref = c.file("audio");
            assertArrayEquals(ref.shape(), audio.shape(), name + " audio shape");
            double diff = ReferenceCase.maxAbsDiff(ref.floats(), audio.data());
            report.append(", audio ").append(diff);
            assertTrue(diff <= 1e-4, name + " audio max |diff| " + diff);
            assertEquals(16000, audio.sampleRate());
        } else {
            ImagePipelineOutput image = (ImagePipelineOutput) out;
            Npy.Array ref = c.file("image");
            assertArrayEquals(ref.shape(), image.shape(), name + " image shape");
            double diff = ReferenceCase.maxAbsDiff(ref.floats(), image.data());
            report.append(", image ").append(diff);
            assertTrue(diff <= 1e-3, name + " image max |diff| " + diff);
        }
        System.out.println(report);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unetCases")
    void unet2dForwardMatchesDiffusers(String name) throws IOException {
        JsonObject json = json("unet2d", name);
        ReferenceCase c = new ReferenceCase(json, dir());
        Path model = dir().resolve(json.get("model").getAsString());
        UNet2DConfig config = ConfigBase.load(model.resolve("config.json"), UNet2DConfig.class);
        try (NDManager m = NDManager.newBaseManager();
             TensorSource weights = CheckpointFiles.open(model, CheckpointFiles.DIFFUSERS_WEIGHTS_NAME, null, null);
             UNet2DModel unet = UNet2DModel.load(config, weights, m, DataType.FLOAT32)) {
            NDArray sample = array(m, c.file("sample"));
            NDArray timestep = array(m, c.file("timestep"));
            NDArray labels = c.hasFile("class_labels") ? array(m, c.file("class_labels")) : null;
            NDArray out = unet.forward(sample, timestep, labels);
            Npy.Array ref = c.file("output");
            assertArrayEquals(ref.shape(), out.getShape().getShape());
            double diff = ReferenceCase.maxAbsDiff(ref.floats(), out.toFloatArray());
            System.out.println(name + ": output " + diff);
            assertTrue(diff <= 1e-4, name + " max |diff| " + diff);
        }
    }

    private static NDArray array(NDManager m, Npy.Array a) {
        Shape shape = new Shape(a.shape());
        return a.descr().contains("i8") ? m.create(a.longs(), shape) : m.create(a.floats(), shape);
    }

    @Test
    void ddpmAndDdimTablesAreExact() {
        JsonObject tables = tables();
        for (String checkpoint : List.of("tiny-ddpm", "tiny-ddim")) {
            JsonObject t = tables.getAsJsonObject(checkpoint + "_alphas_cumprod");
            Scheduler s = pipeline(checkpoint).scheduler();
            assertEquals(t.get("class").getAsString(), s.className());
            assertArrayEquals(doubles(t.getAsJsonArray("alphas_cumprod")), s.alphasCumprod(), checkpoint);
        }
    }

    /**
     * IPNDM's tables: torch computes them in float32 with SLEEF's vectorised sin and atan2 (within 1 ulp, not
     * correctly rounded), this port with correctly rounded ones, so a beta may differ in its last bit; that
     * difference grows in {@code alpha = sqrt(1 - beta^2)} where beta is close to 1 (measured: at most 2.6e-7) and
     * carries on to the timestep.
     */
    @Test
    void ipndmTablesMatchDiffusers() {
        JsonObject tables = tables();
        int exact = 0;
        int total = 0;
        double worst = 0;
        for (Map.Entry<String, JsonElement> e : tables.entrySet()) {
            if (!e.getKey().startsWith("IPNDMScheduler_")) {
                continue;
            }
            JsonObject t = e.getValue().getAsJsonObject();
            try (IPNDMScheduler s = new IPNDMScheduler(new IPNDMScheduler.Config())) {
                s.setTimesteps(t.get("num_inference_steps").getAsInt());
                Map<String, double[]> mine = Map.of("timesteps", s.timesteps(), "betas", s.betas(), "alphas",
                        s.alphas());
                for (Map.Entry<String, double[]> table : mine.entrySet()) {
                    double[] want = doubles(t.getAsJsonArray(table.getKey()));
                    double[] got = table.getValue();
                    assertEquals(want.length, got.length, e.getKey() + " " + table.getKey());
                    for (int i = 0; i < want.length; i++) {
                        double diff = Math.abs(want[i] - got[i]);
                        assertTrue(diff <= IPNDM_TABLE_TOLERANCE, e.getKey() + " " + table.getKey() + "[" + i + "]: "
                                + got[i] + " vs " + want[i]);
                        worst = Math.max(worst, diff);
                        exact += diff == 0 ? 1 : 0;
                        total++;
                    }
                }
            }
        }
        System.out.println("IPNDM tables: " + exact + " of " + total + " entries bit-identical, max |diff| " + worst);
    }

    private static JsonObject tables() {
        return ConfigBase.readJsonObject(dir().resolve("scheduler_tables.json"));
    }

    private static double[] doubles(JsonArray values) {
        double[] out = new double[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).getAsDouble();
        }
        return out;
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }
}
