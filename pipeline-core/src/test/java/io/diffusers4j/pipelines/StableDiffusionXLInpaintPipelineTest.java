package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.config.ConfigBase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * StableDiffusionXLInpaintPipeline around its parity cases (those run in {@link DiffusersReferencePipelineTest}):
 * the 9-channel checkpoint loaded by {@code _class_name}, save + reload, diffusers' defaults, building it from a
 * text-to-image pipeline's components, argument errors.
 */
class StableDiffusionXLInpaintPipelineTest {
    private static StableDiffusionXLInpaintPipeline inpaint;

    @BeforeAll
    static void load() {
        inpaint = (StableDiffusionXLInpaintPipeline) DiffusionPipeline.fromPretrained(
                StableDiffusionXLImg2ImgPipelineTest.checkpoint("tiny-sdxl-inpaint").toString(), new PipelineOptions());
    }

    @AfterAll
    static void close() {
        inpaint.close();
    }

    private static PipelineCall quick(String... prompts) {
        BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        return PipelineApiTest.quick(prompts).numInferenceSteps(3).image(List.of(image)).maskImage(List.of(image));
    }

    @Test
    void loadsByClassNameWithDiffusersDefaults() {
        assertTrue(DiffusionPipeline.supportedPipelines().contains("StableDiffusionXLInpaintPipeline"));
        assertEquals(9, inpaint.unetInChannels());
        assertFalse(inpaint.requiresAestheticsScore());
        assertTrue(inpaint.forceZerosForEmptyPrompt());
        assertEquals(7.5, inpaint.defaultGuidanceScale(), "SDXL inpainting's default, not SDXL's 5.0");
        assertEquals(0.9999, StableDiffusionXLInpaintPipeline.DEFAULT_STRENGTH);
    }

    @Test
    void savePretrainedWritesItsConfigAndReloads(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("saved");
        inpaint.savePretrained(dir, null);
        assertEquals(ConfigBase.readJsonObject(StableDiffusionXLImg2ImgPipelineTest.checkpoint("tiny-sdxl-inpaint")
                .resolve("model_index.json")), ConfigBase.readJsonObject(dir.resolve("model_index.json")));
        try (StableDiffusionXLInpaintPipeline reloaded = (StableDiffusionXLInpaintPipeline) DiffusionPipeline
                .fromPretrained(dir.toString(), new PipelineOptions())) {
            assertArrayEquals(inpaint.call(quick("saved").seed(4)).data(), reloaded.call(quick("saved").seed(4)).data());
        }
    }

    @Test
    void componentsBuildTheOtherSdxlPipelinesWithoutReloading() {
        try (StableDiffusionXLImg2ImgPipeline i2i = new StableDiffusionXLImg2ImgPipeline(inpaint.components());
             StableDiffusionXLInpaintPipeline back = new StableDiffusionXLInpaintPipeline(i2i.components())) {
            assertSame(inpaint.unet(), i2i.unet());
            assertSame(inpaint.vae(), back.vae());
            assertEquals(1, back.call(quick("shared")).count());
        }
    }

    @Test
    void argumentsAreChecked() {
        assertMessage(() -> inpaint.call(quick("x").maskImage((List<BufferedImage>) null)), "mask_image");
        assertMessage(() -> inpaint.call(quick("x").strength(-0.1)), "strength");
        try (NDArray latents = inpaint.manager.zeros(new Shape(1, 4, 32, 32))) {
            assertMessage(() -> inpaint.call(quick("x").sdxl(new SdxlArguments().imageLatents(latents))),
                    "StableDiffusionXLInpaintPipeline does not take image (as latents)");
        }
        assertMessage(() -> inpaint.call(quick("x").sdxl(new SdxlArguments().denoisingStart(0.6).denoisingEnd(0.4))),
                "cannot be larger than or equal to `denoising_end`");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention '" + fragment + "'");
    }
}
