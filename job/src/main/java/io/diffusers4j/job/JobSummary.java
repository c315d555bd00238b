// The end-of-run report: counts, throughput and pipeline builds per executor, read back from what was committed.
package io.diffusers4j.job;

import io.diffusers4j.job.output.OutputFolder;
import io.diffusers4j.job.progress.JobMetrics;
import io.diffusers4j.job.report.RunReport;
import io.diffusers4j.job.rows.OutputSchema;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/**
 * What a run produced, computed from the committed output rows of this run ({@code run_id}), so it counts
 * what is really in the table (a failed or speculative task attempt counts nothing). Reading back is one small
 * aggregation over small columns, never the images.
 *
 * @param output            the output folder (a local path for file: outputs, else its URI)
 * @param okImages          rows with status ok
 * @param errorRows         rows with status error
 * @param skipped           images skipped because already written with status ok (resume), else 0
 * @param planned           output rows this run set out to write (images to render and error rows), counted on
 *                          the driver before rendering: the progress line's total
 * @param seconds           wall time of the generate-and-write stage
 * @param totalSeconds      wall time of the whole run, from the start of the command (JVM start for
 *                          {@code diffusers4j job} and spark-submit: Spark's start-up, reading and validating the
 *                          prompts included) to the end of the write
 * @param renderMillis      summed per-image render time of ok images (pipeline time, all executors)
 * @param buildsPerExecutor executor id → distinct pipeline builds that rendered this run's images there
 * @param executors         per-executor figures, by executor id
 * @param builds            the pipeline builds that rendered this run's images, with their build times
 * @param report            where the run report and sample images were written; null when none was
 */
public record JobSummary(String runId, String output, long okImages, long errorRows, long skipped, long planned,
                         double seconds, double totalSeconds,
                         long renderMillis, Map<String, Long> buildsPerExecutor, List<ExecutorFigures> executors,
                         List<JobMetrics.Build> builds, ReportFiles report) {

    /** One executor's share of the run. */
    public record ExecutorFigures(String executorId, long okImages, long errorRows, long renderMillis,
                                  long pipelineBuilds) {
        /** Mean pipeline milliseconds per ok image. */
        public double millisPerImage() {
            return okImages == 0 ? 0 : (double) renderMillis / okImages;
        }
    }

    /** The report page and the sample PNGs (display paths: local paths for file:, else URIs). */
    public record ReportFiles(String index, List<String> samples) {
    }

    /** ok images per second of wall time. */
    public double imagesPerSecond() {
        return seconds <= 0 ? 0 : okImages / seconds;
    }

    /** This summary with the report's files. */
    public JobSummary withReport(ReportFiles files) {
        return new JobSummary(runId, output, okImages, errorRows, skipped, planned, seconds, totalSeconds,
                renderMillis, buildsPerExecutor, executors, builds, files);
    }

    static JobSummary read(SparkSession spark, String output, String runId, long skipped, long planned,
                           double seconds, double totalSeconds, List<JobMetrics.Build> builds) {
        List<Row> perExecutor = OutputFolder.read(spark, output)
                .where(col("run_id").equalTo(lit(runId)))
                .groupBy(col("executor_id"))
                .agg(sum(when(col("status").equalTo(OutputSchema.OK), 1L).otherwise(0L)).as("ok"),
                        sum(when(col("status").equalTo(OutputSchema.ERROR), 1L).otherwise(0L)).as("error"),
                        sum(when(col("status").equalTo(OutputSchema.OK), col("duration_ms")).otherwise(0L))
                                .as("render"),
                        countDistinct(col("pipeline_instance_id")).as("builds"))
                .collectAsList();
        List<ExecutorFigures> executors = new ArrayList<>();
        Map<String, Long> buildsPerExecutor = new TreeMap<>();
        long ok = 0;
        long errors = 0;
        long render = 0;
        for (Row r : perExecutor) {
            String executor = r.isNullAt(0) ? "unknown" : r.getString(0);
            ExecutorFigures f = new ExecutorFigures(executor, longOrZero(r, 1), longOrZero(r, 2), longOrZero(r, 3),
                    longOrZero(r, 4));
            executors.add(f);
            ok += f.okImages();
            errors += f.errorRows();
            render += f.renderMillis();
            if (f.pipelineBuilds() > 0) {
                buildsPerExecutor.put(executor, f.pipelineBuilds());
            }
        }
        executors.sort(Comparator.comparing(ExecutorFigures::executorId));
        String shown = RunReport.display(spark.sparkContext().hadoopConfiguration(), output);
        return new JobSummary(runId, shown, ok, errors, skipped, planned, seconds, totalSeconds, render,
                buildsPerExecutor, List.copyOf(executors), List.copyOf(builds), null);
    }

    private static long longOrZero(Row r, int i) {
        return r.isNullAt(i) ? 0 : r.getLong(i);
    }

    /** The text printed at the end of a run. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("diffusers4j job ").append(runId).append(" -> ").append(output).append('\n');
        sb.append(String.format(Locale.ROOT, "  ok images: %d, error rows: %d", okImages, errorRows));
        if (skipped > 0) {
            sb.append(", skipped (already ok): ").append(skipped);
        }
        sb.append('\n');
        sb.append(String.format(Locale.ROOT,
                "  %.2f images/s (%.1f s generate+write; %.1f s of pipeline time; %.1f s in all)%n",
                imagesPerSecond(), seconds, renderMillis / 1000.0, totalSeconds));
        sb.append("  pipeline builds per executor:");
        if (buildsPerExecutor.isEmpty()) {
            sb.append(" none");
        }
        for (Map.Entry<String, Long> e : buildsPerExecutor.entrySet()) {
            sb.append(' ').append(e.getKey()).append('=').append(e.getValue());
        }
        sb.append('\n').append("  parquet: ").append(output);
        if (report != null) {
            sb.append('\n').append("  report: ").append(report.index());
            if (!report.samples().isEmpty()) {
                sb.append('\n').append("  sample images:");
                for (String s : report.samples()) {
                    sb.append('\n').append("    ").append(s);
                }
            }
        }
        return sb.toString();
    }
}
