// Port of diffusers.models.attention._chunked_feed_forward (SD3's enable_forward_chunking).
package io.diffusers4j.models.transformers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import io.diffusers4j.models.blocks.FeedForward;

/**
 * The feed-forward of a block run on {@code chunk_size} slices along dim 0 (batch) or 1 (tokens) and concatenated:
 * the same values as one call (each row is independent), with the hidden activation ({@code 4 * dim} wide) held
 * for one chunk at a time. A model-wide setting, read by the blocks on every call.
 *
 * @param chunkSize the slice length (diffusers' {@code chunk_size or 1})
 * @param dim       0 or 1
 */
public record FeedForwardChunking(int chunkSize, int dim) {
    public FeedForwardChunking {
        if (dim != 0 && dim != 1) {
            throw new IllegalArgumentException("Make sure to set `dim` to either 0 or 1, not " + dim);
        }
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunk_size must be >= 1, got " + chunkSize);
        }
    }

    /** {@code ff(x)}, chunked when {@code chunking} is set (null: one call). */
    static NDArray apply(FeedForward ff, NDArray x, FeedForwardChunking chunking) {
        if (chunking == null) {
            return ff.forward(x);
        }
        long length = x.getShape().get(chunking.dim());
        if (length % chunking.chunkSize() != 0) {
            throw new IllegalArgumentException("`hidden_states` dimension to be chunked: " + length
                    + " has to be divisible by chunk size: " + chunking.chunkSize() + ". Make sure to set an "
                    + "appropriate `chunk_size` when calling `unet.enable_forward_chunking`.");
        }
        int chunks = Math.toIntExact(length / chunking.chunkSize());
        NDList parts = x.split(chunks, chunking.dim());
        NDList outs = new NDList(chunks);
        for (NDArray part : parts) {
            outs.add(ff.forward(part));
        }
        parts.close();
        NDArray out = NDArrays.concat(outs, chunking.dim());
        outs.close();
        return out;
    }
}
