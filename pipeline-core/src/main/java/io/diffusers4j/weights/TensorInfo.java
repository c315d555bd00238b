// Header entry of one tensor in a checkpoint (safetensors dtype string, shape, byte range, owning file).
package io.diffusers4j.weights;

import java.nio.file.Path;
import java.util.Arrays;

/** What a checkpoint says about one tensor, before any bytes are read. */
public record TensorInfo(String name, String dtype, long[] shape, long begin, long end, Path file) {
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
