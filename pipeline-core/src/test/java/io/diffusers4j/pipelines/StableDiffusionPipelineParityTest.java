package io.diffusers4j.pipelines;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.testing.ReferenceCase;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The four whole-pipeline cases of the tiny-sd fixture, step by step and image, against diffusers 0.30.3. */
class StableDiffusionPipelineParityTest {
    private static StableDiffusionPipeline pipe;

    @BeforeAll
    static void load() {
        pipe = Fixtures.tinySdPipeline();
    }

    @AfterAll
    static void close() {
        pipe.close();
    }

    static JsonObject manifestCase(String name) {
        JsonObject m = ConfigBase.readJsonObject(Fixtures.expected("manifest.json"));
        for (JsonElement c : m.getAsJsonArray("cases")) {
            if (c.getAsJsonObject().get("name").getAsString().equals(name)) {
                return c.getAsJsonObject();
            }
        }
        throw new IllegalArgumentException(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ddim_3steps_cfg7.5_seed0", "pndm_3steps_cfg7.5_seed0", "ddim_batch2_negative_seed7",
            "pndm_negative_default_size_seed123"})
    void matchesDiffusers(String name) {
        ReferenceCase c = new ReferenceCase(manifestCase(name));
        ImagePipelineOutput out = pipe.call(c.arguments(pipe));
        Npy.Array image = Fixtures.npy(name + "/image.npy");
        assertArrayEquals(image.shape(), out.shape(), name + " image shape");
        double[] steps = c.stepDiffs(Fixtures.npy(name + "/step_latents.npy"));
        for (int k = 0; k < steps.length; k++) {
            assertTrue(steps[k] <= 1e-3, name + " step " + k + " latents max |diff| " + steps[k]
                    + " (all steps: " + Arrays.toString(steps) + ")");
        }
        double diff = ReferenceCase.maxAbsDiff(image.floats(), out.data());
        assertTrue(diff <= 1e-3, name + " image max |diff| " + diff);
        System.out.println(name + ": step latents max |diff| " + Arrays.toString(steps) + ", image " + diff);
    }
}
