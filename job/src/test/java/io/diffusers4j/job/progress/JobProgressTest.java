// Progress counting: heartbeats of running tasks, task ends, stale heartbeats; the line; real Spark events.
package io.diffusers4j.job.progress;

import io.diffusers4j.job.SharedSpark;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobProgressTest {

    @Test
    void runningTasksCountTheirLatestValueFinishedTasksTheirFinalOne() {
        ProgressCounter c = new ProgressCounter();
        c.running(1, 3);
        c.running(2, 5);
        c.running(1, 4);
        assertEquals(9, c.total(), "latest heartbeat per running task");
        c.ended(1, true, 6);
        assertEquals(11, c.total());
        c.ended(2, false, 0);
        assertEquals(6, c.total(), "a failed attempt's rows are dropped (its retry counts them)");
        c.running(1, 2);
        assertEquals(6, c.total(), "a heartbeat that arrives after the task ended is stale");
        c.ended(1, true, 6);
        assertEquals(6, c.total(), "a task end is counted once");
    }

    @Test
    void progressLine() {
        assertEquals("progress: 0/40 images (0%), 0.00 images/s", JobProgress.line(0, 40, 0, 3));
        assertEquals("progress: 120/1000 images (12%), 3 error rows, 2.00 images/s, ETA 0:07:20",
                JobProgress.line(120, 1000, 3, 60));
        assertEquals("progress: 7/10 images (70%), 1 error row, 0.70 images/s, ETA 0:00:04",
                JobProgress.line(7, 10, 1, 10));
        assertEquals("progress: 10/10 images (100%), 0.50 images/s", JobProgress.line(10, 10, 0, 20));
        assertEquals("progress: 0/0 images (100%), 0.00 images/s", JobProgress.line(0, 0, 0, 1), "nothing to do");
        assertEquals("27:46:40", JobProgress.clock(100_000));
    }

    @Test
    void countsRowsFromRealTaskEndEvents() throws Exception {
        SparkContext sc = SharedSpark.get().sparkContext();
        JobMetrics m = JobMetrics.register(sc);
        List<Integer> data = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            data.add(i);
        }
        try (JobProgress p = JobProgress.start(sc, m, 23, Duration.ZERO, null)) {
            JavaSparkContext.fromSparkContext(sc).parallelize(data, 4)
                    .repartition(3)
                    .foreachPartition(it -> {
                        while (it.hasNext()) {
                            m.emitted(it.next() % 5 == 0);
                        }
                    });
            // task-end events reach listeners asynchronously: wait for the bus to drain
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (p.done() < 23 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(23, p.done());
            assertEquals(5, p.errors(), "0, 5, 10, 15, 20");
            assertEquals(23, p.total(), "the driver's count");
        }
        m.usedBuild("1", "1-42-abc", 1500);
        assertEquals(List.of(new JobMetrics.Build("1", "1-42-abc", 1500)), m.builds());
    }

    @Test
    void consoleLineIsRedrawnInPlaceAndEndsWithTheFinalCounts() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        SparkContext sc = SharedSpark.get().sparkContext();
        JobMetrics m = JobMetrics.register(sc);
        List<Integer> data = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            data.add(i);
        }
        try (JobProgress p = JobProgress.start(sc, m, 12, Duration.ofSeconds(30), new ConsoleLine(stream),
                Duration.ofMillis(20))) {
            JavaSparkContext.fromSparkContext(sc).parallelize(data, 3).foreachPartition(it -> {
                while (it.hasNext()) {
                    m.emitted(it.next() == 4);
                    Thread.sleep(30);
                }
            });
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("\rprogress: 0/12 images (0%)"), out);
        assertTrue(out.indexOf('\n') == out.length() - 1, "one line, redrawn with carriage returns: " + out);
        String last = out.substring(out.lastIndexOf('\r') + 1).strip();
        assertTrue(last.startsWith("progress: 12/12 images (100%), 1 error row, "), last);
        assertTrue(out.split("\r").length > 3, "redrawn while the tasks ran: " + out);
    }

    @Test
    void consoleLinePadsOverALongerPreviousText() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConsoleLine line = new ConsoleLine(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        line.finish();
        line.draw("abcdef");
        line.draw("xy");
        line.finish();
        line.draw("z");
        assertEquals("\rabcdef\rxy    \n\rz", bytes.toString(StandardCharsets.UTF_8));
    }
}
