// Unit tests of the report's building blocks: escaping, file names, thumbnail sizes and encodings.
package io.diffusers4j.job.report;

import io.diffusers4j.image.Png;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.diffusers4j.testing.TestImages.solid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunReportHtmlTest {

    @Test
    void escapesTextAndAttributes() {
        assertEquals("&lt;img src=x onerror=&quot;a()&quot;&gt; &amp; &#39;q&#39;&#10;2",
                RunReportHtml.esc("<img src=x onerror=\"a()\"> & 'q'\n2"));
        assertEquals("", RunReportHtml.esc(null));
        assertEquals("a\uFFFDb", RunReportHtml.esc("a\0b"), "HTML cannot hold NUL");
    }

    @Test
    void sampleFileNamesAreSafe() {
        assertEquals("a_b_c-0.png", RunReport.fileName("a/b\\c", 0));
        assertEquals("row.._x-2.png", RunReport.fileName("../x", 2));
        assertEquals("row_hidden-0.png", RunReport.fileName("_hidden", 0));
        assertEquals(80 + "-1.png".length(), RunReport.fileName("x".repeat(200), 1).length());
    }

    @Test
    void everyImageIsShownAtTheThumbnailSize() {
        assertArrayEquals(new int[] {160, 160, 2}, RunReportHtml.displaySize(64, 64), "before: 128x128");
        assertArrayEquals(new int[] {160, 120, 2}, RunReportHtml.displaySize(32, 24));
        assertArrayEquals(new int[] {160, 160, 2}, RunReportHtml.displaySize(96, 96), "before: 96x96, not magnified");
        assertArrayEquals(new int[] {160, 96, 2}, RunReportHtml.displaySize(100, 60));
        assertArrayEquals(new int[] {160, 160, 1}, RunReportHtml.displaySize(160, 160));
        assertArrayEquals(new int[] {160, 90, 1}, RunReportHtml.displaySize(1024, 576));
    }

    @Test
    void thumbnailsKeepSmallPngsAndShrinkLargeOnesToJpeg() throws Exception {
        BufferedImage small = solid(64, 48, 0x336699);
        byte[] smallPng = Png.write(small, Map.of("prompt", "x"));
        String uri = Thumbnails.dataUri(smallPng, 160);
        assertTrue(uri.startsWith("data:image/png;base64,"));
        assertArrayEquals(smallPng, Base64.getDecoder().decode(uri.substring(uri.indexOf(',') + 1)),
                "a small image is embedded byte for byte");

        byte[] bigPng = Png.write(solid(512, 384, 0xCC4411), null);
        String big = Thumbnails.dataUri(bigPng, 160);
        assertTrue(big.startsWith("data:image/jpeg;base64,"));
        BufferedImage t = ImageIO.read(new ByteArrayInputStream(
                Base64.getDecoder().decode(big.substring(big.indexOf(',') + 1))));
        assertEquals(160, t.getWidth());
        assertEquals(120, t.getHeight());
        int rgb = t.getRGB(80, 60);
        assertTrue(Math.abs(((rgb >> 16) & 0xff) - 0xCC) <= 6 && Math.abs(((rgb >> 8) & 0xff) - 0x44) <= 6
                && Math.abs((rgb & 0xff) - 0x11) <= 6, Integer.toHexString(rgb));
        assertTrue(bigPng.length > 0 && big.length() < 20_000, "a flat 160x120 JPEG is small: " + big.length());
    }

    @Test
    void captionsListEveryParameterOfTheImage() {
        ReportData.Thumbnail t = new ReportData.Thumbnail("x", 1, "", null, 8L, 3, 5.0, 64, 48, "DDIMScheduler",
                "second", "neg 2", "third", "neg 3", 256, List.of(999.0, 500.0, 1.0), null,
                "/l/style.safetensors:0.8", "/t/x.safetensors:<x>", "m", "driver", 120L, "data:", new byte[0], null);
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("prompt", "");
        expected.put("negative", "none");
        expected.put("prompt_2", "second");
        expected.put("negative_2", "neg 2");
        expected.put("prompt_3", "third");
        expected.put("negative_3", "neg 3");
        expected.put("seed", "8");
        expected.put("steps", "3");
        expected.put("guidance", "5.0");
        expected.put("scheduler", "DDIMScheduler");
        expected.put("max_sequence_length", "256");
        expected.put("timesteps", "999,500,1");
        expected.put("loras", "/l/style.safetensors:0.8");
        expected.put("textual_inversions", "/t/x.safetensors:<x>");
        expected.put("size", "64x48");
        expected.put("executor", "driver, 120 ms");
        assertEquals(expected, RunReportHtml.parameters(t));
    }

    @Test
    void anAudioCaptionHasNoPromptGuidanceOrSizeButItsLengthAndRate() {
        ReportData.Thumbnail t = new ReportData.Thumbnail("clip", 0, null, null, 3L, 2, null, null, null,
                "IPNDMScheduler", null, null, null, null, "m", "driver", 40L, null, null,
                new ReportData.Audio(new byte[44], 16000, 0.032, "data:audio/wav;base64,"));
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("seed", "3");
        expected.put("steps", "2");
        expected.put("scheduler", "IPNDMScheduler");
        expected.put("audio", "0.032 s at 16000 Hz");
        expected.put("executor", "driver, 40 ms");
        assertEquals(expected, RunReportHtml.parameters(t));
        assertEquals("wav", t.extension());
    }

    @Test
    void limitsMustNotBeNegative() {
        assertThrows(IllegalArgumentException.class, () -> new RunReport.Limits(-1, 0, 0));
    }
}
