// Small NDArrays read into Java arrays on the host.
package io.diffusers4j.utils;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Reads small arrays (attention masks, ids) into Java arrays without creating DJL temporaries. */
public final class HostArrays {
    private HostArrays() {
    }

    /** The values of {@code a} as floats: float32 as they are, booleans as 1 / 0, other numbers converted. */
    public static float[] floats(NDArray a) {
        if (a.getDataType() == DataType.FLOAT32) {
            return a.toFloatArray();
        }
        if (a.getDataType() == DataType.BOOLEAN) {
            boolean[] v = a.toBooleanArray();
            float[] out = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                out[i] = v[i] ? 1f : 0f;
            }
            return out;
        }
        Number[] v = a.toArray();
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i].floatValue();
        }
        return out;
    }
}
