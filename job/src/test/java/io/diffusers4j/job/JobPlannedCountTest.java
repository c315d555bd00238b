// The progress total (images planned) equals the rows the run writes, however often Spark re-reads the prompts.
package io.diffusers4j.job;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JobPlannedCountTest extends FakeJobTest {

    @Test
    void resumedRunInWavesPlansEachImageOnce() {
        Path out = dir.resolve("out");
        List<String> first = JobHarness.promptLines(3, "r", i -> "prompt " + i);
        JobHarness.runFake(JobHarness.write(dir, "first.jsonl", first), out);

        // each wave of a resumed run re-reads the prompts (the output it reads changed): before, every re-read
        // added to the planned count (36 for 10 rows to write)
        List<String> all = JobHarness.promptLines(12, "r", i -> "prompt " + i);
        all.add("{\"id\": \"bad\", \"prompt\": \"x\", \"seed\": -1}");
        JobSummary s = JobHarness.runFake(JobHarness.write(dir, "all.jsonl", all), out, "--resume",
                "--commit-every", "4");
        assertEquals(3, s.skipped());
        assertEquals(9, s.okImages());
        assertEquals(1, s.errorRows());
        assertEquals(10, s.planned(), "the progress total: rows this run writes");
    }

    @Test
    void plannedEqualsWrittenWithOneCommitAndWithWaves() {
        Path in = JobHarness.write(dir, "p.jsonl", JobHarness.promptLines(10, "r", i -> "prompt " + i));
        JobSummary single = JobHarness.runFake(in, dir.resolve("single"), "--commit-every", "0");
        assertEquals(10, single.planned());
        JobSummary waves = JobHarness.runFake(in, dir.resolve("waves"), "--commit-every", "3");
        assertEquals(10, waves.planned());
        assertEquals(10, waves.okImages());
    }
}
