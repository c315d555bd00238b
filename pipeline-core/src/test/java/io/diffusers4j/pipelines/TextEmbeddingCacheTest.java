// The text embedding cache is exact (same numbers as without it), bounded, keyed by clip_skip, and can be turned off.
package io.diffusers4j.pipelines;

import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextEmbeddingCacheTest {
    private static StableDiffusionPipeline cached;
    private static StableDiffusionPipeline plain;

    @BeforeAll
    static void load() {
        cached = Fixtures.tinySdPipeline();
        plain = (StableDiffusionPipeline) DiffusionPipeline.fromPretrained(Fixtures.tinySd().toString(),
                new PipelineOptions().textEmbeddingCache(0));
    }

    @AfterAll
    static void close() {
        cached.close();
        plain.close();
    }

    /** Calls with repeats inside a call and across calls, a clip_skip one and a negative prompt list. */
    static List<PipelineCall> calls() {
        List<PipelineCall> out = new ArrayList<>();
        out.add(new PipelineCall().prompt("a cat", "a dog", "a cat").negativePrompt("blurry"));
        out.add(new PipelineCall().prompt("a dog", "a bird on a wire", "a dog").negativePrompt("blurry", "", "ugly"));
        out.add(new PipelineCall().prompt("a cat", "a dog").clipSkip(1));
        out.add(new PipelineCall().prompt("a cat", "a dog"));
        out.add(new PipelineCall().prompt("a cat").numImagesPerPrompt(2).negativePrompt("blurry"));
        return out;
    }

    @Test
    void cachedCallsGiveExactlyTheUncachedNumbers() {
        assertEquals(DiffusionPipeline.DEFAULT_TEXT_EMBEDDING_CACHE, cached.textEmbeddingCacheSize());
        for (int round = 0; round < 2; round++) {
            int i = 0;
            for (PipelineCall c : calls()) {
                PipelineCall call = c.numInferenceSteps(2).outputType("latent");
                float[] want = plain.call(call.copy().seed(i)).data();
                float[] got = cached.call(call.copy().seed(i)).data();
                assertArrayEquals(want, got, "call " + i + " round " + round);
                i++;
            }
        }
        long[] stats = cached.textEmbeddingCacheStats();
        assertTrue(stats[0] > stats[1], "hits " + stats[0] + " misses " + stats[1]);
        assertEquals(0, plain.textEmbeddingCacheStats()[0] + plain.textEmbeddingCacheStats()[1], "off: not used");
    }

    @Test
    void theCacheIsBoundedAndSizesAreChecked() {
        try (StableDiffusionPipeline small = Fixtures.tinySdPipeline()) {
            small.setTextEmbeddingCacheSize(2);
            PipelineCall call = new PipelineCall().prompt("one", "two", "three", "four").numInferenceSteps(1)
                    .outputType("latent");
            float[] want = plain.call(call.copy().seed(0)).data();
            assertArrayEquals(want, small.call(call.copy().seed(0)).data());
            assertArrayEquals(want, small.call(call.copy().seed(0)).data(), "after evictions");
            assertTrue(small.textEmbeddingCacheStats()[1] >= 8, "two rows cannot hold four prompts + the negative");
            small.setTextEmbeddingCacheSize(0);
            assertArrayEquals(want, small.call(call.copy().seed(0)).data(), "off");
        }
        assertThrows(IllegalArgumentException.class, () -> cached.setTextEmbeddingCacheSize(-1));
        assertThrows(IllegalArgumentException.class, () -> new PipelineOptions().textEmbeddingCache(1 << 20));
        // a size the machine's memory cannot hold when full is refused before anything is cached
        assertThrows(IllegalArgumentException.class, () -> new PipelineOptions().textEmbeddingCache(4097));
        new PipelineOptions().textEmbeddingCache(4096);
    }
}
