// Conv2d against a direct double-precision convolution, including the input-channel counts libtorch gets wrong.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Conv2dTest {
    /**
     * libtorch 2.7.1's CPU convolution is wrong (errors of order 10) for 3x3 kernels with 24, 40 or 330 input
     * channels on an AVX-512 CPU (and with 330 on an AVX2 one); Conv2d pads them to a multiple of 16.
     */
    @ParameterizedTest(name = "in {0}, out {1}, kernel {2}, stride {3}, prepack {4}")
    @CsvSource({
        "4, 8, 3, 1, false", "9, 8, 3, 1, false", "16, 8, 3, 1, false", "24, 8, 3, 1, false", "24, 16, 3, 2, false",
        "40, 8, 3, 1, false", "330, 8, 3, 1, false", "24, 8, 1, 1, false", "24, 8, 3, 1, true", "40, 8, 3, 2, true"})
    void matchesTheDefinition(int in, int out, int kernel, int stride, boolean prepack) {
        int n = 2;
        int size = 12;
        int pad = kernel / 2;
        float[] x = gaussian(n * in * size * size, 1);
        float[] w = gaussian(out * in * kernel * kernel, 2);
        float[] b = gaussian(out, 3);
        try (var p = Fixtures.property("diffusers4j.conv-prepack", String.valueOf(prepack));
             NDManager m = NDManager.newBaseManager()) {
            Conv2d conv = new Conv2d(m.create(w, new Shape(out, in, kernel, kernel)), m.create(b, new Shape(out)),
                    stride, pad);
            NDArray y = conv.forward(m.create(x, new Shape(n, in, size, size)));
            int outSize = (size + 2 * pad - kernel) / stride + 1;
            assertEquals(new Shape(n, out, outSize, outSize), y.getShape());
            float[] got = y.toFloatArray();
            double[] want = definition(x, w, b, n, in, out, size, kernel, stride, pad);
            double worst = 0;
            for (int i = 0; i < got.length; i++) {
                worst = Math.max(worst, Math.abs(want[i] - got[i]));
            }
            // float32 sums of up to 330 * 9 unit-variance products
            assertTrue(worst < 2e-4, "max |conv - definition| = " + worst);
            assertEquals(prepack, conv.isPacked(), "prepacked path");
        }
    }

    /** The convolution by its definition, in double precision: {@code [n, out, outSize, outSize]} flattened. */
    static double[] definition(float[] x, float[] w, float[] b, int n, int in, int out, int size, int kernel,
                               int stride, int pad) {
        int outSize = (size + 2 * pad - kernel) / stride + 1;
        double[] y = new double[n * out * outSize * outSize];
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < out; o++) {
                for (int r = 0; r < outSize; r++) {
                    for (int c = 0; c < outSize; c++) {
                        double want = b[o];
                        for (int ci = 0; ci < in; ci++) {
                            for (int kr = 0; kr < kernel; kr++) {
                                for (int kc = 0; kc < kernel; kc++) {
                                    int rr = r * stride + kr - pad;
                                    int cc = c * stride + kc - pad;
                                    if (rr >= 0 && cc >= 0 && rr < size && cc < size) {
                                        want += (double) x[((i * in + ci) * size + rr) * size + cc]
                                                * w[((o * in + ci) * kernel + kr) * kernel + kc];
                                    }
                                }
                            }
                        }
                        y[((i * out + o) * outSize + r) * outSize + c] = want;
                    }
                }
            }
        }
        return y;
    }

    static float[] gaussian(int count, long seed) {
        Random r = new Random(seed);
        float[] out = new float[count];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) r.nextGaussian();
        }
        return out;
    }
}
