// Unmasked float32 CPU attention through oneDNN's inner product, head by head, against libtorch's fused kernel.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.models.ModelTestSupport;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AttentionOneDnnTest {
    /** The fused kernel's result for the same inputs (the oneDNN path switched off). */
    private static NDArray fused(NDArray q, NDArray k, NDArray v, float scale) {
        try (var p = Fixtures.property(TorchOps.ATTENTION_ONEDNN, "false")) {
            assertFalse(TorchOps.attentionOneDnn(q));
            return TorchOps.attention(q, k, v, null, scale);
        }
    }

    private static void assertClose(NDArray want, NDArray got, String what) {
        assertEquals(want.getShape(), got.getShape(), what);
        double diff = ModelTestSupport.maxAbsDiff(got, want);
        assertTrue(diff < 2e-6, what + ": max abs diff " + diff);
    }

    @Test
    void equalsTheFusedKernelOnHeadsViewsAndBlocks() {
        assertTrue(TorchOps.available());
        try (NDManager m = NDManager.newBaseManager()) {
            // [batch, heads, L, d] as diffusers' processors pass them: transposed views of [batch, L, heads, d]
            NDArray q = ModelTestSupport.randn(m, 31, 2, 300, 3, 40).transpose(0, 2, 1, 3);
            NDArray k = ModelTestSupport.randn(m, 32, 2, 300, 3, 40).transpose(0, 2, 1, 3);
            NDArray v = ModelTestSupport.randn(m, 33, 2, 300, 3, 40).transpose(0, 2, 1, 3);
            float scale = (float) Math.pow(40, -0.5);
            assertTrue(TorchOps.attentionOneDnn(q), "float32 on the CPU goes to oneDNN by default");
            NDArray got = TorchOps.attention(q, k, v, null, scale);
            assertSame(m, got.getManager());
            assertClose(fused(q, k, v, scale), got, "4-D views");

            // 3-D [batch*heads, L, d], other key count and value width; 8192 keys make 512-row score blocks, so
            // 1300 queries take three blocks, the last one short
            NDArray q3 = ModelTestSupport.randn(m, 34, 3, 1300, 16);
            NDArray k3 = ModelTestSupport.randn(m, 35, 3, 8192, 16);
            NDArray v3 = ModelTestSupport.randn(m, 36, 3, 8192, 24);
            assertEquals(512, TorchOps.ONEDNN_SCORE_BLOCK_BYTES / (4 * 8192));
            NDArray got3 = TorchOps.attention(q3, k3, v3, null, 0.25f);
            assertClose(fused(q3, k3, v3, 0.25f), got3, "3-D, blocks of query rows");

            // the result is an ordinary tensor: forwards update it in place
            got3.addi(1f);
        }
    }

    @Test
    void onlyUnmaskedFloat32OnTheCpuTakesIt() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray q = ModelTestSupport.randn(m, 41, 1, 2, 260, 8);
            assertTrue(TorchOps.attentionOneDnn(q));
            assertFalse(TorchOps.attentionOneDnn(q.toType(DataType.FLOAT16, false)));
            try (var p = Fixtures.property(TorchOps.ATTENTION_ONEDNN, "false")) {
                assertFalse(TorchOps.attentionOneDnn(q));
            }
            // keys and values broadcast over the batch keep the fused kernel too: same result either way
            NDArray kv = ModelTestSupport.randn(m, 43, 1, 1, 260, 8);
            NDArray broadcast = TorchOps.attention(q, kv, kv, null, 0.3f);
            assertEquals(q.getShape(), broadcast.getShape());
            assertEquals(0.0, ModelTestSupport.maxAbsDiff(broadcast, fused(q, kv, kv, 0.3f)));
            // a mask keeps the fused kernel (which takes it): same result either way
            NDArray mask = ModelTestSupport.randn(m, 42, 1, 1, 260, 260);
            NDArray masked = TorchOps.attention(q, q, q, mask, 0.3f);
            NDArray maskedFused;
            try (var p = Fixtures.property(TorchOps.ATTENTION_ONEDNN, "false")) {
                maskedFused = TorchOps.attention(q, q, q, mask, 0.3f);
            }
            assertEquals(0.0, ModelTestSupport.maxAbsDiff(masked, maskedFused));
        }
    }
}
