// `bench --job N`: the Spark job against the bare pipeline on the same N prompts, in the same process.
package io.diffusers4j.bench;

import io.diffusers4j.image.Png;
import io.diffusers4j.job.JobCommand;
import io.diffusers4j.job.DiffusionJob;
import io.diffusers4j.job.JobConfig;
import io.diffusers4j.job.JobMain;
import io.diffusers4j.job.JobSummary;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.pipelines.ProgressListener;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.utils.AtomicFiles;
import io.diffusers4j.utils.TorchGenerator;
import org.apache.spark.sql.SparkSession;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders N prompts (seed {@code seed + i} each) twice: with the bare pipeline (one call per micro-batch of
 * {@code --batch} prompts, then PNG encoding, one after the other: what a plain library user writes), and with the
 * Spark job in local mode on the same checkpoint, batch size, steps and size (the job builds its own pipeline on its
 * executor and writes Parquet). Job throughput counts the whole {@code DiffusionJob.run} (reading the prompts, the
 * executor's pipeline build, rendering, PNG encoding, the Parquet write and the summary read-back); the Spark session
 * start is reported separately. Pipeline builds per executor come from the job's own output rows.
 */
final class JobBench {
    private JobBench() {
    }

    /** Runs both; closes {@code sd} after the bare run (the job loads its own pipeline). */
    static void run(BenchPipeline sd, Path modelDir, BenchOptions o, BenchReport r, PrintStream log)
            throws IOException {
        int n = o.job();
        List<String> prompts = StageBench.prompts(n, 0);
        double bareMs;
        try {
            log.printf("bench: bare pipeline on %d prompts ...%n", n);
            long start = System.nanoTime();
            renderBare(sd, o, prompts, o.batch());
            bareMs = (System.nanoTime() - start) / 1e6;
        } finally {
            sd.close();
        }
        double bare = n * 1000.0 / bareMs;
        log.printf("bench: bare %.3f images/s; now the Spark job ...%n", bare);

        Path tmp = Files.createTempDirectory("d4j-bench-job-");
        try {
            Path promptFile = writePrompts(tmp, prompts, o.seed());
            List<String> args = jobArgs(promptFile, tmp.resolve("out"), modelDir, o, o.batch(), o.master());
            JobConfig cfg = JobCommand.parse(args.toArray(new String[0])).toConfig();
            long start = System.nanoTime();
            SparkSession spark = JobMain.session(cfg);
            double sessionMs = (System.nanoTime() - start) / 1e6;
            JobSummary summary;
            double jobMs;
            try {
                start = System.nanoTime();
                summary = DiffusionJob.run(spark, cfg);
                jobMs = (System.nanoTime() - start) / 1e6;
            } finally {
                spark.stop();
            }
            double job = summary.okImages() * 1000.0 / jobMs;
            long maxBuilds = summary.buildsPerExecutor().values().stream().mapToLong(Long::longValue).max()
                    .orElse(0);
            r.put("job_images", n).put("job_ok_images", summary.okImages()).put("job_master", o.master())
                    .put("job_images_per_s", job).put("bare_images_per_s", bare).put("job_fraction_of_bare", job / bare)
                    .put("job_ms", jobMs).put("bare_ms", bareMs).put("job_write_stage_ms", summary.seconds() * 1000)
                    .put("spark_session_start_ms", sessionMs)
                    .put("pipeline_builds_per_executor", maxBuilds)
                    .put("pipeline_builds_by_executor", summary.buildsPerExecutor())
                    .put("job_peak_rss_mb", ProcessStats.peakRssMb());
            r.section(String.format(Locale.ROOT, "Spark job vs bare pipeline (%d prompts, batch %d, "
                    + "%d steps, master %s)", n, o.batch(), o.steps(), o.master()));
            r.row("bare pipeline (calls + PNG, sequential)", "%10.0f ms   %.3f images/s", bareMs, bare);
            r.row("job (DiffusionJob.run)", "%10.0f ms   %.3f images/s = %.1f%% of bare", jobMs, job,
                    100 * job / bare);
            r.row("  of which generate + write stage", "%10.0f ms", summary.seconds() * 1000);
            r.row("Spark session start (not counted)", "%10.0f ms", sessionMs);
            r.row("ok images", "%d of %d", summary.okImages(), n);
            r.row("pipeline builds per executor", "%s", summary.buildsPerExecutor());
        } finally {
            AtomicFiles.deleteTree(tmp);
        }
    }
    /** Renders {@code prompts} with the bare pipeline, one call per micro-batch of {@code batch}, then PNG bytes. */
    static void renderBare(BenchPipeline sd, BenchOptions o, List<String> prompts, int batch) throws IOException {
        int n = prompts.size();
        for (int i = 0; i < n; i += batch) {
            int end = Math.min(n, i + batch);
            List<TorchGenerator> gens = new ArrayList<>();
            for (int j = i; j < end; j++) {
                gens.add(new TorchGenerator(o.seed() + j));
            }
            ImagePipelineOutput out = (ImagePipelineOutput) sd.pipeline().call(new PipelineCall()
                    .prompt(prompts.subList(i, end)).numInferenceSteps(o.steps()).guidanceScale(StageBench.GUIDANCE)
                    .height(o.height()).width(o.width()).generators(gens).outputType("pil")
                    .progress(ProgressListener.NONE));
            for (BufferedImage image : out.images()) {
                Png.write(image, Map.of());
            }
        }
    }

    /** The prompts as the job's JSONL input ({@code bench-i}, seed {@code seed + i}) in {@code dir}. */
    static Path writePrompts(Path dir, List<String> prompts, long seed) throws IOException {
        Path promptFile = dir.resolve("prompts.jsonl");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < prompts.size(); i++) {
            lines.append("{\"id\": \"bench-").append(i).append("\", \"prompt\": \"").append(prompts.get(i))
                    .append("\", \"seed\": ").append(seed + i).append("}\n");
        }
        Files.writeString(promptFile, lines, StandardCharsets.UTF_8);
        return promptFile;
    }

    /** The {@code job} arguments of a bench run: the bench's checkpoint, steps, size, dtype and device. */
    static List<String> jobArgs(Path promptFile, Path out, Path modelDir, BenchOptions o, int batch, String master) {
        List<String> args = new ArrayList<>(List.of("--prompts", promptFile.toString(), "--output", out.toString(),
                "--model", modelDir.toAbsolutePath().toString(), "--batch-size", Integer.toString(batch), "--steps",
                Integer.toString(o.steps()), "--guidance-scale", Double.toString(StageBench.GUIDANCE), "--width",
                Integer.toString(o.width()), "--height", Integer.toString(o.height()), "--dtype", o.dtype(),
                "--master", master));
        // the bench's device, never the job's "auto" (bfloat16 compute is refused unless the device is the CPU)
        args.addAll(List.of("--set", "diffusers4j.pipeline.device=" + (o.device().equals("gpu") ? "gpu:0" : "cpu")));
        args.addAll(o.jobOptions());
        return args;
    }
}
