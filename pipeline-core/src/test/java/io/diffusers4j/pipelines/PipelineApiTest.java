package io.diffusers4j.pipelines;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.schedulers.EulerDiscreteScheduler;
import io.diffusers4j.schedulers.Scheduler;
import io.diffusers4j.schedulers.Schedulers;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.testing.ReferenceCase;
import io.diffusers4j.utils.TorchGenerator;
import io.diffusers4j.weights.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DiffusionPipeline API around the parity-tested call: sharing, saving, swapping, options, errors. */
class PipelineApiTest {
    private static StableDiffusionPipeline pipe;

    @BeforeAll
    static void load() {
        pipe = Fixtures.tinySdPipeline();
    }

    @AfterAll
    static void close() {
        pipe.close();
    }

    /** A cheap call: 2 steps, output_type np. */
    static PipelineCall quick(String... prompts) {
        return new PipelineCall().prompt(prompts).numInferenceSteps(2).outputType("np");
    }

    @Test
    void componentsBuildOtherPipelinesWithoutReloading() {
        Map<String, Object> c = pipe.components();
        assertEquals(List.of("vae", "text_encoder", "tokenizer", "unet", "scheduler"), List.copyOf(c.keySet()));
        try (StableDiffusionImg2ImgPipeline i2i = new StableDiffusionImg2ImgPipeline(c);
             StableDiffusionInpaintPipeline inpaint = new StableDiffusionInpaintPipeline(i2i.components())) {
            assertSame(pipe.unet(), i2i.unet());
            assertSame(pipe.vae(), inpaint.vae());
            assertSame(pipe.textEncoder(), inpaint.textEncoder());
        }
        // closing a pipeline built on shared components leaves the owner's weights usable
        ImagePipelineOutput out = pipe.call(quick("still works").seed(1));
        assertEquals(1, out.count());
    }

    @Test
    void savePretrainedReloadsBitExactlyWithAndWithoutVariant(@TempDir Path tmp) throws Exception {
        for (String variant : new String[] {null, "fp16"}) {
            Path dir = tmp.resolve(variant == null ? "plain" : variant);
            pipe.savePretrained(dir, variant);
            String suffix = variant == null ? "" : "." + variant;
            assertTrue(Files.isRegularFile(dir.resolve("unet/diffusion_pytorch_model" + suffix + ".safetensors")));
            assertTrue(Files.isRegularFile(dir.resolve("text_encoder/model" + suffix + ".safetensors")));
            try (DiffusionPipeline reloaded = DiffusionPipeline.fromPretrained(dir.toString(),
                    new PipelineOptions().variant(variant))) {
                StableDiffusionPipeline p = (StableDiffusionPipeline) reloaded;
                assertEquals(pipe.scheduler().className(), p.scheduler().className());
                for (Map.Entry<String, NDArray> e : pipe.unet().stateDict().entrySet()) {
                    assertArrayEquals(e.getValue().toFloatArray(), p.unet().stateDict().get(e.getKey()).toFloatArray(),
                            e.getKey());
                }
                float[] a = pipe.call(quick("a saved pipeline").seed(3)).data();
                float[] b = p.call(quick("a saved pipeline").seed(3)).data();
                assertArrayEquals(a, b, "same image after save + reload");
            }
        }
        // the fixture's own layout: same tensor names, shapes and dtypes as diffusers wrote
        Path plain = tmp.resolve("plain");
        for (String f : new String[] {"unet/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.safetensors",
                "text_encoder/model.safetensors"}) {
            try (SafetensorsFile ours = SafetensorsFile.open(plain.resolve(f));
                 SafetensorsFile theirs = SafetensorsFile.open(Fixtures.tinySd().resolve(f))) {
                assertEquals(theirs.keys(), ours.keys(), f);
                for (String k : theirs.keys()) {
                    assertArrayEquals(theirs.info(k).shape(), ours.info(k).shape(), k);
                    assertEquals(theirs.info(k).dtype(), ours.info(k).dtype(), k);
                }
                assertArrayEquals(Files.readAllBytes(Fixtures.tinySd().resolve(f)), Files.readAllBytes(plain.resolve(f)),
                        f + " is byte-identical to what diffusers saved");
            }
        }
    }

    @Test
    void schedulerSwapLikeFromConfig() {
        Scheduler original = pipe.scheduler();
        try {
            pipe.setScheduler(Schedulers.fromConfig(EulerDiscreteScheduler.class, pipe.scheduler().config()));
            assertEquals("EulerDiscreteScheduler", pipe.scheduler().className());
            ImagePipelineOutput euler = pipe.call(quick("swap").seed(5));
            pipe.setScheduler(Schedulers.create("PNDMScheduler", pipe.scheduler().config()));
            ImagePipelineOutput pndm = pipe.call(quick("swap").seed(5));
            assertTrue(ReferenceCase.maxAbsDiff(euler.data(), pndm.data()) > 1e-3, "different schedulers differ");
            // swapping back restores the original config keys (skip_prk_steps kept while Euler held the config)
            assertEquals(original.config().toJson().get("skip_prk_steps"),
                    pipe.scheduler().config().toJson().get("skip_prk_steps"));
        } finally {
            pipe.setScheduler(original);
        }
    }

    @Test
    void anImageWithItsOwnSeedIsTheSameAloneAndInABatchOfFour() {
        List<String> prompts = List.of("a red car", "a blue boat", "a green tree", "a yellow sun");
        List<TorchGenerator> gens = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            gens.add(new TorchGenerator(100 + i));
        }
        ImagePipelineOutput batch = pipe.call(quick().prompt(prompts).generators(gens));
        for (int i = 0; i < 4; i++) {
            ImagePipelineOutput alone = pipe.call(quick(prompts.get(i)).seed(100 + i));
            double diff = ReferenceCase.maxAbsDiff(alone.data(), batch.image(i));
            assertTrue(diff <= 1e-5, "image " + i + " alone vs in batch: " + diff);
        }
    }

    @Test
    void outputTypesProgressAndStepCallback() {
        AtomicInteger started = new AtomicInteger();
        AtomicInteger steps = new AtomicInteger();
        AtomicInteger callbacks = new AtomicInteger();
        ProgressListener listener = new ProgressListener() {
            @Override
            public void start(int total) {
                started.set(total);
            }

            @Override
            public void step(int done, int total) {
                steps.incrementAndGet();
            }
        };
        PipelineCall call = quick("callbacks").seed(9).numInferenceSteps(3).outputType("latent")
                .progress(listener).callbackOnStepEnd((i, t, latents) -> {
                    callbacks.incrementAndGet();
                    return latents;
                });
        ImagePipelineOutput latent = pipe.call(call);
        assertArrayEquals(new long[] {1, 4, 32, 32}, latent.shape());
        assertThrows(IllegalStateException.class, latent::images);
        // PNDM (the fixture's scheduler) runs 4 UNet steps for 3 inference steps: 667, 334, 334, 1
        assertEquals(4, started.get());
        assertEquals(4, steps.get());
        assertEquals(4, callbacks.get());
        ImagePipelineOutput pil = pipe.call(quick("pil").seed(9).outputType("pil"));
        assertEquals(64, pil.images().get(0).getWidth());
        // a callback may replace the latents: zeroing them changes the image
        ImagePipelineOutput zeroed = pipe.call(quick("callbacks").seed(9).callbackOnStepEnd((i, t, l) -> l.zerosLike()));
        ImagePipelineOutput normal = pipe.call(quick("callbacks").seed(9));
        assertTrue(ReferenceCase.maxAbsDiff(zeroed.data(), normal.data()) > 1e-3);
    }

    @Test
    void toCopiesTheModelsToAnotherDtype() {
        try (AbstractStableDiffusionPipeline half = pipe.to(Device.cpu(), DataType.FLOAT16)) {
            assertInstanceOf(StableDiffusionPipeline.class, half);
            assertEquals(DataType.FLOAT16, half.unet().dtype());
            // force_upcast: the VAE stays float32 like diffusers
            assertEquals(DataType.FLOAT32, half.vae().dtype());
            assertNotSame(pipe.unet(), half.unet());
            assertSame(pipe.tokenizer(), half.tokenizer());
            float[] a = pipe.call(quick("half").seed(2)).data();
            float[] b = ((StableDiffusionPipeline) half).call(quick("half").seed(2)).data();
            double diff = ReferenceCase.maxAbsDiff(a, b);
            assertTrue(diff < 0.05, "float16 copy renders nearly the same image: " + diff);
        }
        // bfloat16 is the CPU autocast, refused on CUDA (and on CPUs without the instructions: Bf16PipelineTest)
        assertThrows(IllegalArgumentException.class,
                () -> pipe.to(Device.gpu(), DataType.BFLOAT16));
    }

    @Test
    void badArgumentsAreClearErrors() {
        assertMessage(() -> pipe.call(quick("x").height(63)), "`height` and `width` have to be divisible by 2 but are 63 and", true);
        assertMessage(() -> pipe.call(quick("a", "b").negativePrompt("n1", "n2", "n3")), "negative_prompt", true);
        assertMessage(() -> pipe.call(quick("a", "b").generators(List.of(new TorchGenerator(1), new TorchGenerator(2),
                new TorchGenerator(3)))), "generators of length 3", true);
        assertMessage(() -> pipe.call(quick("x").numInferenceSteps(0)), "num_inference_steps", true);
        assertMessage(() -> pipe.call(quick("x").outputType("jpeg")), "output_type", true);
        assertMessage(() -> pipe.call(quick("x").guidanceScale(Double.NaN)), "guidance_scale", true);
        try (StableDiffusionImg2ImgPipeline i2i = new StableDiffusionImg2ImgPipeline(pipe.components())) {
            assertMessage(() -> i2i.call(quick("x").image(List.of(new BufferedImage(64, 64,
                    BufferedImage.TYPE_INT_RGB))).strength(1.5)), "strength", true);
        }
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String fragment, boolean any) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention '" + fragment + "'");
    }

    @Test
    void componentOverridesAndCustomPipelines() {
        Scheduler euler = Schedulers.create("EulerDiscreteScheduler", pipe.scheduler().config());
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(Fixtures.tinySd().toString(),
                new PipelineOptions().component("scheduler", euler))) {
            assertSame(euler, ((StableDiffusionPipeline) p).scheduler());
        }
        IllegalArgumentException dropped = assertThrows(IllegalArgumentException.class,
                () -> DiffusionPipeline.fromPretrained(Fixtures.tinySd().toString(),
                        new PipelineOptions().component("unet", PipelineOptions.NONE)));
        assertTrue(dropped.getMessage().contains("unet"), dropped.getMessage());
        try (DiffusionPipeline custom = DiffusionPipeline.fromPretrained(Fixtures.tinySd().toString(),
                new PipelineOptions().customPipeline(ClasspathPipeline.class.getName()))) {
            ClasspathPipeline c = assertInstanceOf(ClasspathPipeline.class, custom);
            assertEquals(Set.of("vae", "text_encoder", "tokenizer", "unet", "scheduler"),
                    c.components().keySet());
        }
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> DiffusionPipeline.fromPretrained(Fixtures.tinySd().toString(),
                        new PipelineOptions().customPipeline("org.example.FromTheNetwork")));
        assertTrue(missing.getMessage().contains("not on the classpath"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DiffusionPipeline.fromPretrained(
                Fixtures.tinySd().toString(), new PipelineOptions().dtype("bfloat16").device(Device.gpu())));
    }

    @Test
    void tinyPipelineWriterIsDeterministicAndLoads(@TempDir Path tmp) throws Exception {
        Path a = TinyPipeline.write(tmp.resolve("a"), 7);
        Path b = TinyPipeline.write(tmp.resolve("b"), 7);
        Path c = TinyPipeline.write(tmp.resolve("c"), 8);
        String unet = "unet/diffusion_pytorch_model.safetensors";
        assertArrayEquals(Files.readAllBytes(a.resolve(unet)), Files.readAllBytes(b.resolve(unet)));
        assertTrue(!Arrays.equals(Files.readAllBytes(a.resolve(unet)), Files.readAllBytes(c.resolve(unet))));
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(a.toString(), new PipelineOptions())) {
            StableDiffusionPipeline sd = (StableDiffusionPipeline) p;
            assertEquals(64, sd.defaultHeight());
            assertNotSame(pipe.unet(), sd.unet());
            ImagePipelineOutput out = sd.call(quick("tiny").seed(0));
            assertEquals(64 * 64 * 3, out.data().length);
        }
    }
}
