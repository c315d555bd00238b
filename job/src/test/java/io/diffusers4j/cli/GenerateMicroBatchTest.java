// `generate` renders a large request in micro-batches whose images are the single call's, and bounds its size.
package io.diffusers4j.cli;

import io.diffusers4j.image.Png;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.schedulers.Schedulers;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.testing.ReferenceCase;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reference is the library's single pipeline call over the whole request (tiny-sd); the command line renders
 * the same request in calls of --batch-size images. Schedulers that draw noise at every step (Euler ancestral,
 * DDPM) make the single generator's later draws count too.
 */
class GenerateMicroBatchTest {
    private static final String MODEL = Fixtures.tinySd().toString();
    private static DiffusionPipeline pipe;

    @BeforeAll
    static void load() {
        pipe = DiffusionPipeline.fromPretrained(MODEL, new PipelineOptions());
    }

    @AfterAll
    static void close() {
        pipe.close();
    }

    /** The single call: {@code call} on tiny-sd with {@code scheduler}, as np. */
    private static float[] singleCall(PipelineCall call, String scheduler) {
        call.numInferenceSteps(2).outputType("np")
                .scheduler(Schedulers.create(scheduler, pipe.scheduler().config(), List.of()));
        DiffusionPipeline runs = pipe.pipelineFor(call);
        return ((ImagePipelineOutput) runs.call(runs.withDefaults(call))).data();
    }

    private static float[] generate(Path npy, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("generate", "--model", MODEL, "--steps", "2", "--output-type", "np",
                "--output", npy.toString(), "--no-progress"));
        all.addAll(List.of(args));
        Object[] r = GenerateOutputTest.run(all.toArray(String[]::new));
        assertEquals(0, r[0], (String) r[1]);
        return Npy.read(npy).floats();
    }

    private static void assertSame(float[] single, float[] batched, String what) {
        assertEquals(single.length, batched.length, what);
        double diff = ReferenceCase.maxAbsDiff(single, batched);
        assertTrue(diff <= 1e-5, what + ": micro-batches vs the single call, max |diff| " + diff);
    }

    @Test
    void oneSeedForTheBatchGivesTheSingleCallsImagesWithASchedulerThatDrawsAtEveryStep(@TempDir Path dir)
            throws Exception {
        float[] single = singleCall(new PipelineCall().prompt("a cat").numImagesPerPrompt(5).seed(7).height(32)
                .width(32), "EulerAncestralDiscreteScheduler");
        Path npy = dir.resolve("a.npy");
        Object[] r = GenerateOutputTest.run("generate", "--model", MODEL, "--prompt", "a cat",
                "--num-images-per-prompt", "5", "--seed", "7", "--height", "32", "--width", "32", "--steps", "2",
                "--scheduler", "EulerAncestralDiscreteScheduler", "--batch-size", "2", "--output-type", "np",
                "--output", npy.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        String err = (String) r[1];
        assertTrue(err.contains("images 1-2 of 5") && err.contains("images 3-4 of 5") && err.contains("images 5-5 of 5"),
                "three calls: " + err);
        assertArrayEquals(new long[] {5, 32, 32, 3}, Npy.read(npy).shape());
        assertSame(single, Npy.read(npy).floats(), "one seed, Euler ancestral");
    }

    @Test
    void oneSeedPerImageAcrossPromptsWithPerPromptNegatives(@TempDir Path dir) throws Exception {
        float[] single = singleCall(new PipelineCall().prompt("a red car", "a blue boat")
                .negativePrompt("blurry", "dark").numImagesPerPrompt(3).seeds(1, 2, 3, 4, 5, 6).height(32).width(32),
                "DDPMScheduler");
        float[] batched = generate(dir.resolve("b.npy"), "--prompt", "a red car", "--prompt", "a blue boat",
                "--negative-prompt", "blurry", "--negative-prompt", "dark", "--num-images-per-prompt", "3",
                "--seed", "1", "--seed", "2", "--seed", "3", "--seed", "4", "--seed", "5", "--seed", "6",
                "--height", "32", "--width", "32", "--scheduler", "DDPMScheduler", "--batch-size", "4");
        assertSame(single, batched, "a seed per image, calls of 4 across the two prompts");
    }

    @Test
    void imageToImageWithOneSeedAndALastCallOfOneImage(@TempDir Path dir) throws Exception {
        BufferedImage input = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                input.setRGB(x, y, (x * 8) << 16 | (y * 8) << 8 | ((x + y) * 4));
            }
        }
        Path png = dir.resolve("in.png");
        Png.write(png, input, null);
        float[] single = singleCall(new PipelineCall().prompt("a cat").numImagesPerPrompt(3).seed(11)
                .image(List.of(input)).strength(0.9), "DDPMScheduler");
        float[] batched = generate(dir.resolve("c.npy"), "--prompt", "a cat", "--num-images-per-prompt", "3",
                "--seed", "11", "--image", png.toString(), "--strength", "0.9", "--scheduler", "DDPMScheduler",
                "--batch-size", "2");
        assertSame(single, batched, "img2img, one seed, calls of 2 + 1");
    }

    @Test
    void aLargeRequestIsRenderedAtMostEightImagesPerCallByDefault(@TempDir Path dir) throws Exception {
        Path pngs = dir.resolve("many");
        Object[] r = GenerateOutputTest.run("generate", "--model", MODEL, "--prompt", "a cat",
                "--num-images-per-prompt", "20", "--seed", "3", "--steps", "1", "--height", "16", "--width", "16",
                "--output", pngs.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        String err = (String) r[1];
        assertTrue(err.contains("images 1-8 of 20") && err.contains("images 9-16 of 20")
                && err.contains("images 17-20 of 20"), err);
        for (int i = 0; i < 20; i++) {
            assertTrue(Files.isRegularFile(pngs.resolve(String.format("%03d.png", i))), "image " + i);
        }
        try (var files = Files.list(pngs)) {
            assertEquals(20, files.count(), "only the images: no staging left");
        }
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no staging folder left beside the output");
        }
    }

    @Test
    void sizesBeyondTheLimitsAreRefusedOnOneLineBeforeAnythingLoads(@TempDir Path dir) {
        Path out = dir.resolve("out");
        String[][] cases = {
            {"--num-images-per-prompt", "10000", "--max-images", "100"},
            {"--num-images-per-prompt", "2000000000"},
            {"--num-images-per-prompt", "0"},
            {"--num-images-per-prompt", "3", "--seed", "1", "--seed", "2"},
            {"--max-images", "0"},
            {"--batch-size", "0"},
        };
        String[] expected = {
            "diffusers4j generate: error: --num-images-per-prompt 10000 x 1 prompt = 10000 images, more than "
                + "--max-images 100",
            "diffusers4j generate: error: --num-images-per-prompt 2000000000 x 1 prompt = 2000000000 images, more "
                + "than the 1000000 one run writes at most",
            "diffusers4j generate: error: --num-images-per-prompt must be >= 1, got 0",
            "diffusers4j generate: error: --seed given 2 times for 3 images: give one seed for the whole batch or "
                + "one per image",
            "diffusers4j generate: error: --max-images must be in [1, 1000000], got 0",
            "diffusers4j generate: error: --batch-size must be in [1, 1000000], got 0",
        };
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new ArrayList<>(List.of("generate", "--model", MODEL, "--prompt", "a cat",
                    "--output", out.toString()));
            args.addAll(List.of(cases[i]));
            long t0 = System.nanoTime();
            Object[] r = GenerateOutputTest.run(args.toArray(String[]::new));
            assertEquals(2, r[0], (String) r[1]);
            assertEquals(expected[i], ((String) r[1]).strip(), "one line naming the flag");
            assertTrue(System.nanoTime() - t0 < 3_000_000_000L, "refused before loading anything");
            assertFalse(Files.exists(out));
        }
    }
}
