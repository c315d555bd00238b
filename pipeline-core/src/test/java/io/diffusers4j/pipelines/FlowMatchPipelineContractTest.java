// What the SD3 / FLUX pipelines accept and refuse, before and after loading (the contract front ends rely on).
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.schedulers.Schedulers;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.testing.ReferenceCase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlowMatchPipelineContractTest {
    private static DiffusionPipeline sd3;
    private static DiffusionPipeline flux;

    static Path checkpoint(String name) {
        return Fixtures.referenceFlow().resolve(name);
    }

    @BeforeAll
    static void load() {
        sd3 = DiffusionPipeline.fromPretrained(checkpoint("tiny-sd3").toString(), new PipelineOptions());
        flux = DiffusionPipeline.fromPretrained(checkpoint("tiny-flux").toString(), new PipelineOptions());
    }

    @AfterAll
    static void close() {
        sd3.close();
        flux.close();
    }

    private static String refusal(DiffusionPipeline pipe, PipelineCall call) {
        return assertThrows(IllegalArgumentException.class, () -> pipe.checkInputs(pipe.withDefaults(call)))
                .getMessage();
    }

    @Test
    void fluxRefusesWhatItsDiffusersCallDoesNotTake() {
        PipelineCall negative = new PipelineCall().prompt("a").negativePrompt("b");
        assertTrue(refusal(flux, negative).startsWith("FluxPipeline does not take negative_prompt"));
        assertEquals("Only one of `timesteps` or `sigmas` can be passed. Please choose one to set custom values",
                refusal(flux, new PipelineCall().prompt("a").timesteps(new double[] {900, 500})));
        assertTrue(refusal(flux, new PipelineCall().prompt("a").prompt3(List.of("c")))
                .startsWith("FluxPipeline does not take prompt_3"));
        try (DiffusionPipeline sd = Fixtures.tinySdPipeline()) {
            PipelineCall euler = new PipelineCall().prompt("a")
                    .scheduler(Schedulers.create("EulerDiscreteScheduler", sd.scheduler().config()));
            assertTrue(refusal(flux, euler).contains("needs a FlowMatchEulerDiscreteScheduler"), refusal(flux, euler));
        }
    }

    @Test
    void sizesAndSequenceLengthsAreChecked() {
        assertEquals("`height` and `width` have to be divisible by 8 but are 36 and 64.",
                refusal(sd3, new PipelineCall().prompt("a").height(36).width(64)));
        assertEquals("`max_sequence_length` cannot be greater than 512 but is 513",
                refusal(sd3, new PipelineCall().prompt("a").maxSequenceLength(513)));
        assertTrue(refusal(sd3, new PipelineCall().prompt("a").maxSequenceLength(0)).contains(">= 1"));
        // a checkpoint without T5 refuses the argument as diffusers' signature does: SD 1.5 takes no such argument
        try (DiffusionPipeline sd = Fixtures.tinySdPipeline()) {
            assertTrue(refusal(sd, new PipelineCall().prompt("a").maxSequenceLength(77))
                    .startsWith("StableDiffusionPipeline does not take max_sequence_length"));
            assertNull(sd.defaults().maxSequenceLength());
        }
    }

    @Test
    void embeddingsNeedTheirPooledEmbeddings() {
        try (NDManager m = NDManager.newBaseManager()) {
            PipelineCall call = new PipelineCall().promptEmbeds(m.zeros(new Shape(1, 77 + 256, 96)));
            assertTrue(refusal(sd3, call).startsWith("If `prompt_embeds` are provided, `pooled_prompt_embeds` also"));
        }
    }

    @Test
    void outputSizeFollowsTheLatentGrid() {
        // FLUX: 2 * (h // vae_scale_factor) latent rows, decoded at the VAE's factor: sizes round down to 2^len(blocks)
        assertEquals(4, ((FluxPipeline) flux).vaeScaleFactor());
        assertArrayEquals(new int[] {40, 64}, flux.outputSize(flux.withDefaults(new PipelineCall().prompt("a")
                .height(40).width(64))));
        assertArrayEquals(new long[] {256, 256, 3}, flux.outputShape(flux.withDefaults(new PipelineCall()
                .prompt("a")), "np"), "default_sample_size 64 * vae_scale_factor 4");
        assertArrayEquals(new int[] {32, 32}, sd3.outputSize(sd3.withDefaults(new PipelineCall().prompt("a"))));
    }

    private static PipelineCall twoCats() {
        return new PipelineCall().prompt("a cat", "a cat").numInferenceSteps(1).height(32).width(32).seed(1)
                .outputType("np");
    }

    @Test
    void repeatedPromptsReuseTheT5Rows() {
        FluxPipeline f = (FluxPipeline) flux;
        long[] before = f.textEmbeddingCacheStats();
        float[] first = f.call(twoCats()).data();
        float[] second = f.call(twoCats()).data();
        long[] after = f.textEmbeddingCacheStats();
        assertEquals(1, after[1] - before[1], "one distinct prompt row encoded once");
        assertEquals(3, after[0] - before[0], "the other three rows from the cache");
        assertArrayEquals(first, second);
        f.setTextEmbeddingCacheSize(0);
        try {
            float[] uncached = f.call(twoCats()).data();
            assertTrue(ReferenceCase.maxAbsDiff(first, uncached) < 1e-5, "the cached rows are the encoder's rows");
        } finally {
            f.setTextEmbeddingCacheSize(DiffusionPipeline.DEFAULT_TEXT_EMBEDDING_CACHE);
        }
    }

    @Test
    void leavingOutAComponentTheCheckpointDoesNotHaveIsRefused() {
        PipelineOptions o = new PipelineOptions().component("text_encoder_9", PipelineOptions.NONE);
        String message = assertThrows(IllegalArgumentException.class,
                () -> DiffusionPipeline.checkPretrained(checkpoint("tiny-sd3"), o)).getMessage();
        assertTrue(message.contains("model_index.json") && message.contains("'text_encoder_9'")
                && message.contains("text_encoder_3"), message);
        PipelineOptions t5Only = new PipelineOptions().component("text_encoder_3", PipelineOptions.NONE);
        String missingTokenizer = assertThrows(IllegalArgumentException.class,
                () -> DiffusionPipeline.fromPretrained(checkpoint("tiny-flux").toString(),
                        new PipelineOptions().component("text_encoder_2", PipelineOptions.NONE))).getMessage();
        assertEquals("FluxPipeline needs the component 'text_encoder_2'", missingTokenizer);
        DiffusionPipeline.checkPretrained(checkpoint("tiny-sd3"), t5Only);
    }
}
