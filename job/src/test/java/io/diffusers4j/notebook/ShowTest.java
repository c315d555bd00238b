// Show outside a Jupyter kernel: numbered PNG files with printed paths; grid and bar chart geometry.
package io.diffusers4j.notebook;

import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.diffusers4j.testing.TestImages.solid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShowTest {

    @Test
    void outsideAKernelImagesBecomePngFilesWhosePathIsPrinted(@TempDir Path dir) throws Exception {
        assertFalse(Display.show(Map.of("text/plain", "x")), "no redirect and no Java kernel here");
        PrintStream out = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (var p = Fixtures.property("diffusers4j.notebook.out", dir.toString())) {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            try {
                Show.image(solid(10, 6, 0x123456), "a/b c");
            } finally {
                System.setOut(out);
            }
        }
        Path file;
        try (Stream<Path> files = Files.list(dir)) {
            file = files.findFirst().orElseThrow();
        }
        assertTrue(file.getFileName().toString().matches("\\d{3}-a_b_c\\.png"), file.toString());
        assertEquals("[image 10x6] " + file.toAbsolutePath(), printed.toString(StandardCharsets.UTF_8).strip());
        BufferedImage back = ImageIO.read(file.toFile());
        assertEquals(0x123456, back.getRGB(3, 3) & 0xFFFFFF);
    }

    @Test
    void gridPlacesEveryImageInItsCell() {
        BufferedImage g = Show.grid(List.of(solid(8, 8, 0xFF0000), solid(8, 8, 0x00FF00), solid(16, 8, 0x0000FF)),
                List.of("red", "green", "blue"), 2, 64);
        assertEquals(2 * (64 + 8) + 8, g.getWidth());
        assertEquals(2 * (64 + 30 + 8) + 8, g.getHeight());
        assertEquals(0xFF0000, g.getRGB(8 + 32, 8 + 32) & 0xFFFFFF, "cell 0 centre");
        assertEquals(0x00FF00, g.getRGB(8 + 72 + 32, 8 + 32) & 0xFFFFFF, "cell 1 centre");
        assertEquals(0x0000FF, g.getRGB(8 + 32, 8 + 102 + 32) & 0xFFFFFF, "cell 2 centre (next row)");
        assertThrows(IllegalArgumentException.class, () -> Show.grid(List.of(solid(2, 2, 0)), List.of(), 1, 64));
    }

    @Test
    void barLengthsAreProportionalToTheValues() {
        Map<String, Number> v = new LinkedHashMap<>();
        v.put("a", 100);
        v.put("b", 50);
        BufferedImage chart = Show.barChart("t", v, "ms");
        int bar = 0x4A7BD0;
        assertEquals(420, run(chart, 40 + 5, bar), "the largest value fills the bar width");
        assertEquals(210, run(chart, 40 + 26 + 5, bar), "half the value, half the bar");
        assertThrows(IllegalArgumentException.class, () -> Show.barChart("t", Map.of("x", -1), ""));
    }

    private static int run(BufferedImage img, int y, int rgb) {
        int n = 0;
        for (int x = 0; x < img.getWidth(); x++) {
            if ((img.getRGB(x, y) & 0xFFFFFF) == rgb) {
                n++;
            }
        }
        return n;
    }
}
