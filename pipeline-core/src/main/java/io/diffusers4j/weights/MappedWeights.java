// Tensors that are views of memory-mapped safetensors bytes, and releasing their resident pages.
package io.diffusers4j.weights;

import ai.djl.ndarray.NDArray;
import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.lang.ref.WeakReference;
import java.nio.MappedByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Remembers which weight tensors are zero-copy views of a read-only file mapping (libtorch's {@code from_blob} over
 * the {@link MappedByteBuffer} of a safetensors file), so that a module that has made its own copy of a weight (a
 * prepacked convolution) can hand the original's pages back to the page cache: {@code madvise(MADV_DONTNEED)} drops
 * them from this process's resident set, and any later read of the tensor (saving the state dict) faults them in
 * again from the file. Only file-backed read-only mappings are ever released (on anonymous memory DONTNEED would
 * zero the data); anything else, or any failure (not Linux, no JNA), is a no-op.
 */
public final class MappedWeights {
    private static final int MADV_DONTNEED = 4;
    private static final long PAGE = 4096;
    /**
     * By tensor uid (DJL's NDArray equals compares contents); the buffers are held weakly, the tensor itself holds
     * its buffer for as long as it lives, so this map never keeps a mapping alive.
     */
    private static final Map<String, WeakReference<MappedByteBuffer>> MAPPED = new HashMap<>();
    private static long registrations;
    private static volatile Function madvise;
    private static volatile boolean unavailable = !System.getProperty("os.name", "").toLowerCase().contains("linux");

    private MappedWeights() {
    }

    /** Records that {@code tensor} is a view of {@code bytes}, a read-only file mapping. */
    static synchronized void register(NDArray tensor, MappedByteBuffer bytes) {
        if (++registrations % 1024 == 0) {
            MAPPED.values().removeIf(ref -> ref.get() == null);
        }
        MAPPED.put(tensor.getUid(), new WeakReference<>(bytes));
    }

    private static synchronized MappedByteBuffer lookup(NDArray tensor) {
        WeakReference<MappedByteBuffer> ref = MAPPED.get(tensor.getUid());
        return ref == null ? null : ref.get();
    }

    /** True when {@code tensor} reads its data straight from a file mapping. */
    public static boolean isMapped(NDArray tensor) {
        return lookup(tensor) != null;
    }

    /**
     * Drops the resident pages wholly covered by {@code tensor}'s mapping from this process (they stay in the page
     * cache and are read again on access). Returns the bytes released, 0 when the tensor is not a mapped view or
     * the call is unavailable.
     */
    public static long release(NDArray tensor) {
        MappedByteBuffer buf = lookup(tensor);
        if (buf == null || unavailable) {
            return 0;
        }
        try {
            long address = Pointer.nativeValue(Native.getDirectBufferPointer(buf));
            long start = (address + PAGE - 1) / PAGE * PAGE;
            long end = (address + buf.capacity()) / PAGE * PAGE;
            if (end <= start) {
                return 0;
            }
            Function f = madvise;
            if (f == null) {
                f = Function.getFunction("c", "madvise");
                madvise = f;
            }
            int rc = f.invokeInt(new Object[] {new Pointer(start), end - start, MADV_DONTNEED});
            return rc == 0 ? end - start : 0;
        } catch (RuntimeException | LinkageError e) {
            unavailable = true;
            return 0;
        }
    }
}
