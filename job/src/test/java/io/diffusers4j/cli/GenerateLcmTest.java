// `diffusers4j generate` on a latent consistency model checkpoint (model_index.json: LatentConsistencyModelPipeline).
package io.diffusers4j.cli;

import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.image.Png;
import io.diffusers4j.testing.ReferenceCase;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the real command in-process on the diffusers-made tiny LCM checkpoint of pipeline-core's reference data: with
 * no --steps / --guidance-scale it uses the LCM pipeline's defaults (4, 8.5) and gives diffusers' image of case
 * {@code lcm_default}; options the LCM call does not take are usage errors (exit 2).
 */
class GenerateLcmTest {
    private static final Path REFERENCE = Path.of("..", "pipeline-core", "src", "test", "resources", "reference")
            .toAbsolutePath().normalize();
    private static final String MODEL = REFERENCE.resolve("tiny-lcm").toString();
    private static final String P = "a photo of an astronaut riding a horse on mars";

    private static Object[] run(String... args) {
        return GenerateOutputTest.run(args);
    }

    @Test
    void defaultsAreTheLcmPipelinesAndTheImageIsDiffusers(@TempDir Path dir) throws Exception {
        Path npy = dir.resolve("out.npy");
        Object[] r = run("generate", "--model", MODEL, "--prompt", P, "--seed", "100", "--output-type", "np",
                "--output", npy.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        Npy.Array want = Npy.read(REFERENCE.resolve("lcm_default/image.npy"));
        Npy.Array got = Npy.read(npy);
        assertEquals(want.floats().length, got.floats().length);
        double diff = ReferenceCase.maxAbsDiff(want.floats(), got.floats());
        assertTrue(diff <= 1e-3, "max |diff| vs diffusers' lcm_default image: " + diff);

        Path pngs = dir.resolve("pngs");
        r = run("generate", "--model", MODEL, "--prompt", P, "--seed", "108", "--steps", "3",
                "--original-inference-steps", "20", "--output", pngs.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        GenerationMetadata m = GenerationMetadata.fromPngText(Png.read(pngs.resolve("000.png")).text());
        assertEquals(3, m.steps());
        assertEquals(8.5, m.guidanceScale(), "the LCM pipeline's default guidance");
        assertEquals("LCMScheduler", m.scheduler());
    }

    @Test
    void optionsTheLcmCallDoesNotTakeAreUsageErrors(@TempDir Path dir) {
        Object[] r = run("generate", "--model", MODEL, "--prompt", P, "--negative-prompt", "blurry", "--eta", "0.5",
                "--output", dir.resolve("x").toString());
        assertEquals(2, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("LatentConsistencyModelPipeline does not take negative_prompt"),
                (String) r[1]);

        r = run("generate", "--prompt", "a cat", "--original-inference-steps", "20", "--steps", "2",
                "--output", dir.resolve("y").toString());
        assertEquals(2, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("StableDiffusionPipeline does not take original_inference_steps"),
                (String) r[1]);
    }
}
