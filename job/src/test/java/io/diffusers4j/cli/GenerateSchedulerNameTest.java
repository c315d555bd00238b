// `diffusers4j generate --scheduler` with web UI names: the scheduler they build and the name the PNG records.
package io.diffusers4j.cli;

import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.image.Png;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the real command (in-process, on the embedded tiny pipeline, 2 steps). */
class GenerateSchedulerNameTest {

    @Test
    void aComfyUiNameRunsAndThePngRecordsItWithTheWebUiSampler(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        Object[] r = GenerateOutputTest.run("generate", "--prompt", "a red car", "--seed", "3", "--steps", "2",
                "--scheduler", " DPMPP_2M  karras", "--height", "32", "--width", "32", "--output", out.toString(),
                "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        Map<String, String> text = Png.read(out.resolve("000.png")).text();
        assertEquals("dpmpp_2m karras", text.get(GenerationMetadata.SCHEDULER), "the canonical spelling");
        assertTrue(text.get(GenerationMetadata.PARAMETERS).contains("Steps: 2, Sampler: DPM++ 2M Karras, CFG scale"),
                text.get(GenerationMetadata.PARAMETERS));
    }

    @Test
    void aMistypedOrUnsupportedNameIsAUsageErrorSayingWhy(@TempDir Path dir) {
        Object[] typo = GenerateOutputTest.run("generate", "--prompt", "a", "--steps", "2", "--scheduler",
                "DPM++ 2M Karas", "--output", dir.resolve("a").toString(), "--no-progress");
        assertEquals(2, typo[0], (String) typo[1]);
        assertTrue(((String) typo[1]).contains("unknown scheduler 'DPM++ 2M Karas'. Did you mean 'DPM++ 2M Karras'?"),
                (String) typo[1]);
        Object[] refused = GenerateOutputTest.run("generate", "--prompt", "a", "--steps", "2", "--scheduler",
                "DPM2 a", "--output", dir.resolve("b").toString(), "--no-progress");
        assertEquals(2, refused[0], (String) refused[1]);
        assertTrue(((String) refused[1]).contains("scheduler 'DPM2 a' is not supported: it needs "
                + "KDPM2AncestralDiscreteScheduler"), (String) refused[1]);
        assertFalse(Files.exists(dir.resolve("a")) || Files.exists(dir.resolve("b")), "nothing written");
    }
}
