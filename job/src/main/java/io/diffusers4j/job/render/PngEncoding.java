// PNG bytes of a rendered image, carrying how it was made in its text chunks.
package io.diffusers4j.job.render;

import io.diffusers4j.image.Png;

import java.awt.image.BufferedImage;
import java.util.Map;

/** Encodes images as PNG for the {@code image} column, with the generation parameters as tEXt/iTXt chunks. */
public final class PngEncoding {
    private PngEncoding() {
    }

    public static byte[] encode(BufferedImage image, Map<String, String> text) {
        return Png.write(image, text);
    }
}
