package io.diffusers4j.pipelines;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.testing.ReferenceCase;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * StableDiffusionXLPipeline around its parity cases (those run in {@link DiffusersReferencePipelineTest}): loading
 * by {@code _class_name}, save + reload, {@code force_zeros_for_empty_prompt}, {@code to()}, argument errors.
 */
class StableDiffusionXLPipelineTest {
    private static StableDiffusionXLPipeline pipe;

    static Path checkpoint() {
        return DiffusersReferencePipelineTest.referenceDir("reference-sdxl").resolve("tiny-sdxl");
    }

    @BeforeAll
    static void load() {
        pipe = (StableDiffusionXLPipeline) DiffusionPipeline.fromPretrained(checkpoint().toString(),
                new PipelineOptions());
    }

    @AfterAll
    static void close() {
        pipe.close();
    }

    private static PipelineCall quick(String... prompts) {
        return PipelineApiTest.quick(prompts);
    }

    @Test
    void loadsByClassNameWithItsComponentsAndConfig() {
        assertEquals(List.of("vae", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "unet", "scheduler"),
                List.copyOf(pipe.components().keySet()));
        assertTrue(pipe.forceZerosForEmptyPrompt());
        assertEquals(5.0, pipe.defaultGuidanceScale());
        assertEquals(64, pipe.defaultHeight());
        assertEquals("!", pipe.tokenizer2().padToken());
    }

    @Test
    void savePretrainedWritesDiffusersLayoutAndReloadsBitExactly(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("saved");
        pipe.savePretrained(dir, null);
        assertEquals(ConfigBase.readJsonObject(checkpoint().resolve("model_index.json")),
                ConfigBase.readJsonObject(dir.resolve("model_index.json")), "model_index.json as diffusers wrote it");
        for (String f : new String[] {"unet/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.safetensors",
                "text_encoder/model.safetensors", "text_encoder_2/model.safetensors"}) {
            assertArrayEquals(Files.readAllBytes(checkpoint().resolve(f)), Files.readAllBytes(dir.resolve(f)),
                    f + " is byte-identical to what diffusers saved");
        }
        try (StableDiffusionXLPipeline reloaded = (StableDiffusionXLPipeline) DiffusionPipeline.fromPretrained(
                dir.toString(), new PipelineOptions())) {
            float[] a = pipe.call(quick("a saved pipeline").negativePrompt("blurry").seed(3)).data();
            float[] b = reloaded.call(quick("a saved pipeline").negativePrompt("blurry").seed(3)).data();
            assertArrayEquals(a, b, "same image after save + reload");
        }
    }

    /** Without force_zeros_for_empty_prompt a None negative prompt is encoded as "": diffusers' case with "". */
    @Test
    void forceZerosFalseEncodesTheEmptyNegativePrompt(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("no-zeros");
        pipe.savePretrained(dir, null);
        JsonObject index = ConfigBase.readJsonObject(dir.resolve("model_index.json"));
        index.addProperty("force_zeros_for_empty_prompt", false);
        Files.writeString(dir.resolve("model_index.json"), ConfigBase.GSON.toJson(index));
        JsonObject json = DiffusersReferencePipelineTest.pipelineCase("sdxl_euler_negative_empty_string");
        ReferenceCase c = new ReferenceCase(json, DiffusersReferencePipelineTest.referenceDir("reference-sdxl"));
        try (StableDiffusionXLPipeline p = (StableDiffusionXLPipeline) DiffusionPipeline.fromPretrained(
                dir.toString(), new PipelineOptions())) {
            assertFalse(p.forceZerosForEmptyPrompt());
            PipelineCall args = c.arguments(p).negativePrompt((List<String>) null);
            ImagePipelineOutput out = p.call(args);
            Npy.Array ref = c.file("image");
            double diff = ReferenceCase.maxAbsDiff(ref.floats(), out.data());
            assertTrue(diff <= 1e-3, "image max |diff| " + diff);
            for (double step : c.stepDiffs(c.file("step_latents"))) {
                assertTrue(step <= 1e-3, "step latents max |diff| " + step);
            }
        }
        // and with the default (true) the same call gives the zero-negative image, which differs
        float[] zeroed = pipe.call(c.arguments(pipe).negativePrompt((List<String>) null).callbackOnStepEnd(null))
                .data();
        assertTrue(ReferenceCase.maxAbsDiff(c.file("image").floats(), zeroed) > 1e-3);
    }

    @Test
    void toCopiesBothTextEncoders() {
        try (AbstractStableDiffusionPipeline half = pipe.to(Device.cpu(), DataType.FLOAT16)) {
            StableDiffusionXLPipeline xl = assertInstanceOf(StableDiffusionXLPipeline.class, half);
            assertEquals(DataType.FLOAT16, xl.unet().dtype());
            assertEquals(DataType.FLOAT32, xl.vae().dtype(), "force_upcast VAE stays float32");
            assertNotSame(pipe.textEncoder2(), xl.textEncoder2());
            assertSame(pipe.tokenizer2(), xl.tokenizer2());
            assertTrue(xl.forceZerosForEmptyPrompt());
        }
    }

    @Test
    void componentsAndArgumentsAreChecked() {
        assertMessage(() -> new StableDiffusionPipeline(pipe.components()), "StableDiffusionXLPipeline");
        Map<String, Object> noTokenizer = new HashMap<>(pipe.components());
        noTokenizer.put("tokenizer", null);
        assertMessage(() -> new StableDiffusionXLPipeline(noTokenizer), "both be given or both be absent");
        Map<String, Object> noEncoder2 = new HashMap<>(pipe.components());
        noEncoder2.remove("text_encoder_2");
        assertMessage(() -> new StableDiffusionXLPipeline(noEncoder2), "text_encoder_2");
        assertMessage(() -> pipe.call(quick("a", "b").sdxl(new SdxlArguments().prompt2("only one"))), "prompt_2");
        assertMessage(() -> pipe.call(quick("x").sdxl(new SdxlArguments().denoisingEnd(1.5))), "denoising_end");
        try (NDArray embeds = pipe.manager.zeros(new Shape(1, 77, 64))) {
            assertMessage(() -> pipe.call(new PipelineCall().promptEmbeds(embeds).numInferenceSteps(1)),
                    "pooled_prompt_embeds");
        }
        try (StableDiffusionPipeline sd = Fixtures.tinySdPipeline()) {
            assertMessage(() -> sd.call(quick("x").sdxl(new SdxlArguments().targetSize(64, 64))),
                    "StableDiffusionPipeline does not take target_size");
        }
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention '" + fragment + "'");
    }
}
