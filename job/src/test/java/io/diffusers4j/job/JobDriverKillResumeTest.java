// The driver JVM killed (SIGKILL) mid-run, then the same command with --resume: committed waves are kept, the rest
// is rendered, every id appears exactly once.
package io.diffusers4j.job;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A separate driver JVM ({@code JobMain}, local mode, the fake renderer) renders 24 images in waves of 6
 * ({@code --commit-every 6}). Partition 1 of every wave is slow, so partition 0 of a wave has committed its task
 * long before the wave commits. The test SIGKILLs the driver once a wave is committed AND a later wave has a
 * committed task file in {@code _temporary} (the worst moment: finished but uncommitted work on disk). Then:
 * <ul>
 *   <li>readers see exactly the committed waves: complete Parquet files, each image once, nothing of the wave
 *       in flight;</li>
 *   <li>the same command with {@code --resume} keeps those rows (same run_id, not rendered again), renders
 *       exactly the others, and the stale task files of the killed run are not merged into the output (Hadoop's
 *       committer would do so at the next commit: every image of that task would appear twice).</li>
 * </ul>
 */
class JobDriverKillResumeTest extends FakeJobTest {
    private static final int IMAGES = 24;

    @Test
    void killedDriverKeepsCommittedWavesAndResumeCompletesExactlyOnce() throws Exception {
        Path in = JobHarness.write(dir, "prompts.jsonl", JobHarness.promptLines(IMAGES, "k", i -> "prompt " + i));
        Path out = dir.resolve("out");
        List<String> command = List.of("--master", "local[2]", "--prompts", in.toString(), "--output",
                out.toString(), "--partitions", "2", "--batch-size", "2", "--commit-every", "6",
                "--set", "diffusers4j.job.renderer=" + FakeRenderer.FACTORY);
        String token = "hf_DriverKillTest" + Long.toHexString(System.nanoTime());
        Path log = dir.resolve("driver.log");
        Process driver = DriverProcess.start(command, List.of("-Dd4j.fake.sleepMs=100",
                "-Dd4j.fake.slowPartitionMs=1500"), Map.of("HF_TOKEN", token), log);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!(committedFiles(out) > 0 && stagedTaskFiles(out) > 0)) {
                assertTrue(driver.isAlive(), "the driver ended before it could be killed mid-run:\n"
                        + DriverProcess.log(log));
                assertTrue(System.nanoTime() < deadline, "no committed wave + staged task in time:\n"
                        + DriverProcess.log(log));
                Thread.sleep(20);
            }
            driver.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup, like a lost driver node
            assertTrue(driver.waitFor(30, TimeUnit.SECONDS));
        } finally {
            driver.destroyForcibly();
        }
        assertEquals(137, driver.exitValue(), "killed by SIGKILL");
        String driverLog = DriverProcess.log(log);
        assertTrue(driverLog.contains("wave 1 of 4 committed"), driverLog);
        assertFalse(driverLog.contains(token), "HF_TOKEN in the driver's log");

        // what readers see after the crash: the committed waves only, complete, each image once
        assertTrue(stagedTaskFiles(out) > 0, "the killed wave left committed task files in _temporary");
        List<Row> kept = JobHarness.rows(out);
        assertTrue(kept.size() > 0 && kept.size() < IMAGES, "committed before the kill: " + kept.size());
        assertEquals(kept.size(), keys(kept).size(), "no duplicates among the committed waves");
        assertTrue(kept.stream().allMatch(r -> "ok".equals(r.getAs("status")) && JobHarness.png(r) != null));
        String killedRun = kept.get(0).getAs("run_id");
        List<Row> staged = SharedSpark.get().read().parquet(stagedDirs(out).toArray(new String[0])).collectAsList();
        assertFalse(staged.isEmpty());
        assertTrue(keys(staged).stream().noneMatch(keys(kept)::contains), "staged rows are not visible");

        // the same command with --resume (in this JVM, so the renders can be counted)
        List<String> resume = new ArrayList<>(command.subList(2, command.size()));
        resume.add("--resume");
        JobSummary s = JobHarness.run(resume.toArray(new String[0]));
        assertEquals(kept.size(), s.skipped(), "finished rows are kept");
        assertEquals(IMAGES - kept.size(), s.okImages());
        assertEquals(IMAGES - kept.size(), FakeRenderer.IMAGES.get(), "only the rest was rendered");

        List<Row> all = JobHarness.rows(out);
        assertEquals(IMAGES, all.size(), "every image exactly once (no stale task files merged): " + keys(all));
        assertEquals(IMAGES, keys(all).size());
        assertTrue(all.stream().allMatch(r -> "ok".equals(r.getAs("status"))));
        Set<String> keptKeys = keys(kept);
        for (Row r : all) {
            String key = r.getAs("id") + "#" + r.getAs("image_index");
            assertEquals(keptKeys.contains(key), killedRun.equals(r.getAs("run_id")), key + " " + r.getAs("run_id"));
        }
        assertFalse(Files.exists(out.resolve("_temporary")), "nothing left staged");
    }

    private static Set<String> keys(List<Row> rows) {
        return rows.stream().map(r -> r.getAs("id") + "#" + r.getAs("image_index")).collect(Collectors.toSet());
    }

    /** Parquet files committed to the output (what readers see). */
    private static long committedFiles(Path out) throws IOException {
        if (!Files.isDirectory(out)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(out)) {
            return s.filter(p -> p.getFileName().toString().startsWith("part-")).count();
        }
    }

    /** Parquet files of committed tasks of a wave that is not committed yet. */
    private static long stagedTaskFiles(Path out) throws IOException {
        long n = 0;
        for (String d : stagedDirs(out)) {
            try (Stream<Path> s = Files.list(Path.of(d))) {
                n += s.filter(p -> p.getFileName().toString().startsWith("part-")).count();
            } catch (NoSuchFileException e) {
                // the wave committed while we looked
            }
        }
        return n;
    }

    private static List<String> stagedDirs(Path out) throws IOException {
        Path attempt = out.resolve("_temporary").resolve("0");
        if (!Files.isDirectory(attempt)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(attempt)) {
            return s.filter(p -> p.getFileName().toString().startsWith("task_") && Files.isDirectory(p))
                    .map(Path::toString).sorted().toList();
        } catch (NoSuchFileException e) {
            return List.of(); // the wave committed while we looked
        }
    }
}
