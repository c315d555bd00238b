// Writes the job's output as a series of committed Parquet appends ("waves"), so a killed run keeps what it finished.
package io.diffusers4j.job;

import io.diffusers4j.job.output.HfFeatures;
import io.diffusers4j.job.output.HfParquetFormat;
import io.diffusers4j.job.output.HfWriteSupport;
import io.diffusers4j.job.rows.OutputSchema;
import io.diffusers4j.job.rows.WorkSchema;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * Spark commits a write when its last task finishes: a driver killed three hours into a single write leaves
 * nothing in the output (only an invisible {@code _temporary} folder). So the work is split into waves of about
 * {@code commit-every} images ({@code xxhash64(id, image_index) mod waves}: deterministic, every image in exactly
 * one wave), and each wave is its own committed append through the DataFrame writer:
 * <ul>
 *   <li>inside a wave Spark's commit protocol holds as before: task retries, speculation and lost executors leave
 *       neither duplicates nor partial files, and a wave is visible to readers only once committed;</li>
 *   <li>a run killed during wave k keeps waves 0..k-1; {@code --resume} skips their images (they are ok rows)
 *       and renders the rest;</li>
 *   <li>each image is still rendered once per run: a wave's write is the only action over its rendered rows.</li>
 * </ul>
 * A killed run leaves the committed task files of its unfinished wave under {@code output/_temporary}; Hadoop's
 * committer would merge them into the output at the next job commit in that folder (duplicating images the
 * resumed run renders again), so {@link #clearUncommitted} removes them first.
 */
final class WaveWriter {
    private static final Logger LOG = LoggerFactory.getLogger(WaveWriter.class);
    /** Hadoop FileOutputCommitter's staging folder inside the output. */
    static final String TEMPORARY = "_temporary";
    /** Micro-batches per task and wave for {@code commit-every = auto}. */
    private static final int AUTO_BATCHES_PER_TASK = 8;
    private static final long AUTO_MIN_IMAGES = 64;

    private WaveWriter() {
    }

    /** Images per wave: {@code configured} (-1 = auto: partitions x batch size x 8, at least 64; 0 = all). */
    static long waveSize(long configured, int partitions, int batchSize) {
        if (configured >= 0) {
            return configured;
        }
        return Math.max(AUTO_MIN_IMAGES, (long) partitions * batchSize * AUTO_BATCHES_PER_TASK);
    }

    /** The number of waves for {@code images} images of {@code perWave} each (0 = one wave). */
    static int waveCount(long images, long perWave) {
        if (perWave <= 0 || images <= perWave) {
            return 1;
        }
        return (int) Math.min(Integer.MAX_VALUE, (images + perWave - 1) / perWave);
    }

    /**
     * Deletes {@code output/_temporary}: files of a run that was killed before its commit. They are not part of
     * the output (readers skip {@code _}-prefixed paths) but the next commit would merge them in.
     *
     * @return whether there was such a folder
     */
    static boolean clearUncommitted(SparkSession spark, String output) {
        try {
            Path tmp = new Path(output, TEMPORARY);
            FileSystem fs = tmp.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(tmp)) {
                return false;
            }
            LOG.warn("removing {}: uncommitted files of an earlier run of this output that was killed before it "
                    + "committed (they are not part of the output; --resume renders those images again)", tmp);
            if (!fs.delete(tmp, true)) {
                throw new IOException("delete returned false");
            }
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the uncommitted files in " + output + "/" + TEMPORARY, e);
        }
    }

    /**
     * Renders and writes {@code work} ({@link WorkSchema} rows, persisted by the caller) in {@code waves}
     * committed writes; the first honours {@code mode}, the rest append.
     */
    static void write(SparkSession spark, Dataset<Row> work, int waves, int partitions, PartitionGenerator generator,
                      String output, String mode, String partitionBy) {
        warnIfTaskOutputIsVisibleEarly(spark);
        Column wave = pmod(xxhash64(col("id"), col("image_index")), lit(waves));
        String features = HfFeatures.footerJson(OutputSchema.SCHEMA,
                partitionBy == null ? List.of() : List.of(partitionBy));
        for (int w = 0; w < waves; w++) {
            Dataset<Row> slice = waves == 1 ? work : work.where(wave.equalTo(lit(w)));
            JavaRDD<Row> out = slice.repartition(partitions).javaRDD().mapPartitions(generator);
            boolean overwrite = w == 0 && mode.equals("overwrite");
            // Spark's Parquet, with INT64 timestamps and the datasets features in each footer (HfParquetFormat)
            DataFrameWriter<Row> writer = spark.createDataFrame(out, OutputSchema.SCHEMA).write()
                    .format(HfParquetFormat.class.getName()).option(HfWriteSupport.FEATURES_KEY, features)
                    .mode(overwrite ? SaveMode.Overwrite : SaveMode.Append);
            if (partitionBy != null) {
                writer = writer.partitionBy(partitionBy);
            }
            writer.save(output);
            if (waves > 1) {
                LOG.info("wave {} of {} committed to {}", w + 1, waves, output);
            }
        }
    }

    /** Version 2 of Hadoop's file committer moves each task's files into the output at task commit. */
    private static void warnIfTaskOutputIsVisibleEarly(SparkSession spark) {
        String v = spark.sparkContext().hadoopConfiguration()
                .get("mapreduce.fileoutputcommitter.algorithm.version", "1").trim();
        if (v.equals("2")) {
            LOG.warn("mapreduce.fileoutputcommitter.algorithm.version=2 moves each task's files into the output when "
                    + "the task ends: a run killed mid-wave leaves part of that wave visible. Use version 1 (the "
                    + "default) for all-or-nothing waves.");
        }
    }
}
