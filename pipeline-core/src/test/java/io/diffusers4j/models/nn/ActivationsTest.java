// SiLU through libtorch's kernel, in place and not, against its definition and the formula it replaced.
package io.diffusers4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActivationsTest {
    /** -30 .. 30 in uneven steps, with 0, tiny and large magnitudes; 1,027 values (not a multiple of a vector). */
    private static float[] inputs() {
        float[] v = new float[1027];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (-30.0 + 60.0 * i / (v.length - 1) + 1e-3 * Math.sin(i));
        }
        v[7] = 0f;
        v[8] = -1e-30f;
        v[9] = 88f;
        v[10] = -88f;
        return v;
    }

    private static void assertSilu(float[] in, float[] got, String what) {
        for (int i = 0; i < in.length; i++) {
            double x = in[i];
            double want = x / (1 + Math.exp(-x));
            double err = Math.abs(got[i] - want);
            assertTrue(err <= 5e-7 * Math.abs(want) + 1e-37,   // a few float32 ulps
                    what + ": silu(" + in[i] + ") = " + got[i] + ", want " + want);
        }
    }

    @Test
    void siluMatchesItsDefinitionWithAndWithoutTheKernel() {
        float[] in = inputs();
        for (String ops : new String[] {"true", "false"}) {
            try (var p = Fixtures.property("diffusers4j.torch-ops", ops);
                 NDManager m = NDManager.newBaseManager()) {
                assertTrue(ops.equals("false") || TorchOps.available(), "the kernel path must be the one tested");
                NDArray x = m.create(in);
                NDArray y = Activations.silu(x);
                assertNotSame(x, y);
                assertArrayEquals(in, x.toFloatArray(), "silu must leave its input alone (torch-ops=" + ops + ")");
                assertSilu(in, y.toFloatArray(), "silu, torch-ops=" + ops);
            }
        }
    }

    @Test
    void siluInPlaceOverwritesItsInputWithTheSameValues() {
        float[] in = inputs();
        for (String ops : new String[] {"true", "false"}) {
            try (var p = Fixtures.property("diffusers4j.torch-ops", ops);
                 NDManager m = NDManager.newBaseManager()) {
                float[] want = Activations.silu(m.create(in)).toFloatArray();
                NDArray x = m.create(in).reshape(1, 1027);
                NDArray y = Activations.siluInPlace(x);
                assertSame(x, y, "in place returns its input");
                assertArrayEquals(want, x.toFloatArray(), "in place = not in place, torch-ops=" + ops);
                assertSilu(in, x.toFloatArray(), "siluInPlace, torch-ops=" + ops);
                // still an ordinary tensor: later in-place updates (residual adds) work on it
                x.addi(1f);
            }
        }
    }

    @Test
    void applyInPlaceOnlyOverwritesForSilu() {
        float[] in = inputs();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(in);
            NDArray y = Activations.applyInPlace("gelu", x);
            assertNotSame(x, y);
            assertArrayEquals(in, x.toFloatArray(), "gelu has no in-place form: its input stays");
            assertArrayEquals(Activations.gelu(x).toFloatArray(), y.toFloatArray());
            NDArray s = m.create(in);
            assertSame(s, Activations.applyInPlace("swish", s));
            assertSilu(in, s.toFloatArray(), "swish");
        }
    }
}
