// `diffusers4j generate --timesteps / --sigmas`: diffusers' custom schedules (retrieve_timesteps) from the command line.
package io.diffusers4j.cli;

import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.image.Png;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.testing.ReferenceCase;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The images of pipeline-core's reference cases {@code ts_euler_sigmas_ays} and {@code ts_lcm_timesteps} (recorded
 * with the real diffusers 0.30.3) through the command line; refused combinations exit 2 and write nothing.
 */
class GenerateCustomScheduleTest {
    private static final Path REFERENCE = Path.of("..", "pipeline-core", "src", "test", "resources", "reference")
            .toAbsolutePath().normalize();
    private static final String P = "a photo of an astronaut riding a horse on mars";

    private static void assertSameImage(String referenceCase, Path npy) throws Exception {
        Npy.Array want = Npy.read(REFERENCE.resolve(referenceCase).resolve("image.npy"));
        Npy.Array got = Npy.read(npy);
        assertArrayEquals(want.shape(), got.shape());
        double diff = ReferenceCase.maxAbsDiff(want.floats(), got.floats());
        assertTrue(diff <= 1e-3, "max |diff| vs diffusers' " + referenceCase + " image: " + diff);
    }

    @Test
    void customSigmasGiveDiffusersImage(@TempDir Path dir) throws Exception {
        Path npy = dir.resolve("out.npy");
        Object[] r = GenerateOutputTest.run("generate", "--model", Fixtures.tinySd().toString(), "--prompt", P,
                "--negative-prompt", "low quality, blurry", "--scheduler", "EulerDiscreteScheduler",
                "--sigmas", "14.615,3.861,1.396,0.399,0.029", "--seed", "120", "--height", "64", "--width", "64",
                "--output-type", "np", "--output", npy.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        assertSameImage("ts_euler_sigmas_ays", npy);
    }

    @Test
    void customTimestepsOnAnLcmCheckpointAndInThePngText(@TempDir Path dir) throws Exception {
        String model = REFERENCE.resolve("tiny-lcm").toString();
        Path npy = dir.resolve("out.npy");
        Object[] r = GenerateOutputTest.run("generate", "--model", model, "--prompt", P, "--timesteps",
                "999,759,499,259", "--seed", "127", "--output-type", "np", "--output", npy.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        assertSameImage("ts_lcm_timesteps", npy);

        Path pngs = dir.resolve("pngs");
        r = GenerateOutputTest.run("generate", "--model", model, "--prompt", P, "--timesteps", "999", "--timesteps",
                "499", "--seed", "1", "--output", pngs.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        GenerationMetadata m = GenerationMetadata.fromPngText(Png.read(pngs.resolve("000.png")).text());
        assertEquals(2, m.steps(), "a custom schedule counts its own steps");
        assertEquals("999,499", m.extra().get("timesteps"));
    }

    @Test
    void refusedSchedulesAreUsageErrorsThatWriteNothing(@TempDir Path dir) {
        String tiny = Fixtures.tinySd().toString();
        Path out = dir.resolve("x");
        Object[] r = GenerateOutputTest.run("generate", "--model", tiny, "--prompt", P, "--timesteps", "999,500",
                "--sigmas", "14.6,0.03", "--output", out.toString());
        assertEquals(2, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("Only one of `timesteps` or `sigmas` can be passed"), (String) r[1]);

        r = GenerateOutputTest.run("generate", "--model", tiny, "--prompt", P, "--timesteps", "999,500",
                "--output", out.toString(), "--no-progress");
        assertEquals(2, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("PNDMScheduler") && ((String) r[1]).contains("custom timestep"),
                (String) r[1]);

        r = GenerateOutputTest.run("generate", "--model", tiny, "--prompt", P, "--timesteps", "999,abc",
                "--output", out.toString());
        assertEquals(2, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("--timesteps"), (String) r[1]);

        r = GenerateOutputTest.run("generate", "--model", REFERENCE.resolve("tiny-lcm").toString(), "--prompt", P,
                "--sigmas", "14.6,0.03", "--output", out.toString());
        assertEquals(2, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("LatentConsistencyModelPipeline does not take sigmas"), (String) r[1]);
        assertFalse(Files.exists(out), "nothing written");
    }
}
