// Timing of an SD-1.5-architecture UNet call (random weights); runs only with -Ddiffusers4j.bench=true.
package io.diffusers4j.models.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.config.IntOrList;
import io.diffusers4j.models.ModelTestSupport;
import io.diffusers4j.models.unet.UNet2DConditionConfig;
import io.diffusers4j.models.unet.UNet2DConditionModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The peer figure in DESIGN.md: diffusers 0.30.3 on torch CPU, 2 threads, tcmalloc: one SD-1.5 UNet call on the CFG
 * batch (2x4x32x32 latents, 77x768 text) takes 3.9-4.4 s.
 */
@EnabledIfSystemProperty(named = "diffusers4j.bench", matches = "true")
class UNetBenchmarkTest {
    @Test
    void sd15UNetCall() {
        UNet2DConditionConfig cfg = new UNet2DConditionConfig();
        cfg.sampleSize = IntOrList.of(64);
        cfg.crossAttentionDim = IntOrList.of(768);
        int latent = Integer.getInteger("diffusers4j.bench.latent", 32);
        int runs = Integer.getInteger("diffusers4j.bench.runs", 3);
        try (NDManager m = NDManager.newBaseManager()) {
            calibrate(m);
            long t0 = System.nanoTime();
            UNet2DConditionModel unet = UNet2DConditionModel.randomInit(cfg, 0, m, DataType.FLOAT32);
            System.out.printf("random init: %.1f s, %d tensors%n", (System.nanoTime() - t0) / 1e9,
                    unet.stateDict().size());
            NDArray sample = ModelTestSupport.randn(m, 1, 2, 4, latent, latent);
            NDArray ehs = ModelTestSupport.randn(m, 2, 2, 77, 768);
            NDArray t = m.create(500L);
            for (int i = 0; i < runs; i++) {
                long s = System.nanoTime();
                NDArray out = unet.forward(sample, t, ehs);
                System.out.printf("SD-1.5 UNet call 2x4x%dx%d: %.2f s%n", latent, latent,
                        (System.nanoTime() - s) / 1e9);
                assertEquals(new Shape(2, 4, latent, latent), out.getShape());
                assertTrue(Double.isFinite(ModelTestSupport.maxAbs(out)));
                out.close();
            }
            unet.close();
        }
    }

    /** Reference speeds on this machine now: matmul 1024^3 and a 3x3 conv 320->320 on 2x320x32x32. */
    static void calibrate(NDManager m) {
        NDArray a = ModelTestSupport.randn(m, 3, 1024, 1024);
        NDArray b = ModelTestSupport.randn(m, 4, 1024, 1024);
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long s = System.nanoTime();
            a.matMul(b).close();
            best = Math.min(best, (System.nanoTime() - s) / 1e9);
        }
        System.out.printf("matmul 1024^3: %.1f GFLOP/s%n", 2.0 * 1024 * 1024 * 1024 / best / 1e9);
        NDArray x = ModelTestSupport.randn(m, 5, 2, 320, 32, 32);
        NDArray w = ModelTestSupport.randn(m, 6, 320, 320, 3, 3);
        NDArray bias = ModelTestSupport.randn(m, 7, 320);
        best = Double.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long s = System.nanoTime();
            ai.djl.nn.convolutional.Conv2d.conv2d(x, w, bias, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1), 1)
                    .close();
            best = Math.min(best, (System.nanoTime() - s) / 1e9);
        }
        System.out.printf("conv3x3 320->320 2x32x32: %.1f GFLOP/s%n", 2.0 * 2 * 320 * 320 * 9 * 1024 / best / 1e9);
    }
}
