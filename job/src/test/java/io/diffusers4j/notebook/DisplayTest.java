// Display: a redirect receives Show.image's MIME bundle (PNG base64 with the exact pixels, text fallback).
package io.diffusers4j.notebook;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static io.diffusers4j.testing.TestImages.solid;
import static org.junit.jupiter.api.Assertions.assertEquals;

class DisplayTest {

    @Test
    void aRedirectReceivesShowImageAsPngAndTextInsteadOfAFile() throws Exception {
        List<Map<String, String>> shown = new ArrayList<>();
        Display.redirect(shown::add);
        try {
            Show.image(solid(10, 6, 0x123456), "seed 0");
        } finally {
            Display.redirect(null);
        }
        assertEquals(1, shown.size());
        Map<String, String> bundle = shown.get(0);
        assertEquals(List.of("image/png", "text/plain"), List.copyOf(bundle.keySet()));
        assertEquals("[image 10x6] seed 0", bundle.get("text/plain"));
        BufferedImage back = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(bundle.get("image/png"))));
        assertEquals(10, back.getWidth());
        assertEquals(6, back.getHeight());
        assertEquals(0x123456, back.getRGB(9, 5) & 0xFFFFFF);
    }

    @Test
    void theSameImageGivesTheSameBundle() {
        assertEquals(Display.imageBundle(solid(7, 7, 0xABCDEF), "a"), Display.imageBundle(solid(7, 7, 0xABCDEF), "a"));
    }
}
