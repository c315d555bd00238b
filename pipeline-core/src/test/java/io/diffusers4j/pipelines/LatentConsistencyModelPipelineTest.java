package io.diffusers4j.pipelines;

import io.diffusers4j.schedulers.Schedulers;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LatentConsistencyModelPipeline's API around the numbers (which {@code DiffusersReferencePipelineTest} compares with
 * diffusers): chosen by model_index.json, diffusers' defaults, the LCMScheduler and LCM-UNet requirements, diffusers'
 * multiple-of-8 size check, and decoding the last step's {@code denoised}.
 */
class LatentConsistencyModelPipelineTest {
    private static LatentConsistencyModelPipeline lcm;

    @BeforeAll
    static void load() {
        DiffusionPipeline p = DiffusionPipeline.fromPretrained(
                DiffusersReferencePipelineTest.referenceDir().resolve("tiny-lcm").toString(), new PipelineOptions());
        lcm = assertInstanceOf(LatentConsistencyModelPipeline.class, p, "model_index.json _class_name");
    }

    @AfterAll
    static void close() {
        lcm.close();
    }

    @Test
    void defaultsAreDiffusers() {
        PipelineDefaults d = lcm.defaults();
        assertEquals(4, d.numInferenceSteps());
        assertEquals(8.5, d.guidanceScale());
        assertNull(d.strength());
        PipelineCall resolved = lcm.withDefaults(new PipelineCall().prompt("a cat"));
        assertEquals(4, resolved.numInferenceSteps());
        assertEquals(8.5, resolved.guidanceScale());
        assertEquals(64, resolved.height());
        assertEquals("pil", resolved.outputType());
        PipelineCall c = new PipelineCall();
        List<Integer> steps = new ArrayList<>();
        ImagePipelineOutput out = lcm.call(c.prompt("a cat").seed(0).progress(new ProgressListener() {
            @Override
            public void start(int total) {
            }

            @Override
            public void step(int done, int total) {
                steps.add(done);
            }
        }));
        assertEquals(List.of(1, 2, 3, 4), steps);
        assertEquals(64, out.images().get(0).getWidth(), "unet.sample_size * vae_scale_factor");
    }

    @Test
    void decodesTheLastDenoisedNotTheCallbacksLatents() {
        PipelineCall c = new PipelineCall().prompt("a cat").seed(3).numInferenceSteps(2).outputType("latent");
        float[] plain = lcm.call(c).data();
        // diffusers decodes the last step's `denoised`; a callback replacing `latents` after that step does not change it
        float[] withCallback = lcm.call(c.seed(3).callbackOnStepEnd((i, t, latents) -> i == 1 ? latents.mul(0f) : latents))
                .data();
        assertEquals(plain.length, withCallback.length);
        for (int i = 0; i < plain.length; i++) {
            assertEquals(plain[i], withCallback[i], 0f);
        }
    }

    @Test
    void unsetArgumentsAreTheLcmDefaultsAndWhatItDoesNotTakeIsRefused() {
        float[] explicit = lcm.call(new PipelineCall().prompt("a cat").seed(5).numInferenceSteps(2)
                .guidanceScale(8.5).outputType("latent")).data();
        float[] defaulted = lcm.call(new PipelineCall().prompt("a cat").seed(5).numInferenceSteps(2)
                .outputType("latent")).data();
        assertArrayEquals(explicit, defaulted, 0f, "guidance null = the LCM default 8.5");
        for (PipelineCall refused : List.of(new PipelineCall().prompt("a cat").negativePrompt("blurry"),
                new PipelineCall().prompt("a cat").eta(0.3), new PipelineCall().prompt("a cat").sigmas(
                        new double[] {14.6, 1.0, 0.0}), new PipelineCall().prompt("a cat").guidanceRescale(0.7))) {
            String name = refused.setArguments().keySet().stream().filter(g -> g != CallArgument.PROMPT)
                    .findFirst().orElseThrow().diffusersName();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lcm.call(refused));
            assertTrue(e.getMessage().startsWith("LatentConsistencyModelPipeline does not take " + name),
                    e.getMessage());
        }
    }

    @Test
    void needsAnLcmScheduler() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lcm.call(
                new PipelineCall().prompt("a cat").scheduler(Schedulers.create("EulerDiscreteScheduler",
                        lcm.scheduler().config()))));
        assertTrue(e.getMessage().contains("LCMScheduler"), e.getMessage());
    }

    @Test
    void needsAGuidanceEmbeddingUnet() {
        try (StableDiffusionPipeline sd = Fixtures.tinySdPipeline()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new LatentConsistencyModelPipeline(sd.components()));
            assertTrue(e.getMessage().contains("time_cond_proj_dim"), e.getMessage());
        }
    }

    @Test
    void sizesAreMultiplesOfEightLikeDiffusers() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> lcm.call(new PipelineCall().prompt("a cat").height(68).width(64)));
        assertTrue(e.getMessage().contains("divisible by 8"), e.getMessage());
    }

    @Test
    void originalInferenceStepsOutOfRangeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> lcm.call(new PipelineCall().prompt("a cat")
                .numInferenceSteps(4).originalInferenceSteps(2)));
    }
}
