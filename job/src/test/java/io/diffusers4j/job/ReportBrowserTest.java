// The run report renders in a real headless browser: thumbnails decode and show, error rows show.
package io.diffusers4j.job;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Skipped only when no Chromium-family browser is installed ({@code .ci/run} installs Debian's chromium). The
 * fake renderer's pictures are flat colours, so each thumbnail's colour must cover its on-page area in the
 * screenshot: that proves the embedded images decoded and laid out, not just that the HTML parsed.
 */
class ReportBrowserTest {

    @Test
    void reportRendersInHeadlessChromium(@TempDir Path dir) throws Exception {
        Path browser = HeadlessBrowser.find();
        assumeTrue(browser != null, "no chromium / google-chrome binary installed (CHROME_BIN): test skipped");

        Path out = dir.resolve("out");
        List<String> lines = new ArrayList<>(Files.readAllLines(RunReportTest.prompts(dir)));
        // 96x96: smaller than the 160-pixel thumbnail box, so magnified to it like the 32x24 ones
        lines.add("{\"id\": \"f\", \"prompt\": \"a field\", \"width\": 96, \"height\": 96, \"seed\": 5}");
        JobSummary s = JobHarness.runFake(JobHarness.write(dir, "browser.jsonl", lines), out);
        Path page = Path.of(s.report().index());

        String dom = HeadlessBrowser.dumpDom(browser, page, dir);
        assertEquals(5, RunReportTest.count(dom, "<figure class=\"thumb\""), "thumbnails in the browser's DOM");
        assertEquals(5, RunReportTest.count(dom, "<td>FakeScheduler</td>"), "every image's parameters are page text");
        assertFalse(dom.contains("title="), "nothing only in a tooltip");
        assertTrue(dom.contains("poisoned prompt: [poison] a bad one"), "error messages in the DOM");
        assertEquals(3, RunReportTest.count(dom, "<td class=\"msg\">"), "one table row per error row");

        Path shot = dir.resolve("shot.png");
        HeadlessBrowser.screenshot(browser, page, shot, 1280, 2400, dir);
        BufferedImage img = ImageIO.read(shot.toFile());
        assertEquals(1280, img.getWidth());
        Map<Integer, Integer> histogram = new HashMap<>();
        int red = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xFFFFFF;
                histogram.merge(rgb, 1, Integer::sum);
                int r = rgb >> 16 & 0xff;
                int g = rgb >> 8 & 0xff;
                int b = rgb & 0xff;
                if (r > 120 && g < 70 && b < 70) {
                    red++;
                }
            }
        }
        List<Row> ok = JobHarness.rows(out).stream().filter(r -> "ok".equals(r.getAs("status"))).toList();
        assertEquals(5, ok.size());
        for (Row r : ok) {
            BufferedImage pic = JobHarness.png(r);
            int fill = pic.getRGB(pic.getWidth() - 1, pic.getHeight() - 1) & 0xFFFFFF;
            // every picture fits the 160-pixel box: 32x24 ones at 160x120, the 96x96 one at 160x160 CSS pixels
            // (before, it stayed 96x96); the fill covers nearly all of it
            int area = (int) (160 * 160 * pic.getHeight() / pic.getWidth());
            int shown = histogram.getOrDefault(fill, 0);
            assertTrue(shown >= area * 0.8, "thumbnail of " + r.getAs("id") + "#" + r.getAs("image_index")
                    + " (colour " + Integer.toHexString(fill) + ") covers " + shown + " screenshot pixels of "
                    + area);
        }
        assertTrue(red > 200, "the error messages are drawn (dark red text), red pixels: " + red);
    }
}
