// PNG bytes of a rendered image.
package io.diffusers4j.job.render;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Encodes images as PNG for the {@code image} column. */
public final class PngEncoding {
    private PngEncoding() {
    }

    // TODO(image package merge): use io.diffusers4j.image's PNG writer with the generation parameters in tEXt
    public static byte[] encode(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        try {
            if (!ImageIO.write(image, "png", out)) {
                throw new IllegalStateException("no PNG writer in this JVM");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
