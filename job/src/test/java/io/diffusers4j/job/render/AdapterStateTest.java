package io.diffusers4j.job.render;

import io.diffusers4j.loaders.LoraLoader;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The executor's one pipeline with adapter sets switched per micro-batch (tiny-sd, reference-lora adapters): every
 * image equals diffusers' fresh pipeline with exactly its adapters (reference-lora cases, up to 8-bit rounding),
 * each file is loaded once while it stays cached, the LRU bound holds, textual-inversion tokens never leak into a
 * prompt that does not list them, and concurrent calls with different sets do not mix.
 */
class AdapterStateTest {
    private static final String PROMPT = "a photo of an astronaut riding a horse on mars";
    private static final ImageRequest HORSE = new ImageRequest(PROMPT, "low quality, blurry", 7);
    private static final ImageRequest TRI = new ImageRequest("a <tri> painting of a horse", "blurry <tri>", 9);

    private static String adapter(String name) {
        return Fixtures.referenceLora().resolve("adapters").resolve(name).toString();
    }

    private static final AdapterSet TWO = new AdapterSet(List.of(new AdapterSet.Lora(adapter("sd_peft.safetensors"),
            0.8), new AdapterSet.Lora(adapter("sd_kohya.safetensors"), 0.5)), List.of());
    private static final AdapterSet KOHYA = new AdapterSet(List.of(new AdapterSet.Lora(
            adapter("sd_kohya.safetensors"), 1.0)), List.of());
    private static final AdapterSet PEFT = new AdapterSet(List.of(new AdapterSet.Lora(
            adapter("sd_peft.safetensors"), 1.0)), List.of());
    private static final AdapterSet THREE_VECTORS = new AdapterSet(List.of(), List.of(new AdapterSet.Embedding(
            adapter("ti_three_a1111.safetensors"), "<tri>")));

    private static PipelineRenderer renderer(int loraCacheSize) {
        PipelineSpec spec = new PipelineSpec(Fixtures.tinySd().toString(), null, null, "float32", "cpu", null,
                Map.of("lora-cache-size", Integer.toString(loraCacheSize)), PipelineSpec.DEFAULT_RENDERER, 0);
        return (PipelineRenderer) new PipelineRenderer.Factory().create(spec, "cpu");
    }

    private static BufferedImage render(Renderer r, AdapterSet set, ImageRequest image) {
        r.prepare(set);
        return r.render(new RenderSettings(4, 7.5, 64, 64, "EulerDiscreteScheduler", null, null, null, set),
                List.of(image)).get(0);
    }

    private static void assertCase(BufferedImage img, String refCase) throws Exception {
        float[] want = Npy.read(Fixtures.referenceLora().resolve(refCase + "/image.npy")).floats();
        double diff = 0;
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                int rgb = img.getRGB(x, y);
                for (int ch = 0; ch < 3; ch++) {
                    int v = (rgb >> (16 - 8 * ch)) & 0xFF;
                    diff = Math.max(diff, Math.abs(v / 255.0 - want[(y * 64 + x) * 3 + ch]));
                }
            }
        }
        assertTrue(diff <= 1.0 / 255 + 1e-3, refCase + ": max |diff| vs diffusers " + diff);
    }

    private static int[] pixels(BufferedImage img) {
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    @Test
    void switchingSetsGivesDiffusersImagesAndLoadsEachFileOnce() throws Exception {
        try (PipelineRenderer r = renderer(8)) {
            BufferedImage two = render(r, TWO, HORSE);
            assertCase(two, "lora_two_adapters");
            assertCase(render(r, AdapterSet.NONE, HORSE), "sd_base");
            assertCase(render(r, KOHYA, HORSE), "lora_kohya");
            assertArrayEquals(pixels(two), pixels(render(r, TWO, HORSE)), "the same set again: the same image");
            assertEquals(2, r.adapterCounts()[1], "two files, each loaded once");
            assertEquals(4, r.adapterCounts()[0], "four switches, no base reload");
            Renderer.Prepared prepared = r.prepare(TWO);
            assertEquals(LoraLoader.sha256(Path.of(adapter("sd_kohya.safetensors"))),
                    prepared.sha256().get(adapter("sd_kohya.safetensors")));
        }
    }

    @Test
    void theLeastRecentlyUsedLoraMakesRoom() throws Exception {
        try (PipelineRenderer r = renderer(1)) {
            render(r, PEFT, HORSE);
            render(r, KOHYA, HORSE);
            assertEquals(List.of(adapter("sd_kohya.safetensors")), r.adapters().cachedLoras());
            assertCase(render(r, PEFT, HORSE), "lora_peft");
            assertEquals(List.of(adapter("sd_peft.safetensors")), r.adapters().cachedLoras());
            assertEquals(3, r.adapterCounts()[1], "peft loaded again after it was evicted");
            // a set larger than the cache is loaded whole
            assertCase(render(r, TWO, HORSE), "lora_two_adapters");
        }
    }

    @Test
    void anEmbeddingTokenNeverReachesAPromptThatDoesNotListIt() throws Exception {
        BufferedImage plain;
        try (PipelineRenderer fresh = renderer(8)) {
            plain = render(fresh, AdapterSet.NONE, TRI);
        }
        try (PipelineRenderer r = renderer(8)) {
            BufferedImage tri = render(r, THREE_VECTORS, TRI);
            assertCase(tri, "ti_three");
            assertArrayEquals(pixels(plain), pixels(render(r, AdapterSet.NONE, TRI)),
                    "<tri> without the embedding: the plain words, as in a fresh pipeline");
            assertFalse(Arrays.equals(pixels(plain), pixels(tri)));
            assertCase(render(r, THREE_VECTORS, TRI), "ti_three");
            // a prompt without the token keeps the embedding loaded
            render(r, AdapterSet.NONE, HORSE);
            assertEquals(2, r.adapterCounts()[1], "loaded, unloaded for the plain prompt, loaded again, then kept");
        }
    }

    @Test
    void concurrentCallsWithDifferentSetsDoNotMix() throws Exception {
        try (PipelineRenderer r = renderer(8)) {
            BufferedImage two = render(r, TWO, HORSE);
            BufferedImage base = render(r, AdapterSet.NONE, HORSE);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<int[]>> futures = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    AdapterSet set = i % 2 == 0 ? TWO : AdapterSet.NONE;
                    futures.add(pool.submit(() -> pixels(render(r, set, HORSE))));
                }
                for (int i = 0; i < futures.size(); i++) {
                    assertArrayEquals(pixels(i % 2 == 0 ? two : base), futures.get(i).get(), "call " + i);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void anUnusableFileFailsNamingItAndTheRendererGoesOn(@TempDir Path dir) throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.safetensors"), "not a safetensors file");
        try (PipelineRenderer r = renderer(8)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.prepare(new AdapterSet(
                    List.of(new AdapterSet.Lora(broken.toString(), 1.0)), List.of())));
            assertTrue(e.getMessage().contains(broken.toString()), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> r.prepare(new AdapterSet(List.of(),
                    List.of(new AdapterSet.Embedding(dir.resolve("missing.safetensors").toString(), null)))));
            assertTrue(e.getMessage().contains("missing.safetensors"), e.getMessage());
            assertCase(render(r, KOHYA, HORSE), "lora_kohya");
        }
    }
}
