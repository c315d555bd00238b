// The text embedding cache is exact (same numbers as without it), deterministic (every row encoded alone), bounded, keyed by clip_skip, and can be turned off.
package io.diffusers4j.pipelines;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    /** Three token rows of the fake encoder's length. */
    private static final long[] A = {1, 2, 3};
    private static final long[] X = {4, 5, 6};
    private static final long[] B = {7, 8, 9};
    private static final long[] C = {10, 11, 12};

    /**
     * An encoder whose numbers depend on its batch size, as libtorch's last bits may: row r of a batch of n rows is
     * {@code ids[r][t] + 0.001 * n} at every position t (hidden size 2). It counts its calls and the largest batch
     * it was given, and waits {@code delayMs} a call so that racing threads overlap.
     */
    private static final class BatchSizeEncoder {
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger largestBatch = new AtomicInteger();
        private final long delayMs;

        BatchSizeEncoder(long delayMs) {
            this.delayMs = delayMs;
        }

        Function<long[][], NDArray> in(NDManager m) {
            return rows -> {
                calls.incrementAndGet();
                largestBatch.accumulateAndGet(rows.length, Math::max);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(delayMs)); // waking early only shortens the overlap
                return encode(m, rows);
            };
        }

        /** What the encoder gives {@code rows} as one batch, without counting a call. */
        static NDArray encode(NDManager m, long[][] rows) {
            int seq = rows[0].length;
            float[] out = new float[rows.length * seq * 2];
            for (int r = 0; r < rows.length; r++) {
                for (int t = 0; t < seq; t++) {
                    float v = rows[r][t] + 0.001f * rows.length;
                    out[(r * seq + t) * 2] = v;
                    out[(r * seq + t) * 2 + 1] = -v;
                }
            }
            return m.create(out, new Shape(rows.length, seq, 2));
        }
    }

    /** The single-row encodings of {@code rows}, concatenated: what the cache must give for them, bit for bit. */
    private static float[] alone(NDManager m, long[]... rows) {
        List<Float> out = new ArrayList<>();
        for (long[] row : rows) {
            for (float v : BatchSizeEncoder.encode(m, new long[][] {row}).toFloatArray()) {
                out.add(v);
            }
        }
        float[] a = new float[out.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = out.get(i);
        }
        return a;
    }

    private static float[] get(TextEmbeddingCache cache, NDManager m, Object encoderKey, BatchSizeEncoder encoder,
                               long[]... ids) {
        return cache.get(m, encoderKey, null, DataType.FLOAT32, ids, encoder.in(m)).toFloatArray();
    }

    @Test
    void aRowIsItsSingleRowEncodingWhateverItsBatchAndWhicheverCallCachedItFirst() {
        Object key = new Object();
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] x = alone(m, X);
            float[] axb = alone(m, A, X, B);
            assertFalse(Arrays.equals(x, BatchSizeEncoder.encode(m, new long[][] {A, X, B}).get(1)
                    .toFloatArray()), "the fake encoder's X row depends on its batch");

            // X first cached from the batch [A, X, B], then asked alone
            BatchSizeEncoder first = new BatchSizeEncoder(0);
            try (TextEmbeddingCache cache = new TextEmbeddingCache(m, 16)) {
                assertArrayEquals(axb, get(cache, m, key, first, A, X, B));
                assertArrayEquals(x, get(cache, m, key, first, X), "X from the cache");
                assertEquals(3, first.calls.get(), "one call a missing row");
                assertEquals(1, first.largestBatch.get(), "the cache only ever encodes one row");
            }
            // the other order: X cached alone, then the batch (two new rows, X a hit)
            BatchSizeEncoder second = new BatchSizeEncoder(0);
            try (TextEmbeddingCache cache = new TextEmbeddingCache(m, 16)) {
                assertArrayEquals(x, get(cache, m, key, second, X));
                assertArrayEquals(axb, get(cache, m, key, second, A, X, B), "X from the cache in a batch");
                assertArrayEquals(alone(m, X, A, X), get(cache, m, key, second, X, A, X), "all hits");
                assertEquals(3, second.calls.get());
                assertEquals(1, second.largestBatch.get());
                assertEquals(3, cache.size());
            }
            // a row repeated within a call is encoded once
            BatchSizeEncoder repeats = new BatchSizeEncoder(0);
            try (TextEmbeddingCache cache = new TextEmbeddingCache(m, 16)) {
                assertArrayEquals(alone(m, X, A, X), get(cache, m, key, repeats, X, A, X));
                assertEquals(2, repeats.calls.get());
            }
            // off: the whole batch in one encoder call, as diffusers
            BatchSizeEncoder off = new BatchSizeEncoder(0);
            try (TextEmbeddingCache cache = new TextEmbeddingCache(m, 0)) {
                assertArrayEquals(BatchSizeEncoder.encode(m, new long[][] {A, X, B}).toFloatArray(),
                        get(cache, m, key, off, A, X, B));
                assertEquals(1, off.calls.get());
                assertEquals(3, off.largestBatch.get());
                assertEquals(0, cache.size());
            }
        }
    }

    @Test
    void threadsRacingOnOverlappingBatchesGetTheSequentialNumbers() throws Exception {
        long[][][] batches = {{A, X, B}, {B, X}, {X, C, A}, {C}, {A, B, C, X}, {X, X}};
        Object key = new Object();
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            List<float[]> sequential = new ArrayList<>();
            BatchSizeEncoder once = new BatchSizeEncoder(0);
            try (TextEmbeddingCache cache = new TextEmbeddingCache(m, 16)) {
                for (long[][] batch : batches) {
                    sequential.add(get(cache, m, key, once, batch));
                }
            }
            for (int i = 0; i < batches.length; i++) {
                assertArrayEquals(alone(m, batches[i]), sequential.get(i), "sequential batch " + i);
            }
            for (int round = 0; round < 3; round++) {
                BatchSizeEncoder racing = new BatchSizeEncoder(5);
                CyclicBarrier start = new CyclicBarrier(batches.length);
                ExecutorService pool = Executors.newFixedThreadPool(batches.length);
                try (TextEmbeddingCache cache = new TextEmbeddingCache(m, 16)) {
                    List<Future<float[]>> results = new ArrayList<>();
                    for (long[][] batch : batches) {
                        results.add(pool.submit(() -> {
                            try (NDManager task = m.newSubManager()) {
                                start.await();
                                return get(cache, task, key, racing, batch);
                            }
                        }));
                    }
                    for (int i = 0; i < batches.length; i++) {
                        assertArrayEquals(sequential.get(i), results.get(i).get(30, TimeUnit.SECONDS),
                                "round " + round + " batch " + i);
                    }
                    assertEquals(1, racing.largestBatch.get(), "racing tasks only ever encode one row");
                    assertEquals(4, cache.size());
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }

    @Test
    void onTheTinyFixtureARowCachedFromABatchIsTheRowEncodedAlone() {
        List<String> batch = List.of("a red barn", "a lighthouse at dusk", "a bowl of soup");
        List<String> x = List.of("a lighthouse at dusk");
        try (StableDiffusionPipeline batchFirst = Fixtures.tinySdPipeline();
             StableDiffusionPipeline aloneFirst = Fixtures.tinySdPipeline();
             NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] fromBatch = batchFirst.textEmbeddings(m, batch, null).get(1).toFloatArray();
            float[] cachedFromBatch = batchFirst.textEmbeddings(m, x, null).get(0).toFloatArray();
            float[] encodedAlone = aloneFirst.textEmbeddings(m, x, null).get(0).toFloatArray();
            float[] cachedAloneInBatch = aloneFirst.textEmbeddings(m, batch, null).get(1).toFloatArray();
            assertArrayEquals(encodedAlone, fromBatch, "fresh in a batch of three vs alone");
            assertArrayEquals(encodedAlone, cachedFromBatch, "cached from the batch");
            assertArrayEquals(encodedAlone, cachedAloneInBatch, "cached alone, read in the batch");
            assertEquals(3, batchFirst.textEmbeddingCacheStats()[1], "three misses, one row each");
        }
    }
}
