// The attention function: dense against a host-side reference, and every slicing / chunking mode against dense.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.ModelTestSupport;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScaledDotProductAttentionTest {
    private static final int BH = 6;
    private static final int LQ = 50;
    private static final int LK = 30;
    private static final int D = 8;

    /** softmax(q k^T * scale + mask) v in double precision on the host. */
    private static double[] reference(float[] q, float[] k, float[] v, float[] mask, float scale) {
        double[] out = new double[BH * LQ * D];
        for (int b = 0; b < BH; b++) {
            for (int i = 0; i < LQ; i++) {
                double[] s = new double[LK];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < LK; j++) {
                    double dot = 0;
                    for (int d = 0; d < D; d++) {
                        dot += (double) q[(b * LQ + i) * D + d] * k[(b * LK + j) * D + d];
                    }
                    s[j] = dot * scale + (mask == null ? 0 : mask[b * LK + j]);
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < LK; j++) {
                    s[j] = Math.exp(s[j] - max);
                    sum += s[j];
                }
                for (int d = 0; d < D; d++) {
                    double acc = 0;
                    for (int j = 0; j < LK; j++) {
                        acc += s[j] / sum * v[(b * LK + j) * D + d];
                    }
                    out[(b * LQ + i) * D + d] = acc;
                }
            }
        }
        return out;
    }

    @Test
    void everyModeComputesTheSameAttention() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray q = ModelTestSupport.randn(m, 1, BH, LQ, D);
            NDArray k = ModelTestSupport.randn(m, 2, BH, LK, D);
            NDArray v = ModelTestSupport.randn(m, 3, BH, LK, D);
            float[] maskValues = new float[BH * LK];
            for (int i = 0; i < maskValues.length; i++) {
                maskValues[i] = i % 7 == 3 ? -10000f : 0f;
            }
            NDArray mask = m.create(maskValues, new Shape(BH, 1, LK));
            float scale = (float) Math.pow(D, -0.5);
            AttentionOptions dense = new AttentionOptions().memoryEfficient(false);
            NDArray ref = ScaledDotProductAttention.compute(q, k, v, mask, scale, false, false, dense, 3);
            double[] host = reference(q.toFloatArray(), k.toFloatArray(), v.toFloatArray(), maskValues, scale);
            float[] got = ref.toFloatArray();
            double hostDiff = 0;
            for (int i = 0; i < got.length; i++) {
                hostDiff = Math.max(hostDiff, Math.abs(got[i] - host[i]));
            }
            assertTrue(hostDiff < 1e-5, "dense vs host reference " + hostDiff);

            AttentionOptions[] modes = {
                new AttentionOptions().memoryEfficient(false).sliceSize(4),
                new AttentionOptions().memoryEfficient(false).sliceAuto(),
                new AttentionOptions().memoryEfficient(false).sliceMax(),
                new AttentionOptions().chunkBytes(1024),                   // 8 query rows of one entry per block
                new AttentionOptions().chunkBytes(2 * LQ * LK * 4),        // two whole entries per block
                new AttentionOptions().chunkBytes(1024).sliceSize(4),
                new AttentionOptions(),                                    // default: fits one block
            };
            for (AttentionOptions o : modes) {
                NDArray out = ScaledDotProductAttention.compute(q, k, v, mask, scale, false, false, o, 3);
                assertEquals(new Shape(BH, LQ, D), out.getShape());
                double diff = ModelTestSupport.maxAbsDiff(out, ref);
                assertTrue(diff < 1e-6, o + ": " + diff);
            }
            assertEquals(1, new AttentionOptions().sliceAuto().sliceSizeFor(3));
            assertEquals(4, new AttentionOptions().sliceAuto().sliceSizeFor(8));
            assertEquals(1, new AttentionOptions().sliceMax().sliceSizeFor(8));
            assertEquals(0, new AttentionOptions().sliceSizeFor(8));

            // float16 with upcast: scores and softmax in float32, result in float16 close to the float32 result
            NDArray half = ScaledDotProductAttention.compute(q.toType(DataType.FLOAT16, false),
                    k.toType(DataType.FLOAT16, false), v.toType(DataType.FLOAT16, false),
                    mask.toType(DataType.FLOAT16, false), scale, true, true, new AttentionOptions().chunkBytes(1024),
                    3);
            assertEquals(DataType.FLOAT16, half.getDataType());
            assertTrue(ModelTestSupport.maxAbsDiff(half, ref) < 1e-2);
        }
    }
}
