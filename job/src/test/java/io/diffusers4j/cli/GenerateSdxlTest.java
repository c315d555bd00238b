// `diffusers4j generate` on an SDXL checkpoint: the reference-sdxl case through the command line.
package io.diffusers4j.cli;

import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.image.Png;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.testing.ReferenceCase;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs Main in-process on reference-sdxl/tiny-sdxl and compares with what diffusers 0.30.3 rendered. */
class GenerateSdxlTest {

    private static Object[] run(String... args) {
        return GenerateOutputTest.run(args);
    }

    private static String model() {
        return Fixtures.referenceSdxl().resolve("tiny-sdxl").toString();
    }

    /** The case sdxl_ddim_negative_prompt2 (prompt_2, negative_prompt_2, DDIM, seed 1) as command-line flags. */
    @Test
    void promptTwoAndNegativePromptTwoMatchDiffusers(@TempDir Path dir) throws Exception {
        Path npy = dir.resolve("out.npy");
        Object[] r = run("generate", "--model", model(), "--prompt", "a photo of an astronaut riding a horse on mars",
                "--prompt-2", "a watercolor painting of a castle", "--negative-prompt", "low quality, blurry",
                "--negative-prompt-2", "dark, grainy", "--guidance-scale", "7.0", "--height", "64", "--width", "64",
                "--steps", "4", "--seed", "1", "--scheduler", "DDIMScheduler", "--output-type", "np",
                "--output", npy.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        Npy.Array ours = Npy.read(npy);
        Npy.Array ref = Npy.read(Fixtures.referenceSdxl().resolve("sdxl_ddim_negative_prompt2/image.npy"));
        assertArrayEquals(ref.shape(), ours.shape());
        double diff = ReferenceCase.maxAbsDiff(ref.floats(), ours.floats());
        assertTrue(diff <= 1e-3, "image max |diff| " + diff);
    }

    /** reference/inputs/image_64x64.png (the cases' input image) copied out of the test resources into {@code dir}. */
    private static Path input(Path dir) throws Exception {
        return resource(dir, "image_64x64.png");
    }

    /** A file of reference/inputs copied out of the test resources into {@code dir}. */
    private static Path resource(Path dir, String name) throws Exception {
        Path png = dir.resolve(name);
        if (Files.exists(png)) {
            return png;
        }
        try (InputStream in = GenerateSdxlTest.class.getResourceAsStream("/reference/inputs/" + name)) {
            Files.copy(in, png);
        }
        return png;
    }

    private static void assertImage(Path npy, String refCase) throws Exception {
        Npy.Array ours = Npy.read(npy);
        Npy.Array ref = Npy.read(Fixtures.referenceSdxl().resolve(refCase + "/image.npy"));
        assertArrayEquals(ref.shape(), ours.shape());
        double diff = ReferenceCase.maxAbsDiff(ref.floats(), ours.floats());
        assertTrue(diff <= 1e-3, refCase + " image max |diff| " + diff);
    }

    /** --image on the text-to-image checkpoint: sdxl_img2img_euler_strength06 (its components in img2img). */
    @Test
    void imageRunsSdxlImg2ImgLikeDiffusers(@TempDir Path dir) throws Exception {
        Path npy = dir.resolve("out.npy");
        Object[] r = run("generate", "--model", model(), "--prompt", "a photo of an astronaut riding a horse on mars",
                "--negative-prompt", "low quality, blurry", "--image", input(dir).toString(), "--strength", "0.6",
                "--steps", "5", "--seed", "41", "--output-type", "np", "--output", npy.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        assertImage(npy, "sdxl_img2img_euler_strength06");
    }

    /** The refiner checkpoint (model_index names StableDiffusionXLImg2ImgPipeline): sdxl_refiner_euler_default. */
    @Test
    void refinerCheckpointRunsWithImageAndNeedsIt(@TempDir Path dir) throws Exception {
        String refiner = Fixtures.referenceSdxl().resolve("tiny-sdxl-refiner").toString();
        Path npy = dir.resolve("out.npy");
        Object[] r = run("generate", "--model", refiner, "--prompt", "a photo of an astronaut riding a horse on mars",
                "--image", input(dir).toString(), "--steps", "10", "--seed", "50", "--output-type", "np",
                "--output", npy.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        assertImage(npy, "sdxl_refiner_euler_default");

        Object[] none = run("generate", "--model", refiner, "--prompt", "a cat", "--steps", "1",
                "--output", dir.resolve("none").toString(), "--no-progress");
        assertEquals(2, none[0], (String) none[1]);
        assertTrue(((String) none[1]).contains("StableDiffusionXLImg2ImgPipeline needs `image`"), (String) none[1]);
        assertFalse(Files.exists(dir.resolve("none")));
    }

    @Test
    void defaultsAreSdxlsAndSdOnlyFlagsAreRefused(@TempDir Path dir) throws Exception {
        Path pngs = dir.resolve("pngs");
        Object[] r = run("generate", "--model", model(), "--prompt", "a cat", "--steps", "1", "--seed", "3",
                "--output", pngs.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        Png.Decoded png = Png.read(pngs.resolve("000.png"));
        assertEquals(64, png.image().getWidth(), "unet.sample_size * vae_scale_factor");
        assertEquals(5.0, GenerationMetadata.fromPngText(png.text()).guidanceScale(), "SDXL's default guidance");

        Path in = dir.resolve("in.png");
        Png.write(in, png.image(), Map.of());

        Path i2i = dir.resolve("i2i");
        Object[] r2 = run("generate", "--model", model(), "--prompt", "a cat", "--image", in.toString(), "--steps",
                "4", "--seed", "3", "--output", i2i.toString(), "--no-progress");
        assertEquals(0, r2[0], (String) r2[1]);
        GenerationMetadata meta = GenerationMetadata.fromPngText(Png.read(i2i.resolve("000.png")).text());
        assertEquals("0.3", meta.extra().get("strength"), "SDXL img2img's default strength");

        Object[] sd = run("generate", "--prompt", "a cat", "--prompt-2", "a dog", "--steps", "1",
                "--output", dir.resolve("sd").toString(), "--no-progress");
        assertEquals(2, sd[0], (String) sd[1]);
        assertTrue(((String) sd[1]).contains("StableDiffusionPipeline does not take prompt_2"), (String) sd[1]);
    }

    /** --image --mask-image on the text-to-image checkpoint: StableDiffusionXLInpaintPipeline, case sdxl_inpaint_euler_default. */
    @Test
    void inpaintingRunsOnTheSameComponentsLikeDiffusers(@TempDir Path dir) throws Exception {
        Path npy = dir.resolve("out.npy");
        Object[] r = run("generate", "--model", model(), "--prompt", "a photo of an astronaut riding a horse on mars",
                "--image", input(dir).toString(), "--mask-image", resource(dir, "mask_64x64.png").toString(),
                "--steps", "10", "--seed", "60", "--scheduler", "EulerDiscreteScheduler", "--output-type", "np",
                "--output", npy.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        assertImage(npy, "sdxl_inpaint_euler_default");
        Path pngs = dir.resolve("pngs");
        r = run("generate", "--model", model(), "--prompt", "a cat", "--image", input(dir).toString(),
                "--mask-image", dir.resolve("mask_64x64.png").toString(), "--steps", "2", "--seed", "1",
                "--output", pngs.toString(), "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        GenerationMetadata meta = GenerationMetadata.fromPngText(Png.read(pngs.resolve("000.png")).text());
        assertEquals("inpaint", meta.extra().get("mode"));
        assertEquals("0.9999", meta.extra().get("strength"), "SDXL inpainting's default strength");
        assertEquals(7.5, meta.guidanceScale(), "SDXL inpainting's default guidance");
    }
}
