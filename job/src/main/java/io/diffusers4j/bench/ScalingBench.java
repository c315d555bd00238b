// `bench --scaling`: the Spark job against the bare pipeline for each batch size and task-slot count.
package io.diffusers4j.bench;

import io.diffusers4j.job.DiffusionJob;
import io.diffusers4j.job.JobCommand;
import io.diffusers4j.job.JobConfig;
import io.diffusers4j.job.JobMain;
import io.diffusers4j.job.JobSummary;
import io.diffusers4j.job.progress.JobMetrics;
import io.diffusers4j.job.render.ExecutorPipelineCache;
import io.diffusers4j.utils.AtomicFiles;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The job's scaling study, in one process: first the bare pipeline (sequential calls on micro-batches of each
 * batch size, libtorch's threads, PNG encoding, steady state after one warm-up call), then, with the
 * bare pipeline closed, the Spark job in local mode for every (batch size, task slots) pair, each run building its
 * own pipeline as an executor does (the JVM-wide pipeline cache is emptied between runs, so every run pays its
 * build and first-call packing). Per run: images/s of the whole {@code DiffusionJob.run}, its fraction of the bare
 * pipeline at that batch size, the libtorch threads per task, the executor's pipeline build, and the resident memory
 * of the process before the run and its peak during it (the driver is the executor here; memory the allocator kept
 * from earlier runs stays in both, so a slot's own memory is measured by a job in a fresh JVM, docs/performance.md).
 * The build is also reported as a fraction of a 1,000-image partition at the run's per-image time.
 */
final class ScalingBench {
    /** The partition size the build cost is expressed against. */
    static final int PARTITION_IMAGES = 1000;

    private ScalingBench() {
    }

    /** Runs the study; closes {@code sd} after the bare runs. */
    static void run(BenchPipeline sd, Path modelDir, BenchOptions o, BenchReport r, PrintStream log)
            throws IOException {
        int n = o.job();
        List<String> prompts = StageBench.prompts(n, 0);
        Map<Integer, Double> bare = new LinkedHashMap<>();
        try {
            // one warm-up call pages the weights in and packs the convolutions (for every batch size: the packed
            // weights' layout does not depend on it, measured: a UNet packed at 2 rows runs 8 rows as fast)
            log.println("bench: bare pipeline: warm-up call ...");
            JobBench.renderBare(sd, o, prompts.subList(0, 1), 1);
            for (int b : o.scalingBatches()) {
                long start = System.nanoTime();
                JobBench.renderBare(sd, o, prompts, b);
                double ms = (System.nanoTime() - start) / 1e6;
                bare.put(b, n * 1000.0 / ms);
                log.printf("bench: bare batch %d: %.4f images/s (%.0f ms)%n", b, bare.get(b), ms);
            }
        } finally {
            sd.close();
        }

        List<Map<String, Object>> runs = new ArrayList<>();
        r.section(String.format(Locale.ROOT, "Scaling: Spark job vs bare pipeline (%d prompts, %d steps, %dx%d, %s)",
                n, o.steps(), o.width(), o.height(), o.dtype()));
        Path tmp = Files.createTempDirectory("d4j-bench-scaling-");
        try {
            Path promptFile = JobBench.writePrompts(tmp, prompts, o.seed());
            for (int b : o.scalingBatches()) {
                r.row(String.format(Locale.ROOT, "bare pipeline, batch %d", b), "%.4f images/s", bare.get(b));
                for (int slots : o.scalingSlots()) {
                    Map<String, Object> run = jobRun(promptFile, tmp.resolve("out-b" + b + "-s" + slots), modelDir,
                            o, b, slots, bare.get(b), log);
                    runs.add(run);
                    r.row(String.format(Locale.ROOT, "  job, batch %d, local[%d] (%d thread(s) per task)", b, slots,
                                    (Integer) run.get("torch_threads_per_task")),
                            "%.4f images/s = %.1f%% of bare; RSS %.0f -> peak %.0f MiB; build %d ms = %.3f%% of %d "
                                    + "images", run.get("job_images_per_s"),
                            100 * (Double) run.get("job_fraction_of_bare"), run.get("rss_before_mb"),
                            run.get("peak_rss_mb"), run.get("build_ms"), 100 * (Double) run.get("build_fraction"),
                            PARTITION_IMAGES);
                }
            }
        } finally {
            AtomicFiles.deleteTree(tmp);
        }
        r.put("scaling_bare_images_per_s", bare).put("scaling_runs", runs).put("scaling_prompts", n);
    }

    private static Map<String, Object> jobRun(Path promptFile, Path out, Path modelDir, BenchOptions o, int batch,
                                              int slots, double bare, PrintStream log) {
        ExecutorPipelineCache.closeAll();
        System.gc();
        List<String> args = JobBench.jobArgs(promptFile, out, modelDir, o, batch, "local[" + slots + "]");
        args.addAll(List.of("--partitions", Integer.toString(slots)));
        JobConfig cfg = JobCommand.parse(args.toArray(new String[0])).toConfig();
        SparkSession spark = JobMain.session(cfg);
        JobSummary summary;
        double jobMs;
        double peak;
        int threads = DiffusionJob.resolveTorchThreads(cfg.torchThreads(), spark.sparkContext());
        double rssBefore = ProcessStats.rssMb();
        try {
            ProcessStats.resetPeak();
            long start = System.nanoTime();
            summary = DiffusionJob.run(spark, cfg);
            jobMs = (System.nanoTime() - start) / 1e6;
            peak = ProcessStats.peakRssMb();
        } finally {
            spark.stop();
            ExecutorPipelineCache.closeAll();
        }
        double ips = summary.okImages() * 1000.0 / jobMs;
        long buildMs = summary.builds().stream().mapToLong(JobMetrics.Build::buildMillis).max().orElse(-1);
        // per-image time of one slot: slots images are in flight at once
        double perImageSlotMs = summary.okImages() == 0 ? 0 : jobMs * slots / summary.okImages();
        double buildFraction = buildMs < 0 || perImageSlotMs == 0 ? 0
                : buildMs / (buildMs + PARTITION_IMAGES * perImageSlotMs);
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("batch", batch);
        run.put("slots", slots);
        run.put("torch_threads_per_task", threads);
        run.put("ok_images", summary.okImages());
        run.put("job_ms", jobMs);
        run.put("job_images_per_s", ips);
        run.put("job_fraction_of_bare", ips / bare);
        run.put("rss_before_mb", rssBefore);
        run.put("peak_rss_mb", peak);
        run.put("build_ms", buildMs);
        run.put("build_fraction", buildFraction);
        run.put("pipeline_builds", summary.builds().size());
        run.put("load_average_end", ProcessStats.loadAverage());
        log.printf("bench: job batch %d local[%d]: %.4f images/s (%.1f%% of bare), peak RSS %.0f MiB%n", batch, slots,
                ips, 100 * ips / bare, peak);
        return run;
    }
}
