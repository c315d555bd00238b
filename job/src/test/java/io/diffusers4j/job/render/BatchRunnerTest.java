// Fault isolation of micro-batches and the batch cutting, against scripted renderers (no Spark).
package io.diffusers4j.job.render;

import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchRunnerTest {
    private static final RenderSettings S = new RenderSettings(2, 7.5, 8, 8, null);

    /** Records every call's size; fails as the script says. */
    private static class Scripted extends StubRenderer {
        final List<Integer> calls = new ArrayList<>();
        final Function<List<ImageRequest>, RuntimeException> failure;

        Scripted(Function<List<ImageRequest>, RuntimeException> failure) {
            this.failure = failure;
        }

        @Override
        public List<BufferedImage> render(RenderSettings settings, List<ImageRequest> images) {
            calls.add(images.size());
            RuntimeException e = failure.apply(images);
            if (e != null) {
                throw e;
            }
            List<BufferedImage> out = new ArrayList<>();
            for (ImageRequest r : images) {
                out.add(new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB));
            }
            return out;
        }
    }

    private static List<ImageRequest> requests(int n) {
        List<ImageRequest> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new ImageRequest("p" + i, null, i));
        }
        return out;
    }

    @Test
    void aFailingImageIsRetriedAloneAndOnlyItFails() {
        Scripted r = new Scripted(imgs -> imgs.stream().anyMatch(x -> x.seed() == 2)
                ? new IllegalStateException("bad\nrow") : null);
        BatchRunner runner = new BatchRunner(r, 4);
        List<BatchRunner.Outcome> out = runner.run(S, requests(4));
        assertEquals(List.of(4, 1, 1, 1, 1), r.calls);
        assertEquals(4, out.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(i != 2, out.get(i).ok());
        }
        assertEquals("IllegalStateException: bad row", out.get(2).error());
        assertNull(out.get(2).image());
        assertEquals(4, runner.cap(), "a non-memory failure does not shrink batches");
    }

    @Test
    void outOfMemorySplitsDownToOneAndLowersTheCap() {
        Scripted r = new Scripted(imgs -> imgs.size() > 2
                ? new RuntimeException("DefaultCPUAllocator: can't allocate memory: you tried to allocate 9 GB") : null);
        BatchRunner runner = new BatchRunner(r, 8);
        List<BatchRunner.Outcome> out = runner.run(S, requests(8));
        assertEquals(List.of(8, 4, 2, 2, 4, 2, 2), r.calls);
        assertTrue(out.stream().allMatch(BatchRunner.Outcome::ok));
        assertEquals(2, runner.cap());
        assertEquals(2, out.get(0).batchSize());
    }

    @Test
    void outOfMemoryOnASingleImageIsThatImagesError() {
        Scripted r = new Scripted(imgs -> new RuntimeException("CUDA out of memory"));
        List<BatchRunner.Outcome> out = new BatchRunner(r, 2).run(S, requests(2));
        assertEquals(List.of(2, 1, 1), r.calls);
        assertTrue(out.stream().noneMatch(BatchRunner.Outcome::ok));
        assertTrue(out.get(0).error().contains("CUDA out of memory"));
    }

    @Test
    void linkageErrorsFailTheTask() {
        Scripted r = new Scripted(imgs -> {
            throw new NoClassDefFoundError("ai/djl/Missing");
        });
        assertThrows(NoClassDefFoundError.class, () -> new BatchRunner(r, 2).run(S, requests(2)));
    }

    @Test
    void wrongImageCountIsAnError() {
        Renderer lying = new Scripted(imgs -> null) {
            @Override
            public List<BufferedImage> render(RenderSettings settings, List<ImageRequest> images) {
                return List.of();
            }
        };
        List<BatchRunner.Outcome> out = new BatchRunner(lying, 2).run(S, requests(1));
        assertTrue(out.get(0).error().contains("renderer returned 0 images for 1 requests"));
    }

    @Test
    void microBatcherGroupsBySettingsAndHonoursTheCapOfTheMoment() {
        RenderSettings a = S;
        RenderSettings b = new RenderSettings(3, 7.5, 8, 8, null);
        List<String> items = List.of("a1", "b1", "a2", "a3", "b2", "a4", "a5");
        MicroBatcher<String> batcher = new MicroBatcher<>(items, s -> s.startsWith("a") ? a : b);
        MicroBatcher.Batch<String> first = batcher.next(3);
        assertEquals(a, first.settings());
        assertEquals(List.of("a1", "a2", "a3"), first.items());
        assertEquals(List.of("a4"), batcher.next(1).items());
        assertEquals(List.of("a5"), batcher.next(3).items());
        MicroBatcher.Batch<String> last = batcher.next(3);
        assertEquals(b, last.settings());
        assertEquals(List.of("b1", "b2"), last.items());
        assertTrue(!batcher.hasNext());
    }

    @Test
    void outOfMemoryDetection() {
        assertTrue(Failures.isOutOfMemory(new OutOfMemoryError("Java heap space")));
        assertTrue(Failures.isOutOfMemory(new RuntimeException("wrapper", new RuntimeException("CUDA error: out of memory"))));
        assertTrue(!Failures.isOutOfMemory(new IllegalArgumentException("width 12 is not a multiple of 8")));
    }

    @Test
    void secretsAreScrubbed() {
        assertEquals("token *** refused", Redaction.scrub("token hf_abcdefghijkl refused", "hf_abcdefghijkl"));
        assertEquals("a b", Redaction.scrub("a b", "b"), "short values are not treated as secrets");
    }
}
