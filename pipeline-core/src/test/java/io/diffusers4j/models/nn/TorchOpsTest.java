// The TorchScript-reached libtorch ops: fused attention and prepacked convolution against the plain DJL paths.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.ModelTestSupport;
import io.diffusers4j.testing.Fixtures;
import ai.djl.ndarray.types.DataType;
import io.diffusers4j.weights.MappedWeights;
import io.diffusers4j.weights.SafetensorsFile;
import io.diffusers4j.weights.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TorchOpsTest {
    @Test
    void theModuleCompilesFromItsSource() {
        assertTrue(TorchOps.available(), "the TorchScript ops module must load on the bundled libtorch");
    }

    @Test
    void fusedAttentionEqualsDenseAttention() {
        long lk = ScaledDotProductAttention.FUSED_MIN_KEYS + 44;   // enough keys for the fused kernel on the CPU
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray q = ModelTestSupport.randn(m, 11, 4, 96, 40);
            NDArray k = ModelTestSupport.randn(m, 12, 4, lk, 40);
            NDArray v = ModelTestSupport.randn(m, 13, 4, lk, 40);
            float[] maskValues = new float[(int) (4 * lk)];
            for (int i = 0; i < maskValues.length; i++) {
                maskValues[i] = i % 5 == 2 ? -10000f : 0f;
            }
            NDArray mask = m.create(maskValues, new Shape(4, 1, lk));
            float scale = (float) Math.pow(40, -0.5);
            AttentionOptions dense = new AttentionOptions().memoryEfficient(false);
            AttentionOptions fused = new AttentionOptions();
            OpProfiler.reset();
            OpProfiler.enable(true);
            NDArray got;
            NDArray gotMasked;
            try {
                got = ScaledDotProductAttention.compute(q, k, v, null, scale, false, fused);
                gotMasked = ScaledDotProductAttention.compute(q, k, v, mask, scale, false, fused);
            } finally {
                OpProfiler.enable(false);
            }
            assertEquals(2, OpProfiler.snapshot().get(OpProfiler.OpClass.ATTENTION_FUSED).calls(),
                    "both calls must take the fused kernel");
            NDArray want = ScaledDotProductAttention.compute(q, k, v, null, scale, false, dense);
            NDArray wantMasked = ScaledDotProductAttention.compute(q, k, v, mask, scale, false, dense);
            assertEquals(want.getShape(), got.getShape());
            assertTrue(ModelTestSupport.maxAbsDiff(got, want) < 1e-5, "fused vs dense");
            assertTrue(ModelTestSupport.maxAbsDiff(gotMasked, wantMasked) < 1e-5, "fused vs dense, masked");
            // the result may be updated in place (it is not an inference-mode tensor)
            got.addi(1f);
        }
    }

    @Test
    void packedConvolutionEqualsTorchConv2d() {
        // these weights are not memory-mapped
        try (var p = Fixtures.property("diffusers4j.conv-prepack", "true");
             NDManager m = NDManager.newBaseManager()) {
            for (int stride : new int[] {1, 2}) {
                NDArray w = ModelTestSupport.randn(m, 21, 24, 16, 3, 3).muli(0.1f);
                NDArray b = ModelTestSupport.randn(m, 22, 24);
                NDArray x = ModelTestSupport.randn(m, 23, 2, 16, 12, 10);
                Conv2d conv = new Conv2d(w, b, stride, 1);
                Shape one = new Shape(1, 1);
                NDArray want = ai.djl.nn.convolutional.Conv2d.conv2d(x, w, b, new Shape(stride, stride), one, one, 1)
                        .singletonOrThrow();
                NDArray got = conv.forward(x);      // packs, then runs packed
                assertTrue(conv.isPacked());
                NDArray again = conv.forward(x);
                assertEquals(want.getShape(), got.getShape());
                assertTrue(ModelTestSupport.maxAbsDiff(got, want) < 1e-5, "packed vs conv2d, stride " + stride);
                assertTrue(ModelTestSupport.maxAbsDiff(again, want) < 1e-5);
                // another input shape than the one packed for
                NDArray x2 = ModelTestSupport.randn(m, 24, 1, 16, 7, 9);
                NDArray want2 = ai.djl.nn.convolutional.Conv2d.conv2d(x2, w, b, new Shape(stride, stride), one, one,
                        1).singletonOrThrow();
                assertTrue(ModelTestSupport.maxAbsDiff(conv.forward(x2), want2) < 1e-5, "other shape");
                got.addi(1f);   // in-place updates of the result are allowed
            }
        }
    }

    private static NDArray inMemoryWeight(NDArray w) {
        return w;
    }

    @Test
    void byDefaultOnlyMemoryMappedWeightsArePackedAndTheirPagesReleased(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = ModelTestSupport.randn(m, 31, 64, 32, 3, 3).muli(0.05f);   // 72 KiB: whole pages
            NDArray b = ModelTestSupport.randn(m, 32, 64);
            Path file = dir.resolve("conv.safetensors");
            SafetensorsWriter.write(file, new java.util.LinkedHashMap<>(java.util.Map.of("weight", w, "bias", b)),
                    null, java.util.Map.of());
            NDArray x = ModelTestSupport.randn(m, 33, 1, 32, 9, 9);
            Shape one = new Shape(1, 1);
            NDArray want = ai.djl.nn.convolutional.Conv2d.conv2d(x, w, b, one, one, one, 1).singletonOrThrow();

            Conv2d inMemory = new Conv2d(w, b, 1, 1);
            assertTrue(ModelTestSupport.maxAbsDiff(inMemory.forward(x), want) < 1e-5);
            assertFalse(inMemory.isPacked(), "weights in ordinary memory are not packed by default");

            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                NDArray mw = f.load("weight", m, DataType.FLOAT32);
                NDArray mb = f.load("bias", m, DataType.FLOAT32);
                assertTrue(MappedWeights.isMapped(mw));
                Conv2d mapped = new Conv2d(mw, mb, 1, 1);
                assertTrue(ModelTestSupport.maxAbsDiff(mapped.forward(x), want) < 1e-5);
                assertTrue(mapped.isPacked(), "memory-mapped weights are packed");
                // its pages were handed back; they come back from the file when the tensor is read again
                assertTrue(MappedWeights.release(mw) > 0, "whole pages of the mapping are released");
                assertEquals(0.0, ModelTestSupport.maxAbsDiff(mw, w));
                assertEquals(0.0, MappedWeights.release(inMemoryWeight(w)), "ordinary memory is never released");
            }
        }
    }
}
