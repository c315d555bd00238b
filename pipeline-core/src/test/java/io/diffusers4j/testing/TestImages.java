// Test helper: simple pictures built in memory.
package io.diffusers4j.testing;

import java.awt.image.BufferedImage;

/** Pictures for tests that need an image with known pixels. */
public final class TestImages {
    private TestImages() {
    }

    /** A {@code w x h} RGB picture of one colour ({@code 0xRRGGBB}). */
    public static BufferedImage solid(int w, int h, int rgb) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }
}
