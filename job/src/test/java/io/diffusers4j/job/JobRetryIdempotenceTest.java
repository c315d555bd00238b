// A task that fails half-way and is retried leaves exactly one row per image (Spark's commit protocol).
package io.diffusers4j.job;

import io.diffusers4j.job.rows.OutputSchema;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobRetryIdempotenceTest {
    @TempDir
    Path dir;

    @AfterEach
    void switchOff() {
        PartitionGenerator.failFirstAttemptAfterRows = -1;
    }

    @Test
    void failedFirstAttemptLeavesNoDuplicateOrPartialRows() {
        List<String> lines = JobHarness.promptLines(12, "r", i -> "prompt " + i);
        lines.add("{\"id\": \"bad\", \"prompt\": \"x\", \"seed\": \"nope\"}");
        Path in = JobHarness.write(dir, "p.jsonl", lines.toArray(new String[0]));
        Path out = dir.resolve("out");
        int before = PartitionGenerator.INJECTED_FAILURES.get();
        // partition 0's first attempt writes 3 rows into its task file, then dies
        PartitionGenerator.failFirstAttemptAfterRows = 3;
        JobSummary s = JobHarness.runFake(in, out, "--partitions", "2", "--batch-size", "2");
        assertEquals(1, PartitionGenerator.INJECTED_FAILURES.get() - before, "the switch fired once");
        assertEquals(12, s.okImages());
        assertEquals(1, s.errorRows());

        List<Row> rows = JobHarness.rows(out);
        assertEquals(13, rows.size(), "no duplicates from the failed attempt");
        List<String> keys = rows.stream().map(r -> r.getAs("id") + "#" + r.getAs("image_index"))
                .collect(Collectors.toList());
        assertEquals(13, keys.stream().distinct().count());
        for (Row r : rows) {
            if ("ok".equals(r.getAs("status"))) {
                assertTrue(OutputSchema.png(r.getAs("image")).length > 0);
            }
        }
    }
}
