// The switches of diffusers' attention processors (AttnProcessor, SlicedAttnProcessor, memory-efficient).
package io.diffusers4j.models.nn;

/**
 * How attention is computed; shared by every attention block of a model so that
 * {@code enableAttentionSlicing} / {@code enableMemoryEfficientAttention} are options of one function rather than
 * copies of the blocks. Mutable and thread-safe to read (volatile fields).
 */
public final class AttentionOptions {
    /** Batch*heads computed per slice; 0 = no slicing (diffusers' SlicedAttnProcessor slice_size). */
    private volatile int sliceSize;
    /** Query-chunked attention that bounds the score matrix to about {@link #chunkBytes} bytes. */
    private volatile boolean memoryEfficient;
    private volatile long chunkBytes = 64L << 20;

    public int sliceSize() {
        return sliceSize;
    }

    public AttentionOptions sliceSize(int size) {
        if (size < 0) {
            throw new IllegalArgumentException("attention slice size must be >= 0, got " + size);
        }
        this.sliceSize = size;
        return this;
    }

    public boolean memoryEfficient() {
        return memoryEfficient;
    }

    public AttentionOptions memoryEfficient(boolean on) {
        this.memoryEfficient = on;
        return this;
    }

    public long chunkBytes() {
        return chunkBytes;
    }

    public AttentionOptions chunkBytes(long bytes) {
        if (bytes < 1024) {
            throw new IllegalArgumentException("attention chunk must be >= 1024 bytes, got " + bytes);
        }
        this.chunkBytes = bytes;
        return this;
    }
}
