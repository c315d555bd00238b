// Parity of UNet2DConditionModel with diffusers 0.30.3 on the tiny-sd fixture, and its attention options.
package io.diffusers4j.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.models.ModelTestSupport;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.weights.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UNet2DConditionModelTest {
    private static NDManager weights;
    private static UNet2DConditionModel unet;

    @BeforeAll
    static void load() {
        weights = NDManager.newBaseManager();
        Path dir = Fixtures.tinySd().resolve("unet");
        UNet2DConditionConfig cfg = ConfigBase.load(dir.resolve("config.json"), UNet2DConditionConfig.class);
        try (SafetensorsFile st = SafetensorsFile.open(dir.resolve("diffusion_pytorch_model.safetensors"))) {
            unet = UNet2DConditionModel.load(cfg, st, weights, DataType.FLOAT32);
        }
    }

    @AfterAll
    static void close() {
        unet.close();
        weights.close();
    }

    private static NDArray reference(NDManager m, UNet2DConditionModel model) {
        NDArray sample = ModelTestSupport.npy(m, "tiny-sd_unet_sample.npy");
        NDArray ehs = ModelTestSupport.npy(m, "tiny-sd_te_last_hidden_state.npy");
        NDArray t = m.create(981L);
        return model.forward(sample, t, ehs);
    }

    @Test
    void matchesDiffusersOnTheFixture() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = reference(m, unet);
            NDArray expected = ModelTestSupport.npy(m, "tiny-sd_unet_out.npy");
            double diff = ModelTestSupport.maxAbsDiff(out, expected);
            System.out.printf("UNet fixture parity: max abs diff %.3g (output max abs %.3g)%n", diff,
                    ModelTestSupport.maxAbs(expected));
            assertTrue(diff < 1e-4, "max abs diff " + diff);
            // timing of one fixture forward (2x4x32x32, 77x32 text), after the warm-up above
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 10; i++) {
                long t0 = System.nanoTime();
                reference(m, unet).close();
                best = Math.min(best, System.nanoTime() - t0);
            }
            System.out.printf("UNet fixture forward: best of 10 = %.1f ms%n", best / 1e6);
        }
    }

    @Test
    void timestepFormsAreEquivalent() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray sample = ModelTestSupport.npy(m, "tiny-sd_unet_sample.npy");
            NDArray ehs = ModelTestSupport.npy(m, "tiny-sd_te_last_hidden_state.npy");
            NDArray a = unet.forward(sample, m.create(981L), ehs);
            NDArray b = unet.forward(sample, m.create(new float[] {981f, 981f}), ehs);
            NDArray c = unet.forward(sample, 981, ehs);
            NDArray d = unet.forward(sample, m.create(new long[] {981}), ehs);
            assertEquals(0.0, ModelTestSupport.maxAbsDiff(a, b));
            assertEquals(0.0, ModelTestSupport.maxAbsDiff(a, c));
            assertEquals(0.0, ModelTestSupport.maxAbsDiff(a, d));
            NDArray bad = m.create(new long[] {1, 2, 3});
            assertThrows(IllegalArgumentException.class, () -> unet.forward(sample, bad, ehs));
        }
    }

    @Test
    void slicedAndMemoryEfficientAttentionEqualDense() {
        try (NDManager m = NDManager.newBaseManager()) {
            unet.enableMemoryEfficientAttention(false); // one score matrix per attention: diffusers' AttnProcessor
            NDArray dense;
            try {
                dense = reference(m, unet);
                for (String mode : new String[] {"auto", "max", "2", "8"}) {
                    unet.enableAttentionSlicing(mode);
                    double diff = ModelTestSupport.maxAbsDiff(reference(m, unet), dense);
                    System.out.printf("slice %s: max abs diff vs dense %.3g%n", mode, diff);
                    assertTrue(diff < 1e-5, mode + ": " + diff);
                }
                unet.disableAttentionSlicing();
                unet.enableMemoryEfficientAttention(true);
                unet.attentionOptions().chunkBytes(64 << 10); // blocks of query rows on the 16x16 and 77-key maps
                double diff = ModelTestSupport.maxAbsDiff(reference(m, unet), dense);
                System.out.printf("memory-efficient: max abs diff vs dense %.3g%n", diff);
                assertTrue(diff < 1e-5, "memory efficient: " + diff);
                unet.enableAttentionSlicing("auto");
                diff = ModelTestSupport.maxAbsDiff(reference(m, unet), dense);
                assertTrue(diff < 1e-5, "sliced + memory efficient: " + diff);
                unet.disableAttentionSlicing();
                // blocks of two whole batch*head entries of the 256-token self-attention
                unet.attentionOptions().chunkBytes(2 * 256 * 256 * 4);
                diff = ModelTestSupport.maxAbsDiff(reference(m, unet), dense);
                assertTrue(diff < 1e-5, "entry blocks: " + diff);
            } finally {
                unet.disableAttentionSlicing();
                unet.enableMemoryEfficientAttention(true);
                unet.attentionOptions().chunkBytes(16L << 20);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> unet.enableAttentionSlicing(9));
            assertTrue(e.getMessage().contains("size 9 has to be smaller or equal to 8"), e.getMessage());
        }
    }

    @Test
    void forwardFreesItsTemporariesAndNeverTouchesTheWeights() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray sample = ModelTestSupport.npy(m, "tiny-sd_unet_sample.npy");
            NDArray ehs = ModelTestSupport.npy(m, "tiny-sd_te_last_hidden_state.npy");
            NDArray t = m.create(new float[] {981f}); // float32: the forward must not close or move it
            unet.forward(sample, t, ehs).close(); // warm-up: lazily built group-norm constants
            int weightArrays = weights.getManagedArrays().size();
            int callerArrays = m.getManagedArrays().size();
            for (int i = 0; i < 3; i++) {
                NDArray out = unet.forward(sample, t, ehs);
                assertEquals(callerArrays + 1, m.getManagedArrays().size(), "only the result is left behind");
                out.close();
            }
            assertEquals(weightArrays, weights.getManagedArrays().size(), "weights manager grew");
            assertEquals(callerArrays, m.getManagedArrays().size());
            assertEquals(m, sample.getManager(), "inputs go back to their manager");
            assertEquals(981f, t.toFloatArray()[0], "inputs stay open");
        }
    }

    @Test
    void encoderAttentionMaskDropsTokens() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray sample = ModelTestSupport.npy(m, "tiny-sd_unet_sample.npy");
            NDArray ehs = ModelTestSupport.npy(m, "tiny-sd_te_last_hidden_state.npy");
            float[] keep = new float[2 * 77];
            for (int i = 0; i < 77; i++) {
                keep[i] = i < 10 ? 1 : 0;
                keep[77 + i] = i < 10 ? 1 : 0;
            }
            NDArray mask = m.create(keep, new Shape(2, 77));
            NDArray t = m.create(981L);
            NDArray masked = unet.forward(new UNetInputs(sample, t, ehs).encoderAttentionMask(mask));
            // a -10000 bias gives the discarded tokens exactly zero weight: same as passing the 10 kept tokens
            NDArray shorter = unet.forward(sample, t, ehs.get(":, :10, :"));
            double diff = ModelTestSupport.maxAbsDiff(masked, shorter);
            assertTrue(diff < 1e-5, "masked vs truncated " + diff);
            assertTrue(ModelTestSupport.maxAbsDiff(masked, unet.forward(sample, t, ehs)) > 1e-3, "mask ignored");
        }
    }

    @Test
    void oddSampleSizesForwardTheUpsampleSize() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray sample = ModelTestSupport.randn(m, 111, 1, 4, 9, 7);
            NDArray ehs = ModelTestSupport.randn(m, 112, 1, 5, 32);
            NDArray out = unet.forward(sample, 10, ehs);
            assertEquals(new Shape(1, 4, 9, 7), out.getShape());
        }
    }
}
