// The executor-wide cache builds each spec once, even when many tasks ask at the same time.
package io.diffusers4j.job.render;

import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExecutorPipelineCacheTest {
    static final AtomicInteger BUILDS = new AtomicInteger();
    static final AtomicInteger CLOSED = new AtomicInteger();
    static final Set<String> FAIL_ONCE = ConcurrentHashMap.newKeySet();

    /** A slow-to-build renderer (so concurrent tasks really overlap), failing once for models named fail-once. */
    public static final class SlowFactory implements RendererFactory {
        @Override
        public Renderer create(PipelineSpec spec, String device) {
            if (spec.model().startsWith("fail-once") && FAIL_ONCE.add(spec.model())) {
                throw new IllegalStateException("first build fails");
            }
            BUILDS.incrementAndGet();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new StubRenderer() {
                @Override
                public List<BufferedImage> render(RenderSettings s, List<ImageRequest> images) {
                    return List.of();
                }

                @Override
                public void close() {
                    CLOSED.incrementAndGet();
                }
            };
        }
    }

    private static PipelineSpec spec(String model) {
        return new PipelineSpec(model, null, null, "float32", "auto", null, Map.of(), SlowFactory.class.getName(), 0);
    }

    @Test
    void concurrentTasksShareOneBuildPerSpecAndDevice() throws Exception {
        int before = BUILDS.get();
        PipelineSpec spec = spec("model-" + System.nanoTime());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<ExecutorPipelineCache.Handle>> handles = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            handles.add(pool.submit(() -> {
                go.await();
                return ExecutorPipelineCache.acquire(spec, "cpu");
            }));
        }
        go.countDown();
        Set<String> ids = ConcurrentHashMap.newKeySet();
        for (Future<ExecutorPipelineCache.Handle> h : handles) {
            ids.add(h.get().instanceId());
        }
        pool.shutdown();
        assertEquals(1, BUILDS.get() - before);
        assertEquals(1, ids.size());
        String id = ids.iterator().next();
        assertTrue(id.matches("(local|driver)-" + ProcessHandle.current().pid() + "-[0-9a-f]{8}"), id);

        // an equal spec (a fresh broadcast copy) hits the same entry; another device or spec builds anew
        assertEquals(id, ExecutorPipelineCache.acquire(spec.withModel(spec.model()), "cpu").instanceId());
        assertNotEquals(id, ExecutorPipelineCache.acquire(spec, "gpu:1").instanceId());
        assertEquals(2, BUILDS.get() - before);
    }

    @Test
    void aFailedBuildIsNotCached() {
        PipelineSpec spec = spec("fail-once-" + System.nanoTime());
        assertThrows(IllegalStateException.class, () -> ExecutorPipelineCache.acquire(spec, "cpu"));
        ExecutorPipelineCache.Handle h = ExecutorPipelineCache.acquire(spec, "cpu");
        assertEquals(h, ExecutorPipelineCache.acquire(spec, "cpu"));
    }

    @Test
    void closeAllClosesEveryPipeline() {
        ExecutorPipelineCache.acquire(spec("close-" + System.nanoTime()), "cpu");
        int closed = CLOSED.get();
        ExecutorPipelineCache.closeAll();
        assertTrue(CLOSED.get() > closed);
    }

    @Test
    void specsRefuseTokensAndUnknownOptions() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PipelineSpec(null,
                null, null, "float32", "auto", null, Map.of("hf-token", "hf_secret"), null, 0));
        assertTrue(e.getMessage().contains("HF_TOKEN") && !e.getMessage().contains("hf_secret"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PipelineSpec(null, null, null, "float32", "auto",
                null, Map.of("colour", "red"), null, 0));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new PipelineSpec(null, null, null,
                "bfloat16", "auto", null, Map.of(), null, 0)).getMessage().contains("bfloat16 needs device cpu"));
        assertEquals("bfloat16", new PipelineSpec(null, null, null, "bf16", "cpu", null, Map.of(), null, 0).dtype());
        assertEquals(PipelineSpec.EMBEDDED_MODEL, PipelineSpec.embeddedDefault().modelName());
    }

    @Test
    void deviceOutsideATaskIsTheCpu() {
        assertEquals("cpu", DeviceSelector.forCurrentTask("auto"));
        assertEquals("cpu", DeviceSelector.forCurrentTask("cpu"));
    }
}
