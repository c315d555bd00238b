// Conv2d and Linear built in a bfloat16 scope: bfloat16 compute against the definition, float32 arrays only.
package io.diffusers4j.models.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.weights.MapTensorSource;
import io.diffusers4j.weights.WeightScope;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A tolerance test of the bfloat16 path against the double-precision definition (not a parity test: diffusers'
 * parity is float32 only). bfloat16 keeps 8 significant bits, so inputs and weights carry relative errors of up to
 * 2^-9 and the result is rounded to bfloat16 before it is widened: errors of a few tenths of a percent of the output's
 * magnitude. The kernels libtorch gets wrong for some input-channel counts are off by tens of percent (or NaN), so
 * a 1% bound tells them apart. Skipped where {@link Bf16Support} refuses bfloat16 (no AVX512-BF16 / AMX).
 */
class Bf16ComputeTest {
    @BeforeEach
    void needsBf16() {
        assumeTrue(Bf16Support.unsupportedReason(Device.cpu()).isEmpty(), "bfloat16 compute unsupported here");
    }

    /**
     * The input-channel counts libtorch's CPU convolution gets wrong (24, 40, 330) and, in bfloat16, every output
     * channel count that is not a multiple of 16 (the UNet's last 4 channels, the VAE's 3) are padded.
     */
    @ParameterizedTest(name = "in {0}, out {1}, kernel {2}, stride {3}")
    @CsvSource({"8, 8, 3, 1", "16, 16, 3, 1", "24, 8, 3, 1", "40, 8, 3, 2", "48, 16, 3, 1", "330, 8, 3, 1",
        "320, 32, 3, 1", "24, 8, 1, 1", "320, 4, 3, 1", "128, 3, 3, 1", "16, 40, 3, 1", "8, 330, 1, 1"})
    void convolutionIsWithinBf16RoundingOfTheDefinition(int in, int out, int kernel, int stride) {
        int n = 2;
        int size = 12;
        int pad = kernel / 2;
        float[] x = Conv2dTest.gaussian(n * in * size * size, 1);
        float[] w = Conv2dTest.gaussian(out * in * kernel * kernel, 2);
        float[] b = Conv2dTest.gaussian(out, 3);
        try (NDManager m = NDManager.newBaseManager()) {
            WeightScope scope = bf16Scope(m, Map.of("conv.weight", m.create(w, new Shape(out, in, kernel, kernel)),
                    "conv.bias", m.create(b, new Shape(out))));
            Conv2d conv = Conv2d.load(scope.pp("conv"), in, out, kernel, stride, pad);
            NDArray y = conv.forward(m.create(x, new Shape(n, in, size, size)));
            assertEquals(DataType.FLOAT32, y.getDataType());
            double[] want = Conv2dTest.definition(x, w, b, n, in, out, size, kernel, stride, pad);
            double[] err = errors(want, y.toFloatArray());
            assertTrue(conv.bf16Compute() && conv.isPacked(), "the packed bfloat16 path ran");
            assertTrue(err[0] <= 0.01 * err[1], "max |conv - definition| = " + err[0] + " of max |y| " + err[1]);
            assertTrue(err[0] > 1e-4 * err[1], "bfloat16 rounding is visible: " + err[0]);
        }
    }

    @ParameterizedTest(name = "in {0}, out {1}")
    @CsvSource({"8, 48", "24, 40", "40, 8", "320, 330", "330, 3", "768, 320"})
    void linearIsWithinBf16RoundingOfTheDefinition(int in, int out) {
        int rows = 2 * 77;
        float[] x = Conv2dTest.gaussian(rows * in, 4);
        float[] w = Conv2dTest.gaussian(out * in, 5);
        float[] b = Conv2dTest.gaussian(out, 6);
        try (NDManager m = NDManager.newBaseManager()) {
            WeightScope scope = bf16Scope(m, Map.of("proj.weight", m.create(w, new Shape(out, in)),
                    "proj.bias", m.create(b, new Shape(out))));
            Linear linear = Linear.load(scope.pp("proj"), in, out, true);
            NDArray y = linear.forward(m.create(x, new Shape(2, 77, in)));
            assertEquals(DataType.FLOAT32, y.getDataType());
            assertEquals(new Shape(2, 77, out), y.getShape());
            double[] want = new double[rows * out];
            for (int r = 0; r < rows; r++) {
                for (int o = 0; o < out; o++) {
                    double s = b[o];
                    for (int i = 0; i < in; i++) {
                        s += (double) x[r * in + i] * w[o * in + i];
                    }
                    want[r * out + o] = s;
                }
            }
            double[] err = errors(want, y.toFloatArray());
            assertTrue(linear.bf16Compute(), "built for bfloat16");
            assertTrue(err[0] <= 0.01 * err[1], "max |linear - definition| = " + err[0] + " of max |y| " + err[1]);
            assertTrue(err[0] > 1e-4 * err[1], "bfloat16 rounding is visible: " + err[0]);
        }
    }

    @Test
    void aBf16ScopeHandsOutFloat32TensorsOnly() {
        try (NDManager m = NDManager.newBaseManager()) {
            WeightScope scope = WeightScope.randomInit(0, m, DataType.BFLOAT16);
            assertEquals(DataType.FLOAT32, scope.dtype());
            assertTrue(scope.bf16Compute());
            Linear linear = Linear.load(scope.pp("a"), 16, 8, false);
            Conv2d conv = Conv2d.load(scope.pp("b"), 4, 8, 3, 1, 1);
            for (NDArray t : scope.tensors().values()) {
                assertEquals(DataType.FLOAT32, t.getDataType(), "every weight is float32");
            }
            assertEquals(DataType.FLOAT32, linear.forward(m.ones(new Shape(3, 16))).getDataType());
            assertEquals(DataType.FLOAT32, conv.forward(m.ones(new Shape(1, 4, 8, 8))).getDataType());
            assertTrue(!WeightScope.randomInit(0, m, DataType.FLOAT32).bf16Compute(), "float32 scopes stay float32");
        }
    }

    private static WeightScope bf16Scope(NDManager m, Map<String, NDArray> tensors) {
        return WeightScope.load(new MapTensorSource(tensors, "test"), m, DataType.BFLOAT16);
    }

    /** {max |want - got|, max |want|}. */
    private static double[] errors(double[] want, float[] got) {
        assertEquals(want.length, got.length);
        double worst = 0;
        double scale = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Double.isNaN(got[i]) ? Double.POSITIVE_INFINITY : Math.abs(want[i] - got[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        return new double[] {worst, scale};
    }
}
