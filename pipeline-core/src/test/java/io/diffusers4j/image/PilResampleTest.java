package io.diffusers4j.image;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Expected bytes are Pillow's own (Tests/test_image_resample.py, TestImagingCoreResampleAccuracy and
 * TestCoreResampleConsistency): the test image has a dark square top-left and bottom-right on a bright field, and
 * the expected top-left quarter determines the rest by symmetry.
 */
class PilResampleTest {

    /** Pillow's make_case: L image of 255-color with the two color squares. */
    private static PilImage makeCase(PilImage.Mode mode, int w, int h, int color) {
        byte[] px = new byte[w * h * mode.bands()];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean dark = x <= w / 2 - 1 && y <= h / 2 - 1 || x >= w / 2 && y >= h / 2;
                for (int b = 0; b < mode.bands(); b++) {
                    px[(y * w + x) * mode.bands() + b] = (byte) (dark ? color : 255 - color);
                }
            }
        }
        return PilImage.of(mode, w, h, px);
    }

    /** Pillow's make_sample: the full expected image from its hex top-left quarter. */
    private static int[] makeSample(String data, int w, int h) {
        String hex = data.replace(" ", "");
        int[] out = new int[w * h];
        int qw = w / 2;
        int qh = h / 2;
        for (int y = 0; y < qh; y++) {
            for (int x = 0; x < qw; x++) {
                int v = Integer.parseInt(hex.substring((y * qw + x) * 2, (y * qw + x) * 2 + 2), 16);
                out[y * w + x] = v;
                out[(h - y - 1) * w + (w - x - 1)] = v;
                out[(h - y - 1) * w + x] = 255 - v;
                out[y * w + (w - x - 1)] = 255 - v;
            }
        }
        return out;
    }

    private static void check(PilImage.Mode mode, int inSize, int outSize, PilResample.Filter f, String data) {
        PilImage r = makeCase(mode, inSize, inSize, 0xE1).resize(outSize, outSize, f);
        int[] expected = makeSample(data, outSize, outSize);
        for (int b = 0; b < mode.bands(); b++) {
            int[] got = new int[outSize * outSize];
            for (int y = 0; y < outSize; y++) {
                for (int x = 0; x < outSize; x++) {
                    got[y * outSize + x] = r.get(x, y, b);
                }
            }
            assertArrayEquals(expected, got, f + " " + mode + " band " + b);
        }
    }

    @Test
    void lanczosMatchesPillowReduceAndEnlarge() {
        for (PilImage.Mode mode : PilImage.Mode.values()) {
            check(mode, 16, 8, PilResample.Filter.LANCZOS,
                    "e1 e0 e4 d7 e0 df e3 d6 e4 e3 e7 da d7 d6 d9 ce");
            check(mode, 6, 12, PilResample.Filter.LANCZOS,
                    "e1 e0 db ed f5 b8 e0 df da ec f3 b7 db db d6 e7 ee b5"
                            + "ed ec e6 fb ff bf f5 f4 ee ff ff c4 b8 b7 b4 bf c4 a0");
        }
    }

    @Test
    void otherConvolutionFiltersMatchPillow() {
        for (PilImage.Mode mode : PilImage.Mode.values()) {
            check(mode, 8, 4, PilResample.Filter.BOX, "e1 e1 e1 e1");
            check(mode, 8, 4, PilResample.Filter.BILINEAR, "e1 c9 c9 b7");
            check(mode, 8, 4, PilResample.Filter.HAMMING, "e1 da da d3");
            check(mode, 12, 6, PilResample.Filter.BICUBIC, "e1 e3 d4 e3 e5 d6 d4 d6 c9");
            check(mode, 2, 4, PilResample.Filter.BOX, "e1 e1 e1 e1");
            check(mode, 2, 4, PilResample.Filter.BILINEAR, "e1 b0 b0 98");
            check(mode, 2, 4, PilResample.Filter.HAMMING, "e1 d2 d2 c5");
            check(mode, 4, 8, PilResample.Filter.BICUBIC, "e1 e5 ee b9 e5 e9 f3 bc ee f3 fd c1 b9 bc c1 a2");
        }
    }

    @Test
    void constantImagesStayConstant() {
        // Pillow's TestCoreResampleConsistency.test_8u: 512x9 -> 9x512 with LANCZOS keeps every value
        byte[] px = new byte[512 * 9 * 3];
        for (int i = 0; i < 512 * 9; i++) {
            px[3 * i] = 0;
            px[3 * i + 1] = 64;
            px[3 * i + 2] = (byte) 255;
        }
        PilImage r = PilImage.of(PilImage.Mode.RGB, 512, 9, px).resize(9, 512, PilResample.Filter.LANCZOS);
        assertEquals(9, r.width());
        assertEquals(512, r.height());
        for (int y = 0; y < 512; y++) {
            for (int x = 0; x < 9; x++) {
                assertEquals(0, r.get(x, y, 0));
                assertEquals(64, r.get(x, y, 1));
                assertEquals(255, r.get(x, y, 2));
            }
        }
    }

    @Test
    void nearestPicksCentres() {
        byte[] px = new byte[6];
        for (int i = 0; i < 6; i++) {
            px[i] = (byte) (10 * i);
        }
        PilImage img = PilImage.of(PilImage.Mode.L, 6, 1, px);
        PilImage down = img.resize(3, 1, PilResample.Filter.NEAREST);
        // centres 1.0, 3.0, 5.0
        assertArrayEquals(new byte[] {10, 30, 50}, down.pixels());
        PilImage up = img.resize(12, 1, PilResample.Filter.NEAREST);
        assertArrayEquals(new byte[] {0, 0, 10, 10, 20, 20, 30, 30, 40, 40, 50, 50}, up.pixels());
    }

    @Test
    void sameSizeIsUnchangedAndBadArgumentsAreRefused() {
        PilImage img = makeCase(PilImage.Mode.RGB, 8, 8, 0x10);
        assertSame(img, img.resize(8, 8, PilResample.Filter.LANCZOS));
        assertThrows(IllegalArgumentException.class, () -> img.resize(0, 8, PilResample.Filter.LANCZOS));
        assertThrows(IllegalArgumentException.class,
                () -> img.resize(4, 4, PilResample.Filter.LANCZOS, new float[] {0, 0, 9, 8}));
        assertThrows(IllegalArgumentException.class, () -> PilResample.Filter.fromDiffusersName("sinc"));
        assertEquals(PilResample.Filter.BILINEAR, PilResample.Filter.fromDiffusersName("linear"));
    }

    @Test
    void convertToGreyUsesPillowFixedPointWeights() {
        byte[] px = {(byte) 255, 0, 0, 0, (byte) 255, 0, 0, 0, (byte) 255, 10, 20, 30, (byte) 200, (byte) 200,
                (byte) 200};
        PilImage grey = PilImage.of(PilImage.Mode.RGB, 5, 1, px).convert(PilImage.Mode.L);
        // (r*19595 + g*38470 + b*7471 + 0x8000) >> 16
        assertArrayEquals(new byte[] {76, (byte) 150, 29, 18, (byte) 200}, grey.pixels());
    }
}
