// A bounded LRU of text-encoder outputs per tokenized prompt: repeated prompts / negative prompts skip the encoder.
package io.diffusers4j.pipelines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The text encoder's output for one prompt row ({@code [1, seq, hidden]}), keyed by what determines it: the
 * tokenizer's ids of the row, the encoder (object identity), {@code clip_skip}, the dtype and device. A call's rows
 * that are all cached are assembled without running the encoder; each row that is not is encoded on its own (a batch
 * of one row), once however often it repeats in the call, and stored. At most {@code capacity} rows are kept (least
 * recently used evicted, its native memory freed); capacity 0 turns it off: the call's rows are then encoded together
 * in one encoder call, as diffusers does.
 *
 * <p>Numbers: with the cache on, every row's embedding, fresh or cached, is its single-row encoding, so it does not
 * depend on which other rows share its call, nor on which call (or which of the concurrent tasks sharing the
 * pipeline) encoded it first: the same prompt row gives the same bits run after run. Encoding rows alone matters
 * because libtorch's matrix products may round a row differently for another batch size (the encoder otherwise
 * computes each row independently of the others: per-row linear layers, per-sequence attention and norms); when
 * missing rows were encoded together, a row cached from a batch of one size differed in its last bits from the same
 * row cached from a batch of another, and two runs of one Spark job differed by 1/255 in a few pixels. For the same
 * reason the cache on and off may differ in the last bits (a single-row encoding against the call's batch
 * encoding). The price is one encoder call per missing row instead of one per call; cached rows cost none.
 * {@code TextEmbeddingCacheTest} checks the single-row encodings bit for bit (against an encoder whose output depends
 * on its batch size, across call orders and racing threads) and calls with and without the cache on the tiny fixture.
 *
 * <p>Adapters: the pipeline bypasses the cache while LoRA adapters are loaded into (or fused with) its text encoder
 * (the same ids then give other numbers) and clears it when a textual inversion is loaded or unloaded.
 *
 * <p>Thread-safe: lookups and insertions are synchronized; the encoder runs outside the lock.
 */
final class TextEmbeddingCache implements AutoCloseable {
    /**
     * Most rows any pipeline may keep: at most ~1 GB at SD-1.5's 236 kB a row, ~2.6 GB at SDXL-size encoders' ~630 kB
     * (a full cache of 65,536 rows, the earlier bound, would have held 15-41 GB).
     */
    static final int MAX_CAPACITY = 4096;

    private final NDManager manager;
    private final LinkedHashMap<Key, NDArray> rows = new LinkedHashMap<>(16, 0.75f, true);
    private volatile int capacity;
    private long hits;
    private long misses;

    TextEmbeddingCache(NDManager parent, int capacity) {
        this.manager = parent.newSubManager();
        setCapacity(capacity);
    }

    static void checkCapacity(int capacity) {
        if (capacity < 0 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("text embedding cache size must be 0 (off) to " + MAX_CAPACITY
                    + " rows, got " + capacity);
        }
    }

    synchronized void setCapacity(int value) {
        checkCapacity(value);
        this.capacity = value;
        evictOverCapacity();
    }

    /** Forgets every row (the encoder's weights or embedding table changed). */
    synchronized void clear() {
        rows.values().forEach(NDArray::close);
        rows.clear();
    }

    int capacity() {
        return capacity;
    }

    /** {hits, misses} so far (rows). */
    synchronized long[] stats() {
        return new long[] {hits, misses};
    }

    /**
     * The embeddings of {@code ids} ({@code [rows, seq, hidden]} in {@code m}): cached rows as stored, the others
     * from {@code encoder} (given one missing row at a time, returning its {@code [1, seq, hidden]} embeddings in
     * {@code m}), then stored. With the cache off, {@code encoder} is given all of {@code ids} in one call.
     */
    NDArray get(NDManager m, Object textEncoder, Integer clipSkip, DataType dtype, long[][] ids,
                Function<long[][], NDArray> encoder) {
        if (capacity == 0) {
            return encoder.apply(ids);
        }
        String device = m.getDevice().toString();
        Key[] keys = new Key[ids.length];
        Map<Key, long[]> missing = new LinkedHashMap<>();
        synchronized (this) {
            for (int i = 0; i < ids.length; i++) {
                keys[i] = new Key(textEncoder, clipSkip == null ? -1 : clipSkip, dtype, device, ids[i]);
                if (!rows.containsKey(keys[i])) {
                    missing.putIfAbsent(keys[i], ids[i]);
                }
            }
            if (missing.isEmpty()) {
                hits += ids.length;
                return assemble(m, keys, Map.of());
            }
        }
        Map<Key, NDArray> fresh = new LinkedHashMap<>();
        for (Map.Entry<Key, long[]> e : missing.entrySet()) { // alone: a row's bits never depend on its batch
            fresh.put(e.getKey(), encoder.apply(new long[][] {e.getValue()}));
        }
        synchronized (this) {
            misses += missing.size();
            hits += ids.length - missing.size();
            for (Map.Entry<Key, NDArray> e : fresh.entrySet()) {
                if (!rows.containsKey(e.getKey())) {
                    NDArray copy = e.getValue().duplicate();
                    copy.attach(manager);
                    rows.put(e.getKey(), copy);
                }
            }
            NDArray out = assemble(m, keys, fresh);
            evictOverCapacity();
            return out;
        }
    }

    /** The rows of {@code keys} from {@code fresh} or the cache, concatenated into a new array in {@code m}. */
    private NDArray assemble(NDManager m, Key[] keys, Map<Key, NDArray> fresh) {
        NDList parts = new NDList();
        for (Key k : keys) {
            NDArray row = fresh.get(k);
            parts.add(row != null ? row : rows.get(k));
        }
        NDArray out = parts.size() == 1 ? parts.get(0).duplicate() : NDArrays.concat(parts, 0);
        out.attach(m);
        return out;
    }

    private void evictOverCapacity() {
        var it = rows.entrySet().iterator();
        while (rows.size() > capacity && it.hasNext()) {
            it.next().getValue().close();
            it.remove();
        }
    }

    @Override
    public synchronized void close() {
        rows.clear();
        manager.close();
    }

    /** What determines a row's embeddings. */
    private static final class Key {
        private final Object encoder;
        private final int clipSkip;
        private final DataType dtype;
        private final String device;
        private final long[] ids;
        private final int hash;

        Key(Object encoder, int clipSkip, DataType dtype, String device, long[] ids) {
            this.encoder = encoder;
            this.clipSkip = clipSkip;
            this.dtype = dtype;
            this.device = device;
            this.ids = ids.clone();
            this.hash = ((System.identityHashCode(encoder) * 31 + clipSkip) * 31 + dtype.hashCode()) * 31
                    + Arrays.hashCode(ids) + device.hashCode();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.encoder == encoder && k.clipSkip == clipSkip && k.dtype == dtype
                    && k.device.equals(device) && Arrays.equals(k.ids, ids);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** For the tests: the rows held. */
    synchronized int size() {
        return rows.size();
    }
}
