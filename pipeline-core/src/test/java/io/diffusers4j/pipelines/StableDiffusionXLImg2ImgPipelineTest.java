package io.diffusers4j.pipelines;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.testing.ReferenceCase;
import io.diffusers4j.utils.Npy;
import io.diffusers4j.utils.TorchGenerator;
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
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * StableDiffusionXLImg2ImgPipeline around its parity cases (those run in {@link DiffusersReferencePipelineTest}):
 * the refiner checkpoint loaded by {@code _class_name} with its config, save + reload, building it from a
 * text-to-image pipeline's components, the base + refiner ensemble run end to end in Java, argument errors.
 */
class StableDiffusionXLImg2ImgPipelineTest {
    private static StableDiffusionXLPipeline base;
    private static StableDiffusionXLImg2ImgPipeline refiner;

    static Path checkpoint(String name) {
        return DiffusersReferencePipelineTest.referenceDir("reference-sdxl").resolve(name);
    }

    @BeforeAll
    static void load() {
        base = (StableDiffusionXLPipeline) DiffusionPipeline.fromPretrained(checkpoint("tiny-sdxl").toString(),
                new PipelineOptions());
        refiner = (StableDiffusionXLImg2ImgPipeline) DiffusionPipeline.fromPretrained(
                checkpoint("tiny-sdxl-refiner").toString(), new PipelineOptions());
    }

    @AfterAll
    static void close() {
        base.close();
        refiner.close();
    }

    private static BufferedImage image() {
        return new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
    }

    private static PipelineCall quick(String... prompts) {
        return PipelineApiTest.quick(prompts).numInferenceSteps(4).strength(0.5).image(List.of(image()));
    }

    @Test
    void refinerLoadsByClassNameWithItsConfig() {
        assertTrue(DiffusionPipeline.supportedPipelines().contains("StableDiffusionXLImg2ImgPipeline"));
        assertTrue(refiner.requiresAestheticsScore());
        assertFalse(refiner.forceZerosForEmptyPrompt());
        assertNull(refiner.textEncoder());
        assertNull(refiner.tokenizer());
        assertEquals(5.0, refiner.defaultGuidanceScale());
        assertEquals(0.3, StableDiffusionXLImg2ImgPipeline.DEFAULT_STRENGTH);
    }

    @Test
    void savePretrainedWritesTheRefinerConfig(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("saved");
        refiner.savePretrained(dir, null);
        assertEquals(ConfigBase.readJsonObject(checkpoint("tiny-sdxl-refiner").resolve("model_index.json")),
                ConfigBase.readJsonObject(dir.resolve("model_index.json")), "model_index.json as diffusers wrote it");
        try (StableDiffusionXLImg2ImgPipeline reloaded = (StableDiffusionXLImg2ImgPipeline) DiffusionPipeline
                .fromPretrained(dir.toString(), new PipelineOptions())) {
            assertTrue(reloaded.requiresAestheticsScore());
            float[] a = refiner.call(quick("a saved refiner").seed(3)).data();
            float[] b = reloaded.call(quick("a saved refiner").seed(3)).data();
            assertArrayEquals(a, b, "same image after save + reload");
        }
    }

    @Test
    void textToImageComponentsBuildImg2ImgWithoutReloading() {
        try (StableDiffusionXLImg2ImgPipeline p = new StableDiffusionXLImg2ImgPipeline(base.components())) {
            assertSame(base.unet(), p.unet());
            assertSame(base.textEncoder2(), p.textEncoder2());
            assertFalse(p.requiresAestheticsScore(), "diffusers' default");
            assertTrue(p.forceZerosForEmptyPrompt(), "diffusers' default");
            assertEquals(1, p.call(quick("shared components")).count());
        }
        // and back: the img2img pipeline's components build text-to-image
        try (StableDiffusionXLPipeline t2i = new StableDiffusionXLPipeline(refiner.components())) {
            assertSame(refiner.unet(), t2i.unet());
        }
    }

    @Test
    void toKeepsTheRefinerConfig() {
        try (AbstractStableDiffusionPipeline half = refiner.to(Device.cpu(), DataType.FLOAT16)) {
            StableDiffusionXLImg2ImgPipeline r = assertInstanceOf(StableDiffusionXLImg2ImgPipeline.class, half);
            assertEquals(DataType.FLOAT16, r.unet().dtype());
            assertTrue(r.requiresAestheticsScore());
            assertFalse(r.forceZerosForEmptyPrompt());
        }
    }

    /** The base's latents (denoising_end 0.8) from Java into the refiner (denoising_start 0.8): diffusers' image. */
    @Test
    void baseThenRefinerEnsembleInJavaMatchesDiffusers() {
        Path ref = DiffusersReferencePipelineTest.referenceDir("reference-sdxl");
        ReferenceCase first = new ReferenceCase(DiffusersReferencePipelineTest.pipelineCase(
                "sdxl_ensemble_base_latent"), ref);
        ImagePipelineOutput latents = base.call(first.arguments(base));
        ReferenceCase second = new ReferenceCase(DiffusersReferencePipelineTest.pipelineCase("sdxl_ensemble_refiner"),
                ref);
        PipelineCall args = second.arguments(refiner);
        try (NDArray given = refiner.manager.create(latents.data(), new Shape(latents.shape()))) {
            args.sdxl().imageLatents(given);
            ImagePipelineOutput out = refiner.call(args);
            Npy.Array image = second.file("image");
            assertArrayEquals(image.shape(), out.shape());
            double diff = ReferenceCase.maxAbsDiff(image.floats(), out.data());
            assertTrue(diff <= 1e-3, "ensemble image max |diff| " + diff);
        }
    }

    @Test
    void argumentsAreChecked() {
        assertMessage(() -> refiner.call(PipelineApiTest.quick("no image")), "needs `image`");
        assertMessage(() -> refiner.call(quick("x").strength(1.5)), "strength");
        assertMessage(() -> refiner.call(quick("x").sdxl(new SdxlArguments().denoisingStart(0.8).denoisingEnd(0.5))),
                "cannot be larger than or equal to `denoising_end`");
        assertMessage(() -> base.call(PipelineApiTest.quick("x").sdxl(new SdxlArguments().denoisingStart(0.5))),
                "StableDiffusionXLPipeline does not take denoising_start (its diffusers __call__ has no such argument; StableDiffusionXLImg2ImgPipeline and StableDiffusionXLInpaintPipeline take it)");
        assertMessage(() -> base.call(PipelineApiTest.quick("x").sdxl(new SdxlArguments().aestheticScore(7.0))),
                "StableDiffusionXLPipeline does not take aesthetic_score");
        try (StableDiffusionXLImg2ImgPipeline noAesthetics = new StableDiffusionXLImg2ImgPipeline(
                refiner.components())) {
            assertMessage(() -> noAesthetics.call(quick("x")), "set `requires_aesthetics_score` to true");
        }
        try (StableDiffusionXLImg2ImgPipeline aesthetics = new StableDiffusionXLImg2ImgPipeline(
                StableDiffusionXLComponents.from(base.components()), true, true, false)) {
            assertMessage(() -> aesthetics.call(quick("x")), "set `requires_aesthetics_score` to false");
        }
        assertMessage(() -> refiner.call(quick("x").generators(List.of(new TorchGenerator(1),
                new TorchGenerator(2), new TorchGenerator(3)))),
                "list of generators of length 3");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention '" + fragment + "'");
    }
}
