// Duplicate ids: the first input row keeps the id, later ones are error rows; resume and the report follow the rule.
package io.diffusers4j.job;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JobDuplicateIdsTest extends FakeJobTest {

    @Test
    void laterRowsWithAnIdAreErrorRowsNamingTheFirst() {
        Path in = JobHarness.write(dir, "p.jsonl",
                "{\"id\": \"same\", \"prompt\": \"one\", \"seed\": 1, \"num_images_per_prompt\": 2}",
                "{\"id\": \"other\", \"prompt\": \"two\", \"seed\": 2}",
                "{\"id\": \"same\", \"prompt\": \"three\", \"seed\": 3, \"num_images_per_prompt\": 3}",
                "{\"id\": \"same\", \"prompt\": \"four\", \"num_inference_steps\": 0}",
                "{\"id\": \"same\", \"prompt\": \"five\"}",
                "{\"id\": \"a/b\", \"prompt\": \"six\", \"seed\": 6}",
                "{\"id\": \"a_b\", \"prompt\": \"seven\", \"seed\": 7}");
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.runFake(in, out, "--partitions", "3");
        assertEquals(5, s.okImages(), "same#0, same#1, other, a/b, a_b");
        assertEquals(3, s.errorRows(), "one error row per later input row, whatever its num_images_per_prompt");
        assertEquals(5, FakeRenderer.IMAGES.get(), "before: all 9 images rendered, 4 of them under the id 'same'");

        List<Row> rows = JobHarness.rows(out);
        assertEquals(8, rows.size());
        Map<String, String> errors = rows.stream().filter(r -> "error".equals(r.getAs("status")))
                .collect(Collectors.toMap(r -> r.getAs("source"), r -> r.getAs("error")));
        String rule = " has it first (ids must be unique: --resume and the report key images by id)";
        assertEquals(Map.of(
                "p.jsonl:3", "duplicate id \"same\": p.jsonl:1" + rule,
                "p.jsonl:4", "num_inference_steps 0 is below 1; duplicate id \"same\": p.jsonl:1" + rule,
                "p.jsonl:5", "duplicate id \"same\": p.jsonl:1" + rule), errors);
        assertEquals(List.of("one", "one"), rows.stream().filter(r -> "ok".equals(r.getAs("status"))
                && "same".equals(r.getAs("id"))).map(r -> (String) r.getAs("prompt")).toList());

        List<String> samples = new ArrayList<>(s.report().samples());
        assertEquals(4, samples.size());
        assertEquals(4, samples.stream().distinct().count(), "distinct sample files: " + samples);
    }

    @Test
    void resumeSkipsOnlyTheRowThatKeptTheIdAndCountsWhatIsWritten() {
        Path out = dir.resolve("out");
        JobHarness.runFake(JobHarness.write(dir, "one.jsonl", "{\"id\": \"same\", \"prompt\": \"cat\"}"), out);
        List<String> six = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            six.add("{\"id\": \"same\", \"prompt\": \"cat " + i + "\"}");
        }
        FakeRenderer.reset();
        JobSummary s = JobHarness.runFake(JobHarness.write(dir, "six.jsonl", six), out, "--resume");
        assertEquals(1, s.skipped(), "before: 'skipped (already ok): 6' with one row in the output");
        assertEquals(0, s.okImages());
        assertEquals(5, s.errorRows());
        assertEquals(0, FakeRenderer.IMAGES.get());

        List<Row> rows = JobHarness.rows(out);
        assertEquals(6, rows.size(), "the first run's ok row and this run's 5 error rows");
        long mine = rows.stream().filter(r -> s.runId().equals(r.getAs("run_id"))).count();
        assertEquals(s.okImages() + s.errorRows(), mine, "the summary counts what was written");
        assertEquals(s.skipped(), rows.stream().filter(r -> "ok".equals(r.getAs("status"))).count());
    }
}
