// The end-of-run report: counts, throughput and pipeline builds per executor, read back from what was committed.
package io.diffusers4j.job;

import io.diffusers4j.job.rows.OutputSchema;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/**
 * What a run produced, computed from the committed output rows of this run ({@code run_id}), so it counts
 * what is really in the table (a failed or speculative task attempt counts nothing). Reading back touches only
 * small columns, never the images.
 *
 * @param okImages          rows with status ok
 * @param errorRows         rows with status error
 * @param skipped           images skipped because already written with status ok (resume), else 0
 * @param seconds           wall time of the generate-and-write stage
 * @param renderMillis      summed per-image render time of ok images (pipeline time, all executors)
 * @param buildsPerExecutor executor id → distinct pipeline builds that rendered this run's images there
 */
public record JobSummary(String runId, String output, long okImages, long errorRows, long skipped, double seconds,
                         long renderMillis, Map<String, Long> buildsPerExecutor) {

    /** ok images per second of wall time. */
    public double imagesPerSecond() {
        return seconds <= 0 ? 0 : okImages / seconds;
    }

    static JobSummary read(SparkSession spark, String output, String runId, long skipped, double seconds) {
        Dataset<Row> mine = spark.read().schema(OutputSchema.SCHEMA).parquet(output)
                .where(col("run_id").equalTo(lit(runId)))
                .select("status", "executor_id", "pipeline_instance_id", "duration_ms");
        Row totals = mine.agg(
                sum(when(col("status").equalTo(OutputSchema.OK), 1).otherwise(0)).as("ok"),
                sum(when(col("status").equalTo(OutputSchema.ERROR), 1).otherwise(0)).as("error"),
                sum(when(col("status").equalTo(OutputSchema.OK), col("duration_ms")).otherwise(0)).as("render"),
                count(lit(1)).as("rows")).first();
        Map<String, Long> builds = new TreeMap<>();
        for (Row r : mine.where(col("pipeline_instance_id").isNotNull()).groupBy("executor_id")
                .agg(countDistinct("pipeline_instance_id")).collectAsList()) {
            builds.put(r.getString(0), r.getLong(1));
        }
        return new JobSummary(runId, output, longOrZero(totals, 0), longOrZero(totals, 1), skipped, seconds,
                longOrZero(totals, 2), builds);
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
        sb.append(String.format(Locale.ROOT, "  %.2f images/s (%.1f s generate+write; %.1f s of pipeline time)%n",
                imagesPerSecond(), seconds, renderMillis / 1000.0));
        sb.append("  pipeline builds per executor:");
        if (buildsPerExecutor.isEmpty()) {
            sb.append(" none");
        }
        for (Map.Entry<String, Long> e : buildsPerExecutor.entrySet()) {
            sb.append(' ').append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.toString();
    }
}
