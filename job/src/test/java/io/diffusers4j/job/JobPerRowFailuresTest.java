// Rows that pass validation but fail later (PNG text, PNG encoding, the pipeline's checks) cost only themselves.
package io.diffusers4j.job;

import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.image.Png;
import io.diffusers4j.job.rows.OutputSchema;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobPerRowFailuresTest extends FakeJobTest {

    @Test
    void nulCharactersInPromptsRenderAndTheirPngTextRoundTrips() {
        // JSON's "\u0000" is a NUL character in the prompt (PNG text chunks cannot hold one)
        Path in = JobHarness.write(dir, "n.jsonl",
                "{\"id\": \"a\", \"prompt\": \"cat\", \"seed\": 1}",
                "{\"id\": \"n\", \"prompt\": \"a\\u0000b\", \"negative_prompt\": \"x\\u0000\", \"seed\": 2}");
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.runFake(in, out);
        assertEquals(2, s.okImages(), "before: the job failed (PNG text 'prompt' contains a NUL character)");
        assertEquals(0, s.errorRows());

        Row n = JobHarness.rows(out).stream().filter(r -> "n".equals(r.getAs("id"))).findFirst().orElseThrow();
        assertEquals("a\0b", n.getAs("prompt"), "the output keeps the prompt as given");
        Map<String, String> text = Png.read(OutputSchema.png(n.getAs("image"))).text();
        assertEquals("a\uFFFDb", text.get("prompt"), "PNG viewers show U+FFFD for the NUL");
        GenerationMetadata m = GenerationMetadata.fromPngText(text);
        assertEquals("a\0b", m.prompt(), "the PNG text round-trips exactly");
        assertEquals("x\0", m.negativePrompt());

        Path more = JobHarness.write(dir, "more.jsonl",
                "{\"id\": \"a\", \"prompt\": \"cat\", \"seed\": 1}",
                "{\"id\": \"n\", \"prompt\": \"a\\u0000b\", \"negative_prompt\": \"x\\u0000\", \"seed\": 2}",
                "{\"id\": \"m\", \"prompt\": \"\\u0000\", \"seed\": 3}");
        JobSummary resumed = JobHarness.runFake(more, out, "--resume");
        assertEquals(2, resumed.skipped());
        assertEquals(1, resumed.okImages(), "a prompt of only a NUL renders too");
        assertEquals(3, JobHarness.rows(out).size());
    }

    @Test
    void failuresAfterValidationCostOnlyTheirRow() {
        List<String> lines = JobHarness.promptLines(6, "ok", i -> "fine " + i);
        lines.add("{\"id\": \"png\", \"prompt\": \"[unencodable] float pixels\", \"seed\": 7}");
        lines.add("{\"id\": \"npe\", \"prompt\": \"[resolve-bug] check fails\", \"seed\": 8}");
        Path in = JobHarness.write(dir, "p.jsonl", lines);
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.runFake(in, out, "--batch-size", "4", "--partitions", "2");
        assertEquals(6, s.okImages(), "before: the task failed three times and the job with it");
        assertEquals(2, s.errorRows());

        Map<String, Row> errors = JobHarness.rows(out).stream().filter(r -> "error".equals(r.getAs("status")))
                .collect(Collectors.toMap(r -> r.getAs("id"), r -> r));
        Row png = errors.get("png");
        String pngError = png.getAs("error");
        assertTrue(pngError.startsWith("PNG encoding failed: IllegalArgumentException: no PNG writer for image type"),
                pngError);
        assertNull(png.getAs("image"));
        assertEquals(32, (int) png.getAs("width"), "the error row keeps the settings the image was rendered with");
        String npeError = errors.get("npe").getAs("error");
        assertTrue(npeError.startsWith("NullPointerException: Cannot invoke"), npeError);
    }
}
