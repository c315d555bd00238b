// Tests of `diffusers4j generate` output files: PNG text chunks, the progress bar and --no-progress.
package io.diffusers4j.cli;

import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.image.Png;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the real command (in-process, on the embedded tiny pipeline, 2 steps) and reads its files back. */
class GenerateOutputTest {

    /** Runs Main with stderr captured; returns {exit code, stderr}. */
    static Object[] run(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int rc = Main.run(args);
            return new Object[] {rc, err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setErr(saved);
        }
    }

    @Test
    void pngsCarryTheirGenerationParametersAndMatchTheNpyOutput(@TempDir Path dir) throws Exception {
        Path pngs = dir.resolve("pngs");
        Object[] r = run("generate", "--prompt", "a red car", "--prompt", "ein Hund im Schnee, ÄÖÜ 犬",
                "--negative-prompt", "blurry", "--seed", "11", "--seed", "12", "--steps", "2",
                "--guidance-scale", "6.5", "--scheduler", "EulerDiscreteScheduler", "--height", "32", "--width", "32",
                "--output", pngs.toString(),
                "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        assertFalse(((String) r[1]).contains("it/s"), "--no-progress prints no bar: " + r[1]);

        Png.Decoded first = Png.read(pngs.resolve("000.png"));
        Png.Decoded second = Png.read(pngs.resolve("001.png"));
        GenerationMetadata m0 = GenerationMetadata.fromPngText(first.text());
        GenerationMetadata m1 = GenerationMetadata.fromPngText(second.text());
        assertEquals("a red car", m0.prompt());
        assertEquals("ein Hund im Schnee, ÄÖÜ 犬", m1.prompt(), "non-ASCII prompts survive (iTXt)");
        assertEquals("blurry", m0.negativePrompt());
        assertEquals("blurry", m1.negativePrompt());
        assertEquals(11L, m0.seed());
        assertEquals(12L, m1.seed());
        assertEquals(2, m0.steps());
        assertEquals(6.5, m0.guidanceScale());
        assertEquals("EulerDiscreteScheduler", m0.scheduler());
        assertEquals(OutputWriter.EMBEDDED_MODEL, m0.model());
        assertEquals(32, first.image().getWidth());
        assertEquals(32, m0.width());
        assertEquals(32, m0.height());
        assertTrue(m0.extra().isEmpty(), "one seed per image: no batch keys, got " + m0.extra());
        assertTrue(first.text().get(GenerationMetadata.PARAMETERS).contains("Sampler: Euler, CFG scale: 6.5, Seed: 11"),
                first.text().get(GenerationMetadata.PARAMETERS));

        // the same call as output_type="np": the PNG pixels are that array, rounded like diffusers' numpy_to_pil
        Path npy = dir.resolve("out.npy");
        Object[] rn = run("generate", "--prompt", "a red car", "--prompt", "ein Hund im Schnee, ÄÖÜ 犬",
                "--negative-prompt", "blurry", "--seed", "11", "--seed", "12", "--steps", "2",
                "--guidance-scale", "6.5", "--scheduler", "EulerDiscreteScheduler", "--height", "32", "--width", "32",
                "--output-type", "np",
                "--output", npy.toString(), "--no-progress");
        assertEquals(0, rn[0], (String) rn[1]);
        Npy.Array arr = Npy.read(npy);
        int h = (int) arr.shape()[1];
        int w = (int) arr.shape()[2];
        float[] data = arr.floats();
        BufferedImage img = second.image();
        int maxDiff = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                for (int c = 0; c < 3; c++) {
                    int expect = Math.round(data[((h + y) * w + x) * 3 + c] * 255f);
                    int got = (rgb >> (16 - 8 * c)) & 0xff;
                    maxDiff = Math.max(maxDiff, Math.abs(expect - got));
                }
            }
        }
        assertTrue(maxDiff <= 1, "PNG pixels == np output (image 1), max diff " + maxDiff);
    }

    @Test
    void oneSeedForABatchRecordsTheBatchPositionAndTheCheckpointScheduler(@TempDir Path dir) throws Exception {
        Path pngs = dir.resolve("batch");
        Object[] r = run("generate", "--prompt", "a cat", "--num-images-per-prompt", "2", "--seed", "5",
                "--steps", "1", "--height", "32", "--width", "32", "--output", pngs.toString());
        assertEquals(0, r[0], (String) r[1]);
        String err = (String) r[1];
        assertTrue(err.contains("  0%|") && err.contains("it/s") && err.contains("100%|"),
                "the progress bar shows steps, rate and percent: " + err);
        for (int i = 0; i < 2; i++) {
            Map<String, String> text = Png.read(pngs.resolve(String.format("%03d.png", i))).text();
            GenerationMetadata m = GenerationMetadata.fromPngText(text);
            assertEquals("a cat", m.prompt());
            assertEquals(5L, m.seed());
            assertEquals(Integer.toString(i), m.extra().get("batch_index"));
            assertEquals("2", m.extra().get("batch_size"));
            assertNull(m.negativePrompt());
            assertEquals(7.5, m.guidanceScale(), "diffusers' default guidance");
            assertTrue(m.scheduler().endsWith("Scheduler") && !m.scheduler().isBlank(),
                    "the checkpoint's own scheduler class is recorded: " + m.scheduler());
        }
        assertTrue(Files.isRegularFile(pngs.resolve("001.png")));
    }

    @Test
    void progressBarLineHasStepsRateAndEtaLikeTqdm() {
        // tqdm: "{percentage:3.0f}%|{bar}| {n}/{total} [{elapsed}<{remaining}, {rate:.2f}it/s]", times truncated
        String line = ConsoleProgressBar.render(5, 20, 2.5);
        assertEquals(" 25%|######                  | 5/20 [00:02<00:07, 2.00it/s]", line);
        assertEquals("  0%|                        | 0/4 [00:00<00:00, 0.00it/s]", ConsoleProgressBar.render(0, 4, 0));
        assertEquals(" 67%|################        | 2/3 [01:05<00:32, 0.03it/s]", ConsoleProgressBar.render(2, 3, 65.9));
    }
}
