// Out of memory on a micro-batch: split down to single images; only an image that still fails is an error row.
package io.diffusers4j.job;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One partition of 12 images, batch size 4, with two injected allocation failures: {@code [heap-oom]} makes any
 * batch of more than one image fail with a REAL {@link OutOfMemoryError} (a 16 GiB Java array requested), and
 * {@code [oom-always]} fails with a CUDA-style out-of-memory at every batch size, alone too. The batch holding an
 * OOM is halved down to single images; the partition's batch cap stays lowered; exactly the image that fails
 * alone becomes an error row; the executor (this JVM) goes on rendering every other image.
 */
class JobOutOfMemoryTest extends FakeJobTest {
    @Test
    void outOfMemorySplitsToOneAndOnlyTheImageThatStillFailsIsAnErrorRow() {
        Path in = JobHarness.write(dir, "p.jsonl", JobHarness.promptLines(12, "r",
                i -> "p" + i + (i == 1 ? " [heap-oom]" : i == 6 ? " [oom-always]" : "")));
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.runFake(in, out, "--partitions", "1", "--batch-size", "4");
        assertEquals(11, s.okImages());
        assertEquals(1, s.errorRows());
        List<Row> rows = JobHarness.rows(out);
        assertEquals(12, rows.size());

        Row always = JobFormatsTest.find(rows, "r6", 0);
        assertEquals("error", always.getAs("status"));
        assertNull(always.getAs("image"));
        String why = always.getAs("error");
        assertTrue(why.contains("out of memory") && why.contains("64.00 GiB"), why);
        assertEquals(1, (int) always.getAs("batch_size"), "it failed alone");

        Row heap = JobFormatsTest.find(rows, "r1", 0);
        assertEquals("ok", heap.getAs("status"), String.valueOf((Object) heap.getAs("error")));
        assertEquals(1, (int) heap.getAs("batch_size"), "the real OutOfMemoryError split its batch to one");
        for (Row r : rows) {
            if (!r.getAs("id").equals("r6")) {
                assertEquals("ok", r.getAs("status"), r.getAs("id") + ": " + r.getAs("error"));
                assertTrue(JobHarness.png(r) != null);
            }
        }
        // the calls: a failing 4, its halves, single images; never a batch above the lowered cap afterwards
        List<Integer> sizes = new ArrayList<>(FakeRenderer.BATCH_SIZES);
        int firstOne = sizes.indexOf(1);
        assertTrue(firstOne > 0 && sizes.get(0) == 4, sizes.toString());
        assertTrue(sizes.subList(firstOne, sizes.size()).stream().allMatch(n -> n <= 2), "cap lowered: " + sizes);
        assertEquals(11, FakeRenderer.IMAGES.get(), "each ok image rendered once: " + sizes);
    }
}
