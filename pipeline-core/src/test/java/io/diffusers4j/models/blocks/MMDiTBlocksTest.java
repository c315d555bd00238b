// Unit checks of the SD3 / FLUX blocks' primitives against their definitions (the models' parity tests cover the rest).
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.ModelTestSupport;
import io.diffusers4j.models.nn.Activations;
import io.diffusers4j.models.nn.TorchOps;
import io.diffusers4j.weights.WeightScope;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MMDiTBlocksTest {
    @Test
    void tanhGeluKernelEqualsTheFormula() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = ModelTestSupport.randn(m, 5, 3, 17, 40).muli(4f);
            NDArray kernel = TorchOps.geluTanh(x);
            assertNotNull(kernel, "libtorch's gelu(approximate='tanh') through TorchOps");
            assertTrue(ModelTestSupport.maxAbsDiff(kernel, Activations.geluTanh(x)) < 2e-6);
            assertEquals(0.0, ModelTestSupport.maxAbsDiff(kernel, Activations.geluApproximate(x)));
            assertEquals(0.0, ModelTestSupport.maxAbs(x.sub(ModelTestSupport.randn(m, 5, 3, 17, 40).muli(4f))),
                    "the input is left as it was");
        }
    }

    @Test
    void rmsNormIsTheDefinition() {
        try (NDManager m = NDManager.newBaseManager()) {
            WeightScope scope = WeightScope.randomInit(1, m, DataType.FLOAT32);
            RMSNorm norm = RMSNorm.load(scope.pp("norm_q"), 8, 1e-6, true);
            NDArray weight = scope.tensors().get("norm_q.weight");
            NDArray x = ModelTestSupport.randn(m, 6, 2, 3, 8);
            float[] in = x.toFloatArray();
            float[] w = weight.toFloatArray();
            float[] out = norm.forward(x).toFloatArray();
            for (int row = 0; row < 6; row++) {
                double sum = 0;
                for (int i = 0; i < 8; i++) {
                    sum += (double) in[row * 8 + i] * in[row * 8 + i];
                }
                double inv = 1 / Math.sqrt(sum / 8 + 1e-6);
                for (int i = 0; i < 8; i++) {
                    assertEquals(in[row * 8 + i] * inv * w[i], out[row * 8 + i], 1e-5);
                }
            }
        }
    }

    @Test
    void rotaryEmbeddingRotatesEachPair() {
        try (NDManager m = NDManager.newBaseManager()) {
            EmbedND embed = new EmbedND(10000, List.of(2, 4));
            // two positions, ids (3, 5) and (0, 7), one batch row
            NDArray ids = m.create(new float[] {3, 5, 0, 7}, new Shape(1, 2, 2));
            RotaryEmbedding rope = embed.forward(ids);
            NDArray x = ModelTestSupport.randn(m, 9, 1, 2, 1, 6);
            float[] in = x.toFloatArray();
            float[] out = rope.apply(x).toFloatArray();
            float[][] pos = {{3, 5}, {0, 7}};
            for (int l = 0; l < 2; l++) {
                double[] angles = {pos[l][0] * 1.0, pos[l][1] * 1.0, pos[l][1] / Math.pow(10000, 0.5)};
                for (int k = 0; k < 3; k++) {
                    double x0 = in[l * 6 + 2 * k];
                    double x1 = in[l * 6 + 2 * k + 1];
                    double c = Math.cos(angles[k]);
                    double s = Math.sin(angles[k]);
                    assertEquals(c * x0 - s * x1, out[l * 6 + 2 * k], 1e-6);
                    assertEquals(s * x0 + c * x1, out[l * 6 + 2 * k + 1], 1e-6);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> embed.forward(m.zeros(new Shape(1, 2, 3))));
            assertThrows(IllegalArgumentException.class, () -> new EmbedND(10000, List.of(3, 4)));
        }
    }
}
