// A read-only view of a state dict (diffusers' load_state_dict): names -> lazily read tensors.
package io.diffusers4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.io.Closeable;
import java.util.Set;

/** Where weights come from: one safetensors file, a sharded checkpoint, or tensors already in memory. */
public interface TensorSource extends Closeable {
    /** Every tensor name, in a stable order. */
    Set<String> keys();

    /** Header facts for {@code key}; throws {@link IllegalArgumentException} naming the key when absent. */
    TensorInfo info(String key);

    /**
     * Reads {@code key} into {@code manager} (and so onto its device) as {@code dtype}. bfloat16 is widened to
     * float32 on the host before any DJL tensor exists (DJL 0.36 aborts the JVM on bfloat16).
     */
    NDArray load(String key, NDManager manager, DataType dtype);

    /** A human-readable name for error messages (a file or folder). */
    String describe();

    @Override
    void close();
}
