// Unit checks of shared blocks against PyTorch's own kernels or diffusers' formulas.
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.models.ModelTestSupport;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BlocksTest {
    /** libtorch's F.interpolate(x, size=..., mode="nearest"), reached through DJL's interpolation op. */
    private static NDArray torchNearest(NDArray x, long h, long w) {
        return x.getNDArrayInternal().interpolation(new long[] {h, w}, 0, false);
    }

    @Test
    void nearestUpsamplingEqualsTorchInterpolate() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = ModelTestSupport.randn(m, 110, 2, 3, 5, 7);
            NDArray up = Upsample2D.nearest2x(x);
            assertEquals(new Shape(2, 3, 10, 14), up.getShape());
            assertEquals(0.0, ModelTestSupport.maxAbsDiff(up, torchNearest(x, 10, 14)));
            // definition: out[y][x] = in[y / 2][x / 2]
            float[] in = x.toFloatArray();
            float[] out = up.toFloatArray();
            for (int p = 0; p < 6; p++) {
                for (int y = 0; y < 10; y++) {
                    for (int xx = 0; xx < 14; xx++) {
                        assertEquals(in[p * 35 + (y / 2) * 7 + xx / 2], out[p * 140 + y * 14 + xx]);
                    }
                }
            }
            // explicit output sizes (diffusers' upsample_size for odd latents)
            long[][] sizes = {{9, 13}, {10, 13}, {11, 15}, {5, 7}, {7, 8}, {17, 33}};
            for (long[] s : sizes) {
                NDArray ours = Upsample2D.nearest(x, s[0], s[1]);
                assertEquals(0.0, ModelTestSupport.maxAbsDiff(ours, torchNearest(x, s[0], s[1])),
                        "size " + s[0] + "x" + s[1]);
            }
        }
    }

    @Test
    void timestepEmbeddingFollowsDiffusersFormula() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (boolean flip : new boolean[] {true, false}) {
                for (int dim : new int[] {32, 33}) {
                    for (double shift : new double[] {0, 1}) {
                        Timesteps proj = new Timesteps(m, dim, flip, shift);
                        NDArray t = m.create(new long[] {0, 1, 500, 999});
                        NDArray emb = proj.forward(t);
                        assertEquals(new Shape(4, dim), emb.getShape());
                        assertEquals(DataType.FLOAT32, emb.getDataType());
                        float[] v = emb.toFloatArray();
                        int half = dim / 2;
                        long[] ts = {0, 1, 500, 999};
                        for (int r = 0; r < 4; r++) {
                            for (int i = 0; i < half; i++) {
                                double freq = Math.exp(-Math.log(10000) * i / (half - shift));
                                double arg = ts[r] * freq;
                                double sin = Math.sin(arg);
                                double cos = Math.cos(arg);
                                double first = flip ? cos : sin;
                                double second = flip ? sin : cos;
                                // float32 frequencies times t up to 999: ~1e-4 absolute argument error
                                assertEquals(first, v[r * dim + i], 2e-4, "dim " + dim + " i " + i);
                                assertEquals(second, v[r * dim + half + i], 2e-4);
                            }
                            if (dim % 2 == 1) {
                                assertEquals(0f, v[r * dim + dim - 1]);
                            }
                        }
                    }
                }
            }
        }
    }
}
