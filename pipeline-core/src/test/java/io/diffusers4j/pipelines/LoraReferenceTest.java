package io.diffusers4j.pipelines;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.models.nn.LoraLayers;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.testing.ReferenceCase;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every case of {@code reference-lora/manifest.json} (diffusers 0.30.3 with peft 0.12.0): a fresh pipeline, the
 * case's adapter calls replayed ({@code load_lora_weights} in the diffusers / peft, Kohya and older
 * attention-processor formats, {@code set_adapters}, {@code fuse_lora}, {@code disable_lora},
 * {@code load_textual_inversion}), then the call. Every peft layer's scaling (rank, alpha, adapter weight) as diffusers
 * built it; step latents within {@code 1e-4 * max(1, max|ref|)}, images within 1e-3.
 */
class LoraReferenceTest {
    static final String FOLDER = "reference-lora";

    static List<String> cases() {
        return DiffusersReferencePipelineTest.cases("pipeline", FOLDER).stream()
                .map(c -> c.get("name").getAsString()).toList();
    }

    static JsonObject lookup(String name) {
        return DiffusersReferencePipelineTest.cases("pipeline", FOLDER).stream()
                .filter(c -> c.get("name").getAsString().equals(name)).findFirst().orElseThrow();
    }

    static AbstractStableDiffusionPipeline load(String checkpoint) {
        Path dir = checkpoint.equals("tiny-sd") ? Fixtures.tinySd()
                : DiffusersReferencePipelineTest.referenceDir().getParent().resolve(checkpoint);
        return (AbstractStableDiffusionPipeline) DiffusionPipeline.fromPretrained(dir.toString(), new PipelineOptions());
    }

    /** Replays one {@code [method, args, kwargs]} of the case's setup; "@" paths are relative to the folder. */
    static void replay(DiffusionPipeline pipe, JsonArray call, Path folder) {
        String method = call.get(0).getAsString();
        JsonArray args = call.get(1).getAsJsonArray();
        JsonObject kw = call.get(2).getAsJsonObject();
        switch (method) {
            case "load_lora_weights" -> pipe.loadLoraWeights(path(args.get(0), folder), string(kw, "weight_name"),
                    string(kw, "adapter_name"), null);
            case "set_adapters" -> {
                List<String> names = new ArrayList<>();
                args.get(0).getAsJsonArray().forEach(e -> names.add(e.getAsString()));
                List<Double> weights = new ArrayList<>();
                kw.getAsJsonArray("adapter_weights").forEach(e -> weights.add(e.getAsDouble()));
                pipe.setAdapters(names, weights);
            }
            case "fuse_lora" -> pipe.fuseLora(kw.has("lora_scale") ? kw.get("lora_scale").getAsDouble() : 1.0);
            case "disable_lora" -> pipe.disableLora();
            case "load_textual_inversion" -> pipe.loadTextualInversion(path(args.get(0), folder), string(kw, "token"));
            default -> throw new AssertionError("no replay for " + method);
        }
    }

    private static String path(JsonElement e, Path folder) {
        String s = e.getAsString();
        return s.startsWith("@") ? folder.resolve(s.substring(1)).toString() : s;
    }

    private static String string(JsonObject kw, String key) {
        return kw.has(key) ? kw.get(key).getAsString() : null;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesDiffusersWithPeft(String name) {
        JsonObject json = lookup(name);
        Path folder = DiffusersReferencePipelineTest.referenceDir(FOLDER);
        ReferenceCase c = new ReferenceCase(json, folder);
        try (AbstractStableDiffusionPipeline pipe = load(json.get("checkpoint").getAsString())) {
            for (JsonElement step : json.getAsJsonArray("setup")) {
                replay(pipe, step.getAsJsonArray(), folder);
            }
            checkScalings(pipe, json);
            if (json.has("active_adapters")) {
                List<String> active = new ArrayList<>();
                json.getAsJsonArray("active_adapters").forEach(e -> active.add(e.getAsString()));
                assertEquals(active, pipe.getActiveAdapters(), "get_active_adapters()");
            }
            ImagePipelineOutput out = pipe.call(c.arguments(pipe));
            Npy.Array steps = c.file("step_latents");
            double bound = 1e-4 * Math.max(1, maxAbs(steps.floats()));
            double[] diffs = c.stepDiffs(steps);
            for (int k = 0; k < diffs.length; k++) {
                assertTrue(diffs[k] <= bound, name + " step " + k + " latents max |diff| " + diffs[k] + " > " + bound
                        + "; all " + Arrays.toString(diffs));
            }
            Npy.Array ref = c.file("image");
            assertArrayEquals(ref.shape(), out.shape(), name + " image shape");
            double diff = ReferenceCase.maxAbsDiff(ref.floats(), out.data());
            System.out.println(name + ": step latents " + Arrays.toString(diffs) + " (bound " + bound + "), image "
                    + diff);
            assertTrue(diff <= 1e-3, name + " image max |diff| " + diff);
        }
    }

    /**
     * Each peft layer of the reference ({@code lora_layers}: r, lora_alpha, scaling per adapter) exists here with
     * the same scaling (adapter weight * alpha / rank; after fuse_lora peft's scaling also carries the fuse scale,
     * which here is baked into the fused weight instead), and no other layer has adapters.
     */
    private static void checkScalings(AbstractStableDiffusionPipeline pipe, JsonObject json) {
        JsonObject layers = json.getAsJsonObject("lora_layers");
        boolean fused = json.getAsJsonArray("setup").toString().contains("fuse_lora");
        for (Map.Entry<String, JsonElement> component : layers.entrySet()) {
            LoraLayers mine = layersOf(pipe, component.getKey());
            int count = 0;
            for (Map.Entry<String, JsonElement> module : component.getValue().getAsJsonObject().entrySet()) {
                for (Map.Entry<String, JsonElement> adapter : module.getValue().getAsJsonObject().entrySet()) {
                    JsonArray rAlphaScaling = adapter.getValue().getAsJsonArray();
                    double want = rAlphaScaling.get(2).getAsDouble();
                    if (fused) {
                        want = rAlphaScaling.get(1).getAsDouble() / rAlphaScaling.get(0).getAsDouble();
                    }
                    double got = mine.scaling(adapter.getKey(), module.getKey());
                    assertEquals(want, got, 1e-12, component.getKey() + " " + module.getKey() + " " + adapter.getKey());
                    count++;
                }
            }
            int mineCount = 0;
            for (String adapter : mine.adapterNames()) {
                mineCount += mine.modulesOf(adapter).size();
            }
            assertEquals(count, mineCount, component.getKey() + ": layers with adapters");
        }
    }

    static LoraLayers layersOf(AbstractStableDiffusionPipeline pipe, String component) {
        return switch (component) {
            case "unet" -> pipe.unet().loraLayers();
            case "text_encoder" -> pipe.textEncoder().loraLayers();
            case "text_encoder_2" -> ((AbstractStableDiffusionXLPipeline) pipe).textEncoder2().loraLayers();
            default -> throw new AssertionError(component);
        };
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }
}
