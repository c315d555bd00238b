// --resume: images already written with status ok are skipped; everything else is (re)rendered and appended.
package io.diffusers4j.job;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JobResumeTest extends FakeJobTest {
    @Test
    void resumeRendersOnlyWhatIsNotAlreadyOk() {
        Path first = JobHarness.write(dir, "first.jsonl",
                "{\"id\": \"a\", \"prompt\": \"one\", \"seed\": 1}",
                "{\"id\": \"b\", \"prompt\": \"two\", \"seed\": 2, \"num_images_per_prompt\": 2}",
                "{\"id\": \"c\", \"prompt\": \"three\", \"seed\": \"oops\"}");
        Path out = dir.resolve("out");
        JobSummary s1 = JobHarness.runFake(first, out);
        assertEquals(3, s1.okImages());
        assertEquals(1, s1.errorRows());
        assertEquals(3, FakeRenderer.IMAGES.get());

        // the same rows (c fixed) plus new ones, resumed
        FakeRenderer.reset();
        Path second = JobHarness.write(dir, "second.jsonl",
                "{\"id\": \"a\", \"prompt\": \"one\", \"seed\": 1}",
                "{\"id\": \"b\", \"prompt\": \"two\", \"seed\": 2, \"num_images_per_prompt\": 3}",
                "{\"id\": \"c\", \"prompt\": \"three\", \"seed\": 3}",
                "{\"id\": \"d\", \"prompt\": \"four\"}");
        JobSummary s2 = JobHarness.runFake(second, out, "--resume");
        assertEquals(3, s2.skipped(), "a#0, b#0, b#1 were ok");
        assertEquals(3, s2.okImages(), "b#2, c#0, d#0");
        assertEquals(0, s2.errorRows());
        assertEquals(3, FakeRenderer.IMAGES.get(), "only the missing images were rendered");

        List<Row> rows = JobHarness.rows(out);
        List<String> ok = rows.stream().filter(r -> "ok".equals(r.getAs("status")))
                .map(r -> r.getAs("id") + "#" + r.getAs("image_index")).sorted().collect(Collectors.toList());
        assertEquals(List.of("a#0", "b#0", "b#1", "b#2", "c#0", "d#0"), ok, "every image ok exactly once");
        assertEquals(2, rows.stream().map(r -> (String) r.getAs("run_id")).distinct().count());
        assertEquals(1, rows.stream().filter(r -> "error".equals(r.getAs("status"))).count(),
                "the first run's error row stays (append-only history)");

        // resuming again renders nothing
        FakeRenderer.reset();
        JobSummary s3 = JobHarness.runFake(second, out, "--resume");
        assertEquals(0, s3.okImages());
        assertEquals(6, s3.skipped());
        assertEquals(0, FakeRenderer.IMAGES.get());
        assertEquals(rows.size(), JobHarness.rows(out).size());
    }

    @Test
    void resumeOnAMissingOutputRunsEverything() {
        Path in = JobHarness.write(dir, "p.txt", "one", "two");
        JobSummary s = JobHarness.runFake(in, dir.resolve("fresh"), "--resume");
        assertEquals(2, s.okImages());
        assertEquals(0, s.skipped());
    }

    @Test
    void overwriteReplacesAndAppendAdds() {
        Path in = JobHarness.write(dir, "p.txt", "one", "two");
        Path out = dir.resolve("out");
        JobHarness.runFake(in, out);
        JobHarness.runFake(in, out);
        assertEquals(2, JobHarness.rows(out).size());
        JobHarness.runFake(in, out, "--mode", "append");
        assertEquals(4, JobHarness.rows(out).size());
    }
}
