// The run report next to the Parquet output: page content, bounded read-back, sample PNGs, summary lines.
package io.diffusers4j.job;

import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.image.Png;
import io.diffusers4j.job.report.RunReport;
import io.diffusers4j.job.rows.OutputSchema;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the job with the fake renderer and reads the report it wrote. */
class RunReportTest {

    static Path prompts(Path dir) {
        return JobHarness.write(dir, "prompts.jsonl",
                "{\"id\": \"a\", \"prompt\": \"a red car\", \"seed\": 1}",
                "{\"id\": \"b\", \"prompt\": \"a <b>bold</b> & \\\"quoted\\\" cat\", \"negative_prompt\": \"blurry\","
                        + " \"num_images_per_prompt\": 2, \"seed\": 10}",
                "{\"id\": \"c\", \"prompt\": \"a boat\", \"num_inference_steps\": 3}",
                "{\"id\": \"d\", \"prompt\": \"[poison] a bad one\"}",
                "{\"id\": \"e\", \"prompt\": \"x\", \"num_inference_steps\": \"many\"}",
                "this is not json");
    }

    @Test
    void reportPageSamplesAndSummaryLines(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.runFake(prompts(dir), out, "--batch-size", "2");
        assertEquals(4, s.okImages());
        assertEquals(3, s.errorRows());
        assertNotNull(s.report());

        Path index = out.resolve("_report/index.html");
        assertEquals(index.toString(), s.report().index());
        String html = Files.readString(index, StandardCharsets.UTF_8);
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertFalse(html.contains("src=\"http") || html.contains("href=\"http") || html.contains("<script"),
                "self-contained: no external resource, no script");

        // contact sheet: every ok image (4 <= 48), each captioned with all its parameters (no hover needed)
        assertEquals(4, count(html, "<figure class=\"thumb\">"));
        assertEquals(4, count(html, "src=\"data:image/png;base64,"));
        assertFalse(html.contains("title="), "nothing is only in a tooltip");
        assertTrue(html.contains("<div class=\"id\">a #0</div>"), html);
        assertTrue(caption(html, "b #1").contains("<tr><th>seed</th><td>11</td></tr>"),
                "image 1 of row b records seed 10+1");
        assertTrue(html.contains("a &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; cat"), "prompts are escaped");
        assertFalse(html.contains("<b>bold</b>"));
        String b0 = caption(html, "b #0");
        for (String row : List.of("<tr><th>negative</th><td>blurry</td></tr>", "<tr><th>seed</th><td>10</td></tr>",
                "<tr><th>steps</th><td>50</td></tr>", "<tr><th>guidance</th><td>7.5</td></tr>",
                "<tr><th>scheduler</th><td>FakeScheduler</td></tr>", "<tr><th>size</th><td>32x24</td></tr>")) {
            assertTrue(b0.contains(row), row + " in " + b0);
        }
        assertTrue(caption(html, "a #0").contains("<tr><th>negative</th><td>none</td></tr>"));
        assertTrue(html.contains("ok images, model <code>embedded:tiny-random</code>"), "the run's one model");

        // settings: the job-level defaults a row that leaves a field out gets
        assertTrue(html.contains("<tr><th>default num_inference_steps</th><td>the pipeline&#39;s own</td></tr>"),
                html);
        assertTrue(html.contains("<tr><th>default num_images_per_prompt</th><td>1</td></tr>"));

        // errors: each with its message
        assertTrue(html.contains("3 of 3 error rows"));
        assertTrue(html.contains("poisoned prompt: [poison] a bad one"), "the renderer's message");
        assertTrue(html.contains("num_inference_steps &quot;many&quot; is not an integer"), html);
        assertTrue(html.contains("this is not json"), "the raw input of a malformed line");

        // figures: totals, per-executor counts, pipeline build times
        assertTrue(html.contains("<div class=\"v\">4</div><div class=\"k\">ok images</div>"));
        assertTrue(html.contains("<div class=\"k\">images/s</div>"));
        assertTrue(html.contains("<div class=\"k\">s in all (with Spark start-up)</div>"));
        assertTrue(s.totalSeconds() >= s.seconds(), s.totalSeconds() + " >= " + s.seconds());
        assertTrue(html.contains("<th>ok images</th><th>ok images vs. the busiest executor</th>"), "bar header");
        Matcher exec = Pattern.compile("<tr><td>driver</td><td class=\"n\">(\\d+)</td>").matcher(html);
        assertTrue(exec.find(), "per-executor row");
        assertEquals("4", exec.group(1));
        assertEquals(1, s.builds().size(), "one pipeline build in this JVM rendered the run: " + s.builds());
        assertTrue(s.builds().get(0).buildMillis() >= 0);
        assertTrue(html.contains("<code>" + s.builds().get(0).instanceId() + "</code>"));

        // sample PNGs: the first images by (id, image_index), byte for byte the Parquet's, carrying their text
        List<Row> rows = JobHarness.rows(out);
        assertEquals(7, rows.size(), "the report folder is not read as data");
        assertEquals(4, s.report().samples().size());
        List<String> names = s.report().samples().stream().map(p -> Path.of(p).getFileName().toString()).toList();
        assertEquals(List.of("a-0.png", "b-0.png", "b-1.png", "c-0.png"), names);
        for (Row r : rows) {
            if (!"ok".equals(r.getAs("status"))) {
                continue;
            }
            Path sample = out.resolve("_report/samples/" + r.getAs("id") + "-" + r.getAs("image_index") + ".png");
            assertArrayEquals(OutputSchema.png(r.getAs("image")), Files.readAllBytes(sample));
            GenerationMetadata m = GenerationMetadata.fromPngText(Png.read(sample).text());
            assertEquals((String) r.getAs("prompt"), m.prompt());
            assertEquals((Long) r.getAs("seed"), m.seed());
        }
        try (Stream<Path> files = Files.walk(out.resolve("_report"))) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".crc")), "no checksum side files");
        }

        // the printed summary says where everything is
        String text = s.render();
        assertTrue(text.contains("  parquet: " + out), text);
        assertTrue(text.contains("  report: " + index), text);
        assertTrue(text.contains("    " + out.resolve("_report/samples/a-0.png")), text);
    }

    @Test
    void idsThatMakeTheSameFileNameGetDistinctSampleFiles(@TempDir Path dir) throws Exception {
        Path in = JobHarness.write(dir, "p.jsonl", "{\"id\": \"a/b\", \"prompt\": \"one\", \"seed\": 1}",
                "{\"id\": \"a_b\", \"prompt\": \"two\", \"seed\": 2}", "{\"id\": \"a?b\", \"prompt\": \"three\"}");
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.runFake(in, out);
        List<String> names = s.report().samples().stream().map(p -> Path.of(p).getFileName().toString()).toList();
        assertEquals(List.of("a_b-0.png", "a_b-0-2.png", "a_b-0-3.png"), names, "before: a_b-0.png three times");
        List<String> prompts = new ArrayList<>();
        for (String sample : s.report().samples()) {
            prompts.add(GenerationMetadata.fromPngText(Png.read(Path.of(sample)).text()).prompt());
        }
        assertEquals(List.of("one", "three", "two"), prompts, "each file holds its own image (ids sorted: / ? _)");
    }

    @Test
    void limitsBoundWhatIsReadBackAndTheReportCanBeTurnedOff(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.runFake(prompts(dir), out, "--set", "diffusers4j.job.report.thumbnails=2",
                "--set", "diffusers4j.job.report.samples=1", "--set", "diffusers4j.job.report.errors=1");
        String html = Files.readString(out.resolve("_report/index.html"));
        assertEquals(2, count(html, "<figure class=\"thumb\""));
        assertTrue(html.contains("2 of 4 ok images"));
        assertTrue(html.contains("1 of 3 error rows"));
        assertEquals(1, s.report().samples().size());
        try (Stream<Path> f = Files.list(out.resolve("_report/samples"))) {
            assertEquals(1, f.count());
        }

        Path off = dir.resolve("off");
        JobSummary none = JobHarness.runFake(prompts(dir), off, "--set", "diffusers4j.job.report.enabled=false");
        assertNull(none.report());
        assertFalse(Files.exists(off.resolve("_report")));
        assertFalse(none.render().contains("report:"));
        assertTrue(none.render().contains("parquet: " + off));
    }

    @Test
    void anAppendingRunReportsItsOwnRows(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        JobHarness.runFake(prompts(dir), out);
        Path more = JobHarness.write(dir, "more.jsonl", "{\"id\": \"z\", \"prompt\": \"a zebra\", \"seed\": 5}");
        JobSummary s = JobHarness.runFake(more, out, "--mode", "append");
        assertEquals(1, s.okImages());
        String html = Files.readString(out.resolve("_report/index.html"));
        assertTrue(html.contains(s.runId()));
        assertEquals(1, count(html, "<figure class=\"thumb\""), "only this run's image");
        assertTrue(html.contains("<div class=\"id\">z #0</div>"));
        assertTrue(html.contains("no error rows"));
        assertEquals(List.of("z-0.png"), Arrays.stream(out.resolve("_report/samples").toFile().list())
                .sorted().toList(), "the previous run's samples are replaced");
    }

    /** The caption of the contact-sheet figure of {@code idAndIndex} ("b #1"). */
    static String caption(String html, String idAndIndex) {
        int at = html.indexOf("<div class=\"id\">" + idAndIndex + "</div>");
        assertTrue(at >= 0, idAndIndex + " has a caption");
        return html.substring(at, html.indexOf("</figcaption>", at));
    }

    static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + needle.length())) {
            n++;
        }
        return n;
    }
}
