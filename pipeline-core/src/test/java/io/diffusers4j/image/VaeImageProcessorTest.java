package io.diffusers4j.image;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.utils.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VaeImageProcessorTest {
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    @Test
    void postprocessNpMatchesDiffusersOnTheFixtureDecode() {
        Npy.Array decoded = Fixtures.npy("tiny-sd_vae_decoded.npy");
        Npy.Array post = Fixtures.npy("tiny-sd_vae_decoded_post.npy");
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.create(decoded.floats(), new Shape(decoded.shape()));
            int before = m.getManagedArrays().size();
            NDArray np = VaeImageProcessor.create(2).postprocessNp(x);
            assertEquals(before + 1, m.getManagedArrays().size(), "only the result may stay");
            assertArrayEquals(post.shape(), np.getShape().getShape());
            assertArrayEquals(post.floats(), np.toFloatArray(), 0f);
            List<BufferedImage> pil = VaeImageProcessor.create(2).postprocessPil(x);
            assertEquals(1, pil.size());
            BufferedImage img = pil.get(0);
            assertEquals(BufferedImage.TYPE_INT_RGB, img.getType());
            float[] f = post.floats();
            for (int y = 0; y < 64; y += 7) {
                for (int xx = 0; xx < 64; xx += 5) {
                    int p = img.getRGB(xx, y);
                    int o = (y * 64 + xx) * 3;
                    assertEquals(Math.round(Math.rint(f[o] * 255f)), p >> 16 & 0xFF);
                    assertEquals(Math.round(Math.rint(f[o + 1] * 255f)), p >> 8 & 0xFF);
                    assertEquals(Math.round(Math.rint(f[o + 2] * 255f)), p & 0xFF);
                }
            }
        }
    }

    @Test
    void floatToUint8RoundsLikeNumpy() {
        // expected values from numpy: (np.float32(x) * 255).round().astype("uint8")
        float[] xs = {0.5f, 0f, 1f, 0.001960783964022994f, 0.0019607844296842813f, 0.0058823530562222f,
                0.005882353521883488f, 0.501960813999176f, 0.9980392456054688f, 0.9980390071868896f, 0.25f, 0.75f,
                0.1f, 0.9f, 1e-9f, 0.99999994f, 0.009803921915590763f, 0.013725490309298038f};
        int[] expected = {128, 0, 255, 0, 0, 2, 2, 128, 254, 254, 64, 191, 26, 230, 0, 255, 2, 4};
        for (int i = 0; i < xs.length; i++) {
            assertEquals(expected[i], ImageConversions.toUint8(xs[i]), "x = " + xs[i]);
        }
        assertThrows(IllegalArgumentException.class, () -> ImageConversions.toUint8(1.01f));
        assertThrows(IllegalArgumentException.class, () -> ImageConversions.toUint8(-0.01f));
        assertThrows(IllegalArgumentException.class, () -> ImageConversions.toUint8(Float.NaN));
        assertEquals(0, ImageConversions.toUint8(-0.001f)); // rounds to -0, which numpy casts to 0
    }

    @Test
    void numpyToPilHandlesGreyRgbAndRgba() {
        float[] grey = {0f, 0.5f, 1f, 0.25f};
        BufferedImage g = ImageConversions.floatsToImage(grey, 0, 2, 2, 1);
        assertEquals(BufferedImage.TYPE_BYTE_GRAY, g.getType());
        assertArrayEquals(new int[] {0, 128, 255, 64}, g.getRaster().getPixels(0, 0, 2, 2, (int[]) null));
        float[] rgba = {1f, 0f, 0.5f, 0.5f};
        BufferedImage a = ImageConversions.floatsToImage(rgba, 0, 1, 1, 4);
        assertEquals(0x80FF0080, a.getRGB(0, 0));
        assertThrows(IllegalArgumentException.class, () -> ImageConversions.floatsToImage(grey, 0, 2, 2, 2));
        try (NDManager m = manager.newSubManager()) {
            NDArray nhwc = m.create(new float[] {0f, 0.5f, 1f, 1f, 0.5f, 0f}, new Shape(2, 1, 1, 3));
            List<BufferedImage> imgs = ImageConversions.numpyToPil(nhwc);
            assertEquals(0x000080FF, imgs.get(0).getRGB(0, 0) & 0xFFFFFF);
            assertEquals(0x00FF8000, imgs.get(1).getRGB(0, 0) & 0xFFFFFF);
        }
    }

    private static BufferedImage gradient(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (x * 255 / Math.max(1, w - 1)) << 16 | (y * 255 / Math.max(1, h - 1)) << 8
                        | (x * y) % 256);
            }
        }
        return img;
    }

    @Test
    void preprocessNormalisesToMinusOneOneWithoutResizingMultiples() {
        BufferedImage img = gradient(16, 8);
        try (NDManager m = manager.newSubManager()) {
            NDArray t = VaeImageProcessor.create(8).preprocess(img, m);
            assertArrayEquals(new long[] {1, 3, 8, 16}, t.getShape().getShape());
            assertEquals(DataType.FLOAT32, t.getDataType());
            float[] v = t.toFloatArray();
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 16; x++) {
                    int p = img.getRGB(x, y);
                    int[] c = {p >> 16 & 0xFF, p >> 8 & 0xFF, p & 0xFF};
                    for (int ch = 0; ch < 3; ch++) {
                        float expected = 2f * (c[ch] / 255f) - 1f;
                        assertEquals(expected, v[(ch * 8 + y) * 16 + x], 0f);
                    }
                }
            }
            NDArray raw = ImageConversions.imageToTensor(img, m);
            assertArrayEquals(t.toFloatArray(), VaeImageProcessor.normalize(raw).toFloatArray(), 0f);
            assertArrayEquals(raw.toFloatArray(), VaeImageProcessor.denormalize(t).toFloatArray(), 1e-7f);
        }
    }

    @Test
    void preprocessRoundsTheSizeDownToTheVaeFactorWithLanczos() {
        BufferedImage img = gradient(67, 45);
        try (NDManager m = manager.newSubManager()) {
            VaeImageProcessor p = VaeImageProcessor.create(8);
            NDArray t = p.preprocess(img, m);
            assertArrayEquals(new long[] {1, 3, 40, 64}, t.getShape().getShape());
            PilImage expected = PilImage.fromBufferedImage(img).resize(64, 40, PilResample.Filter.LANCZOS);
            float[] v = t.toFloatArray();
            assertEquals(2f * (expected.get(10, 7, 1) / 255f) - 1f, v[(40 + 7) * 64 + 10], 0f);
            // explicit size, batch of two (second image resized to the first one's target)
            NDArray b = p.preprocess(List.of(img, gradient(30, 30)), 33, 50, VaeImageProcessor.ResizeMode.DEFAULT,
                    null, m);
            assertArrayEquals(new long[] {2, 3, 32, 48}, b.getShape().getShape());
            assertArrayEquals(new int[] {64, 24}, p.getDefaultHeightWidth(70, 30, null, 25));
            assertThrows(IllegalArgumentException.class, () -> p.getDefaultHeightWidth(7, 30, null, null));
        }
    }

    @Test
    void resizeModesKeepAspectRatio() {
        // a 40x20 image into 32x32: crop fills the height (64x32 scaled then centre-cropped), fill letterboxes
        BufferedImage img = gradient(40, 20);
        VaeImageProcessor p = VaeImageProcessor.create(8);
        PilImage src = PilImage.fromBufferedImage(img);
        PilImage crop = p.resize(src, 32, 32, VaeImageProcessor.ResizeMode.CROP);
        PilImage scaled = src.resize(64, 32, PilResample.Filter.LANCZOS);
        assertEquals(scaled.crop(16, 0, 48, 32), crop);
        PilImage fill = p.resize(src, 32, 32, VaeImageProcessor.ResizeMode.FILL);
        PilImage fitted = src.resize(32, 16, PilResample.Filter.LANCZOS);
        assertEquals(fitted, fill.crop(0, 8, 32, 24));
        // the band above repeats the resized image's top row region (stretched from a zero-height box)
        PilImage top = fitted.resize(32, 8, PilResample.Filter.LANCZOS, new float[] {0, 0, 32, 0});
        assertEquals(top, fill.crop(0, 0, 32, 8));
        for (int x = 0; x < 32; x++) {
            assertEquals(top.get(x, 0, 0), top.get(x, 7, 0), "constant columns");
        }
    }

    @Test
    void maskProcessorGivesBinaryOneChannelMasks() {
        BufferedImage grey = new BufferedImage(4, 2, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setPixels(0, 0, 4, 2, new int[] {0, 127, 128, 255, 64, 200, 126, 129});
        BufferedImage rgb = new BufferedImage(4, 2, BufferedImage.TYPE_INT_RGB);
        // L = (r*19595 + g*38470 + b*7471 + 0x8000) >> 16: pure red 76, pure green 150, (255, 0, 255) 105
        int[] colors = {0xFF0000, 0x00FF00, 0xFF00FF, 0xFFFFFF, 0x000000, 0x808080, 0x7F7F7F, 0x0000FF};
        for (int i = 0; i < 8; i++) {
            rgb.setRGB(i % 4, i / 4, colors[i]);
        }
        try (NDManager m = manager.newSubManager()) {
            VaeImageProcessor masks = VaeImageProcessor.forMask(2);
            NDArray t = masks.preprocess(List.of(grey, rgb), null, null, VaeImageProcessor.ResizeMode.DEFAULT,
                    null, m);
            assertArrayEquals(new long[] {2, 1, 2, 4}, t.getShape().getShape());
            assertArrayEquals(new float[] {0, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0}, t.toFloatArray(), 0f);
            // resize happens before the grey conversion (diffusers order) and the result is still binary
            NDArray r = masks.preprocess(List.of(rgb), 4, 8, VaeImageProcessor.ResizeMode.DEFAULT, null, m);
            assertArrayEquals(new long[] {1, 1, 4, 8}, r.getShape().getShape());
            for (float v : r.toFloatArray()) {
                assertTrue(v == 0f || v == 1f, "not binary: " + v);
            }
            PilImage expected = PilImage.fromBufferedImage(rgb).resize(8, 4, PilResample.Filter.LANCZOS)
                    .convert(PilImage.Mode.L);
            float[] got = r.toFloatArray();
            for (int i = 0; i < got.length; i++) {
                assertEquals((expected.get(i % 8, i / 8, 0) / 255f) >= 0.5f ? 1f : 0f, got[i]);
            }
        }
    }

    @Test
    void tensorPreprocessResizesNearestAndSkipsLatents() {
        try (NDManager m = manager.newSubManager()) {
            VaeImageProcessor p = VaeImageProcessor.create(4);
            NDArray x = m.arange(0f, 36f, 1f, DataType.FLOAT32).div(36f).reshape(1, 1, 6, 6);
            NDArray out = p.preprocess(x, null, null);
            assertArrayEquals(new long[] {1, 1, 4, 4}, out.getShape().getShape());
            // torch nearest 6 -> 4: scale 1.5, source indices 0, 1, 3, 4
            float[] v = out.toFloatArray();
            assertEquals(2f * (7f / 36f) - 1f, v[5], 1e-7f);
            assertEquals(2f * (4 * 6 + 4) / 36f - 1f, v[15], 1e-6f);
            NDArray latents = m.zeros(new Shape(1, 4, 5, 5));
            assertEquals(latents, p.preprocess(latents, null, null));
            // already in [-1, 1]: not normalised again
            NDArray neg = m.create(new float[] {-1f, 0f, 0.5f, 1f}, new Shape(1, 1, 2, 2));
            assertArrayEquals(neg.toFloatArray(), VaeImageProcessor.create(2).preprocess(neg, null, null)
                    .toFloatArray(), 0f);
        }
    }

    @Test
    void postprocessHonoursPerImageDenormalizeFlags() {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.create(new float[] {-1f, 0f, 1f, 0.5f, 0.2f, 0.4f}, new Shape(2, 3, 1, 1));
            NDArray pt = VaeImageProcessor.create(8).postprocessPt(x, new boolean[] {true, false});
            assertArrayEquals(new float[] {0f, 0.5f, 1f, 0.5f, 0.2f, 0.4f}, pt.toFloatArray(), 0f);
            NDArray mask = m.create(new float[] {0f, 1f}, new Shape(1, 1, 1, 2));
            List<BufferedImage> imgs = VaeImageProcessor.forMask(8).postprocessPil(mask);
            assertEquals(BufferedImage.TYPE_BYTE_GRAY, imgs.get(0).getType());
            assertThrows(IllegalArgumentException.class,
                    () -> VaeImageProcessor.create(8).postprocessPt(x, new boolean[] {true}));
        }
    }
}
