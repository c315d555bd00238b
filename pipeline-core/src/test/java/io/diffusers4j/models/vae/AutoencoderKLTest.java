// Parity of AutoencoderKL with diffusers 0.30.3 on the tiny-sd fixture, and its slicing / tiling options.
package io.diffusers4j.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.models.ModelTestSupport;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.utils.TorchGenerator;
import io.diffusers4j.weights.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AutoencoderKLTest {
    private static NDManager weights;
    private static AutoencoderKL vae;

    @BeforeAll
    static void load() {
        weights = NDManager.newBaseManager();
        Path dir = Fixtures.tinySd().resolve("vae");
        AutoencoderKLConfig cfg = ConfigBase.load(dir.resolve("config.json"), AutoencoderKLConfig.class);
        try (SafetensorsFile st = SafetensorsFile.open(dir.resolve("diffusion_pytorch_model.safetensors"))) {
            vae = AutoencoderKL.load(cfg, st, weights, DataType.FLOAT32);
        }
    }

    @AfterAll
    static void close() {
        vae.close();
        weights.close();
    }

    @Test
    void decodeMatchesDiffusers() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray latents = ModelTestSupport.npy(m, "tiny-sd_vae_latents.npy");
            NDArray z = latents.div((float) vae.config().scalingFactor);
            NDArray out = vae.decode(z);
            double diff = ModelTestSupport.maxAbsDiff(out, ModelTestSupport.npy(m, "tiny-sd_vae_decoded.npy"));
            System.out.printf("VAE decode parity: max abs diff %.3g%n", diff);
            assertTrue(diff < 1e-4, "decode max abs diff " + diff);
        }
    }

    @Test
    void encodeMatchesDiffusers() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = ModelTestSupport.npy(m, "tiny-sd_vae_enc_input.npy");
            try (DiagonalGaussianDistribution posterior = vae.encode(x)) {
                double mean = ModelTestSupport.maxAbsDiff(posterior.mean(),
                        ModelTestSupport.npy(m, "tiny-sd_vae_enc_mean.npy"));
                double std = ModelTestSupport.maxAbsDiff(posterior.std(),
                        ModelTestSupport.npy(m, "tiny-sd_vae_enc_std.npy"));
                System.out.printf("VAE encode parity: mean %.3g, std %.3g%n", mean, std);
                assertTrue(mean < 1e-4, "mean " + mean);
                assertTrue(std < 1e-4, "std " + std);
                assertEquals(0.0, ModelTestSupport.maxAbsDiff(posterior.mode(), posterior.mean()));
                // sample = mean + std * randn_tensor(mean.shape, generator), drawn like torch.randn
                NDArray s = posterior.sample(List.of(new TorchGenerator(5)));
                float[] noise = new TorchGenerator(5).randn(posterior.mean().getShape().getShape());
                NDArray expected = posterior.mean().add(posterior.std().mul(m.create(noise,
                        posterior.mean().getShape())));
                assertEquals(0.0, ModelTestSupport.maxAbsDiff(s, expected));
                assertEquals(0.0, ModelTestSupport.maxAbsDiff(posterior.var(), posterior.logvar().exp()));
            }
        }
    }

    @Test
    void slicedDecodeAndEncodeEqualTheBatch() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray z = ModelTestSupport.randn(m, 106, 3, 4, 16, 16);
            NDArray x = ModelTestSupport.uniform(m, 108, 3, 3, 32, 32);
            NDArray full = vae.decode(z);
            DiagonalGaussianDistribution fullPost = vae.encode(x);
            vae.enableSlicing();
            try {
                double d = ModelTestSupport.maxAbsDiff(vae.decode(z), full);
                double e = ModelTestSupport.maxAbsDiff(vae.encode(x).mean(), fullPost.mean());
                System.out.printf("VAE sliced vs batch: decode %.3g, encode %.3g%n", d, e);
                assertTrue(d < 1e-5 && e < 1e-5, d + " " + e);
            } finally {
                vae.disableSlicing();
            }
        }
    }

    @Test
    void memoryEfficientAttentionEqualsDense() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray z = ModelTestSupport.npy(m, "tiny-sd_vae_latents.npy");
            vae.attentionOptions().memoryEfficient(false);
            NDArray dense = vae.decode(z);
            vae.attentionOptions().memoryEfficient(true).chunkBytes(8192);
            try {
                double d = ModelTestSupport.maxAbsDiff(vae.decode(z), dense);
                System.out.printf("VAE memory-efficient attention vs dense: %.3g%n", d);
                assertTrue(d < 1e-5, "" + d);
            } finally {
                vae.attentionOptions().memoryEfficient(true).chunkBytes(16L << 20);
            }
        }
    }

    @Test
    void tilingIsANoOpForLatentsThatFitOneTile() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray z = ModelTestSupport.npy(m, "tiny-sd_vae_latents.npy"); // 32x32 latents = one 32-latent tile
            NDArray plain = vae.decode(z);
            vae.enableTiling();
            try {
                assertEquals(32, vae.tileLatentMinSize());
                assertEquals(64, vae.tileSampleMinSize());
                assertEquals(0.0, ModelTestSupport.maxAbsDiff(vae.decode(z), plain));
            } finally {
                vae.disableTiling();
            }
        }
    }

    /**
     * Tiled decode against a literal transcription of diffusers' tiled_decode loop (per-row blend_v / blend_h on host
     * floats, tiles blended in place, crops concatenated), each tile decoded untiled.
     */
    @Test
    void tiledDecodeFollowsDiffusersLoop() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray z = ModelTestSupport.randn(m, 107, 1, 4, 48, 40);
            vae.enableTiling();
            NDArray tiled;
            try {
                tiled = vae.decode(z);
            } finally {
                vae.disableTiling();
            }
            int tileLatent = 32;
            int tileSample = 64;
            int overlap = (int) (tileLatent * (1 - 0.25));
            int blend = (int) (tileSample * 0.25);
            int rowLimit = tileSample - blend;
            float[][][][] expected = literalTiling(m, z, tileLatent, overlap, blend, rowLimit, vae::decode);
            assertEquals(new Shape(1, 3, 96, 80), tiled.getShape());
            double diff = maxDiff(tiled, expected);
            System.out.printf("VAE tiled decode vs literal diffusers loop: %.3g%n", diff);
            assertTrue(diff < 1e-6, "" + diff);
        }
    }

    @Test
    void tiledEncodeFollowsDiffusersLoop() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = ModelTestSupport.uniform(m, 109, 1, 3, 96, 80);
            vae.enableTiling();
            NDArray tiled;
            try {
                tiled = vae.encode(x).parameters();
            } finally {
                vae.disableTiling();
            }
            float[][][][] expected = literalTiling(m, x, 64, 48, 8, 24, t -> vae.encode(t).parameters());
            assertEquals(new Shape(1, 8, 48, 40), tiled.getShape());
            double diff = maxDiff(tiled, expected);
            System.out.printf("VAE tiled encode vs literal diffusers loop: %.3g%n", diff);
            assertTrue(diff < 1e-6, "" + diff);
        }
    }

    /** diffusers' loops, written out on host arrays [C][H][W] per tile (batch 1). */
    private static float[][][][] literalTiling(NDManager m, NDArray x, int tileIn, int overlap, int blendExtent,
                                               int rowLimit, UnaryOperator<NDArray> fn) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        List<List<float[][][]>> rows = new ArrayList<>();
        for (long i = 0; i < h; i += overlap) {
            List<float[][][]> row = new ArrayList<>();
            for (long j = 0; j < w; j += overlap) {
                NDArray tile = x.get(new NDIndex(":, :, {}:{}, {}:{}", i, Math.min(h, i + tileIn), j,
                        Math.min(w, j + tileIn)));
                row.add(toHost(fn.apply(tile)));
            }
            rows.add(row);
        }
        List<float[][][]> resultRows = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            List<float[][][]> row = rows.get(i);
            List<float[][][]> resultRow = new ArrayList<>();
            for (int j = 0; j < row.size(); j++) {
                float[][][] b = row.get(j);
                if (i > 0) {
                    float[][][] a = rows.get(i - 1).get(j);
                    int e = Math.min(Math.min(a[0].length, b[0].length), blendExtent);
                    for (int y = 0; y < e; y++) {
                        for (int c = 0; c < b.length; c++) {
                            for (int xx = 0; xx < b[c][y].length; xx++) {
                                b[c][y][xx] = a[c][a[c].length - e + y][xx] * (float) (1 - (double) y / e)
                                        + b[c][y][xx] * (float) ((double) y / e);
                            }
                        }
                    }
                }
                if (j > 0) {
                    float[][][] a = row.get(j - 1);
                    int e = Math.min(Math.min(a[0][0].length, b[0][0].length), blendExtent);
                    for (int xx = 0; xx < e; xx++) {
                        for (int c = 0; c < b.length; c++) {
                            for (int y = 0; y < b[c].length; y++) {
                                b[c][y][xx] = a[c][y][a[c][y].length - e + xx] * (float) (1 - (double) xx / e)
                                        + b[c][y][xx] * (float) ((double) xx / e);
                            }
                        }
                    }
                }
                resultRow.add(crop(b, rowLimit));
            }
            resultRows.add(catW(resultRow));
        }
        return new float[][][][] {catH(resultRows)};
    }

    private static float[][][] toHost(NDArray t) {
        int c = (int) t.getShape().get(1);
        int h = (int) t.getShape().get(2);
        int w = (int) t.getShape().get(3);
        float[] v = t.toFloatArray();
        float[][][] out = new float[c][h][w];
        for (int k = 0; k < c; k++) {
            for (int y = 0; y < h; y++) {
                System.arraycopy(v, (k * h + y) * w, out[k][y], 0, w);
            }
        }
        return out;
    }

    private static float[][][] crop(float[][][] t, int limit) {
        int h = Math.min(limit, t[0].length);
        int w = Math.min(limit, t[0][0].length);
        float[][][] out = new float[t.length][h][w];
        for (int c = 0; c < t.length; c++) {
            for (int y = 0; y < h; y++) {
                System.arraycopy(t[c][y], 0, out[c][y], 0, w);
            }
        }
        return out;
    }

    private static float[][][] catW(List<float[][][]> parts) {
        int c = parts.get(0).length;
        int h = parts.get(0)[0].length;
        int w = parts.stream().mapToInt(p -> p[0][0].length).sum();
        float[][][] out = new float[c][h][w];
        int off = 0;
        for (float[][][] p : parts) {
            for (int k = 0; k < c; k++) {
                for (int y = 0; y < h; y++) {
                    System.arraycopy(p[k][y], 0, out[k][y], off, p[k][y].length);
                }
            }
            off += p[0][0].length;
        }
        return out;
    }

    private static float[][][] catH(List<float[][][]> parts) {
        int c = parts.get(0).length;
        int h = parts.stream().mapToInt(p -> p[0].length).sum();
        float[][][] out = new float[c][h][];
        int off = 0;
        for (float[][][] p : parts) {
            for (int k = 0; k < c; k++) {
                for (int y = 0; y < p[k].length; y++) {
                    out[k][off + y] = p[k][y];
                }
            }
            off += p[0].length;
        }
        return out;
    }

    private static double maxDiff(NDArray actual, float[][][][] expected) {
        float[][][] e = expected[0];
        assertEquals(e.length, actual.getShape().get(1));
        assertEquals(e[0].length, actual.getShape().get(2));
        assertEquals(e[0][0].length, actual.getShape().get(3));
        float[][][] a = toHost(actual);
        double max = 0;
        for (int c = 0; c < e.length; c++) {
            for (int y = 0; y < e[c].length; y++) {
                for (int x = 0; x < e[c][y].length; x++) {
                    max = Math.max(max, Math.abs(a[c][y][x] - e[c][y][x]));
                }
            }
        }
        return max;
    }
}
