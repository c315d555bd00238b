// Linear against its definition in double precision, on oneDNN's inner product (the CPU default) and on torch.linear.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinearTest {
    /**
     * Shapes include the ones for which libtorch 2.7.1's oneDNN linear with a reordered weight is wrong (out features
     * 33, 64, 200, 320, 330 at some row counts): the plain-weight path used here must be right for all of them.
     */
    @ParameterizedTest(name = "in {0}, out {1}, bias {2}, oneDNN {3}")
    @CsvSource({"3, 5, true, true", "64, 48, false, true", "320, 320, true, true", "37, 200, true, true",
        "16, 33, true, true", "768, 330, false, true", "16, 64, true, true", "64, 48, true, false",
        "37, 200, true, false"})
    void matchesTheDefinition(int in, int out, boolean withBias, boolean oneDnn) {
        try (var p = Fixtures.property(Linear.ONEDNN, String.valueOf(oneDnn));
             NDManager m = NDManager.newBaseManager()) {
            float[] w = Conv2dTest.gaussian(out * in, 2);
            float[] b = withBias ? Conv2dTest.gaussian(out, 3) : null;
            NDArray weight = m.create(w, new Shape(out, in));
            NDArray bias = b == null ? null : m.create(b, new Shape(out));
            Linear linear = new Linear(weight, bias);
            for (long[] shape : new long[][] {{2, 3, in}, {1, in}, {77, in}, {2, 1024, in}}) {
                int rows = (int) (shape.length == 2 ? shape[0] : shape[0] * shape[1]);
                float[] x = Conv2dTest.gaussian(rows * in, rows);
                NDArray input = m.create(x, new Shape(shape));
                NDArray y = linear.forward(input);
                long[] want = shape.clone();
                want[want.length - 1] = out;
                assertEquals(new Shape(want), y.getShape());
                float[] got = y.toFloatArray();
                double worst = 0;
                for (int r = 0; r < rows; r++) {
                    for (int o = 0; o < out; o++) {
                        double sum = b == null ? 0 : b[o];
                        for (int i = 0; i < in; i++) {
                            sum += (double) x[r * in + i] * w[o * in + i];
                        }
                        worst = Math.max(worst, Math.abs(sum - got[r * out + o]));
                    }
                }
                // float32 sums of up to 768 unit-variance products
                assertTrue(worst < 2e-4, "max |linear - definition| = " + worst + " for " + new Shape(shape));
                // the path taken: bit for bit the op the switch names
                NDArray path = oneDnn ? TorchOps.linear(input, weight, bias)
                        : bias == null ? ai.djl.nn.core.Linear.linear(input, weight).singletonOrThrow()
                        : ai.djl.nn.core.Linear.linear(input, weight, bias).singletonOrThrow();
                assertArrayEquals(path.toFloatArray(), got, "computed by " + (oneDnn ? "oneDNN" : "torch.linear"));
                y.addi(1f);   // the result may be updated in place
            }
        }
    }
}
