// A failing image costs that image; an out-of-memory splits the batch; batches never mix settings.
package io.diffusers4j.job;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobFaultIsolationTest extends FakeJobTest {
    @Test
    void poisonedImageCostsOnlyItselfAndOomSplitsTheBatch() {
        Path in = JobHarness.write(dir, "p.jsonl",
                JobHarness.promptLines(10, "r", i -> "p" + i + (i == 2 ? " [poison]" : i == 6 ? " [oom]" : "")));
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.runFake(in, out, "--partitions", "1", "--batch-size", "4");
        assertEquals(9, s.okImages());
        assertEquals(1, s.errorRows());
        List<Row> rows = JobHarness.rows(out);
        assertEquals(10, rows.size());
        Row poisoned = JobFormatsTest.find(rows, "r2", 0);
        assertEquals("error", poisoned.getAs("status"));
        String why = poisoned.getAs("error");
        assertTrue(why.contains("poisoned prompt"), why);
        assertNull(poisoned.getAs("image"));
        assertEquals("ok", JobFormatsTest.find(rows, "r6", 0).getAs("status"), "the OOM image succeeded alone");
        for (Row r : rows) {
            assertTrue((int) r.getAs("batch_size") <= 4);
        }
        // r6 ended in a batch of one after the split; the cap stayed lowered afterwards
        assertEquals(1, (int) JobFormatsTest.find(rows, "r6", 0).getAs("batch_size"));
        List<Integer> sizes = new ArrayList<>(FakeRenderer.BATCH_SIZES);
        assertTrue(sizes.stream().allMatch(n -> n <= 4), sizes.toString());
        assertTrue(sizes.contains(1), sizes.toString());
    }

    @Test
    void batchesNeverMixSettingsAndRespectTheBatchSize() {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 14; i++) {
            int steps = i % 3 + 1;
            String size = i % 2 == 0 ? "" : ", \"width\": 16, \"height\": 16";
            lines.add("{\"id\": \"r" + i + "\", \"prompt\": \"p" + i + "\", \"seed\": " + i
                    + ", \"num_inference_steps\": " + steps + size + "}");
        }
        Path in = JobHarness.write(dir, "p.jsonl", lines.toArray(new String[0]));
        Path out = dir.resolve("out");
        JobHarness.runFake(in, out, "--partitions", "2", "--batch-size", "3");
        List<Row> rows = JobHarness.rows(out);
        assertEquals(14, rows.size());
        for (Row r : rows) {
            assertEquals("ok", r.getAs("status"));
            // the fake draws with the batch's settings: a mixed batch would encode another row's steps/size
            assertEquals((int) r.getAs("num_inference_steps"), JobHarness.png(r).getRGB(2, 0) & 0xFFFFFF);
            assertEquals((int) r.getAs("width"), JobHarness.png(r).getWidth());
        }
        assertTrue(FakeRenderer.BATCH_SIZES.stream().allMatch(n -> n <= 3), FakeRenderer.BATCH_SIZES.toString());
        // 6 settings groups over 2 partitions; with batch size 3 that is at most 6 * 2 + 14 / 3 calls
        assertTrue(FakeRenderer.BATCH_SIZES.stream().anyMatch(n -> n > 1), "images were batched");
    }

    @Test
    void partitionByStatus() {
        Path in = JobHarness.write(dir, "p.jsonl", "{\"prompt\": \"fine\"}", "{\"prompt\": \"x\", \"seed\": \"y\"}");
        Path out = dir.resolve("out");
        JobHarness.runFake(in, out, "--partition-by", "status");
        assertTrue(new File(out.toFile(), "status=ok").isDirectory());
        assertTrue(new File(out.toFile(), "status=error").isDirectory());
        assertEquals(2, JobHarness.rows(out).size());
        // resume reads a partitioned output too
        JobSummary again = JobHarness.runFake(in, out, "--partition-by", "status", "--resume");
        assertEquals(1, again.skipped());
        assertEquals(0, again.okImages());
    }
}
