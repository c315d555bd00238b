// `diffusers4j generate --vae DIR`: the tiny TAESD swapped into tiny-sd gives diffusers' image; a non-VAE folder is a usage error.
package io.diffusers4j.cli;

import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.testing.ReferenceCase;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Data of {@code reference-tiny-vae/} (scripts/reference/gen_tiny_vae.py). */
class GenerateVaeTest {
    private static final Path TAESD = Fixtures.referenceTinyVae();
    private static final String P = "a photo of an astronaut riding a horse on mars";

    @Test
    void theTinyVaeReplacesTheModelsAndGivesDiffusersImage(@TempDir Path dir) throws Exception {
        Path npy = dir.resolve("out.npy");
        Object[] r = GenerateOutputTest.run("generate", "--model", Fixtures.tinySd().toString(),
                "--vae", TAESD.resolve("tiny-taesd").toString(), "--prompt", P, "--seed", "0", "--steps", "3",
                "--guidance-scale", "7.5", "--output-type", "np", "--output", npy.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        double diff = ReferenceCase.maxAbsDiff(Npy.read(TAESD.resolve("t2i_pndm_3steps_seed0.npy")).floats(),
                Npy.read(npy).floats());
        assertTrue(diff <= 1e-3, "max |diff| vs diffusers with AutoencoderTiny: " + diff);
    }

    @Test
    void aFolderThatIsNoVaeIsRefusedBeforeAnyWeightLoads(@TempDir Path dir) throws Exception {
        Path notVae = Files.createDirectories(dir.resolve("not-a-vae"));
        Files.writeString(notVae.resolve("config.json"), "{\"_class_name\": \"UNet2DConditionModel\"}");
        Object[] r = GenerateOutputTest.run("generate", "--model", Fixtures.tinySd().toString(),
                "--vae", notVae.toString(), "--prompt", P, "--output", dir.resolve("x").toString(), "--no-progress");
        assertTrue((int) r[0] != 0, (String) r[1]);
        assertTrue(((String) r[1]).contains("_class_name") && ((String) r[1]).contains("AutoencoderTiny"),
                (String) r[1]);
    }
}
