// The switches of diffusers' attention processors (AttnProcessor, SlicedAttnProcessor, memory-efficient).
package io.diffusers4j.models.nn;

/**
 * How attention is computed; one object is shared by every attention block of a model so that
 * {@code enableAttentionSlicing} / {@code enableMemoryEfficientAttention} are options of one function rather than
 * copies of the blocks. Mutable and thread-safe to read (volatile fields).
 *
 * <p>Slicing follows diffusers' {@code set_attention_slice}: the {@code batch*heads} rows of an attention call are
 * computed {@code slice} rows at a time ({@code SlicedAttnProcessor}), where the slice of a module with {@code heads}
 * heads is {@code heads / 2} for {@link SliceMode#AUTO}, 1 for {@link SliceMode#MAX} and the given size for
 * {@link SliceMode#FIXED}. Memory-efficient attention splits the queries into chunks whose score matrix is about
 * {@link #chunkBytes()} bytes (16 MiB by default), or, when {@link #fused()} (the default) and libtorch's fused
 * kernel is available, runs that kernel ({@code torch.scaled_dot_product_attention}, diffusers' {@code
 * AttnProcessor2_0}), which never materialises the score matrix. Every mode gives the dense result up to float
 * rounding.
 *
 * <p>Memory-efficient attention is ON by default, like diffusers' default processor on torch 2
 * ({@code AttnProcessor2_0}, a fused scaled-dot-product attention): on CPU the blocked computation is also about twice
 * as fast as one large score matrix once the matrix outgrows the caches. Turn it off to compute each attention as
 * one matrix, exactly like diffusers' {@code AttnProcessor}; attentions whose score matrix fits in one chunk (CLIP,
 * the small UNet levels) are computed as one matrix either way.
 */
public final class AttentionOptions {
    /** diffusers' slice_size values: None, "auto", "max" or an int. */
    public enum SliceMode { NONE, AUTO, MAX, FIXED }

    private volatile SliceMode sliceMode = SliceMode.NONE;
    private volatile int sliceSize;
    /** Blocked attention that bounds the score matrix to about {@link #chunkBytes} bytes (on by default). */
    private volatile boolean memoryEfficient = true;
    private volatile long chunkBytes = 16L << 20;
    /** Memory-efficient attention may use libtorch's fused kernel ({@link TorchOps#attention}). */
    private volatile boolean fused = Boolean.parseBoolean(System.getProperty("diffusers4j.fused-attention", "true"));

    /** The fixed slice size, or 0 when slicing is off or depends on the module ({@code auto}, {@code max}). */
    public int sliceSize() {
        return sliceMode == SliceMode.FIXED ? sliceSize : 0;
    }

    /** Fixed slicing of {@code size} rows of {@code batch*heads}; 0 turns slicing off. */
    public AttentionOptions sliceSize(int size) {
        if (size < 0) {
            throw new IllegalArgumentException("attention slice size must be >= 0, got " + size);
        }
        this.sliceSize = size;
        this.sliceMode = size == 0 ? SliceMode.NONE : SliceMode.FIXED;
        return this;
    }

    /** diffusers' {@code slice_size="auto"}: half the heads of each module per slice. */
    public AttentionOptions sliceAuto() {
        this.sliceMode = SliceMode.AUTO;
        return this;
    }

    /** diffusers' {@code slice_size="max"}: one row of {@code batch*heads} per slice. */
    public AttentionOptions sliceMax() {
        this.sliceMode = SliceMode.MAX;
        return this;
    }

    /** diffusers' {@code disable_attention_slicing}. */
    public AttentionOptions disableSlicing() {
        this.sliceMode = SliceMode.NONE;
        this.sliceSize = 0;
        return this;
    }

    public SliceMode sliceMode() {
        return sliceMode;
    }

    /**
     * The slice size a module with {@code heads} heads uses (0 = no slicing). For {@code auto} on a one-head module
     * diffusers would compute 0 and fail; we use 1 instead.
     */
    public int sliceSizeFor(int heads) {
        return switch (sliceMode) {
            case NONE -> 0;
            case AUTO -> Math.max(1, heads / 2);
            case MAX -> 1;
            case FIXED -> sliceSize;
        };
    }

    public boolean memoryEfficient() {
        return memoryEfficient;
    }

    public AttentionOptions memoryEfficient(boolean on) {
        this.memoryEfficient = on;
        return this;
    }

    /** Whether memory-efficient attention may use libtorch's fused kernel (else query chunks of plain products). */
    public boolean fused() {
        return fused;
    }

    public AttentionOptions fused(boolean on) {
        this.fused = on;
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

    @Override
    public String toString() {
        return "AttentionOptions{slice=" + (sliceMode == SliceMode.FIXED ? Integer.toString(sliceSize) : sliceMode)
                + ", memoryEfficient=" + memoryEfficient + ", fused=" + fused + ", chunkBytes=" + chunkBytes + "}";
    }
}
