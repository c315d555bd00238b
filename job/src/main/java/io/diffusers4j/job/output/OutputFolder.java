// Reading the job's output folder back: its Parquet files only (the folder also holds README.md and _report).
package io.diffusers4j.job.output;

import io.diffusers4j.job.rows.OutputSchema;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The output folder is a Hugging Face dataset folder: Parquet files, the dataset card {@code README.md} and the run
 * report {@code _report/}. Spark skips {@code _}-prefixed paths but would read {@code README.md} as Parquet, so every
 * read of the output names the Parquet files ({@code pathGlobFilter = *.parquet}; partition folders still work).
 */
public final class OutputFolder {
    /** The reader option that keeps a folder read to its Parquet files. */
    public static final String PARQUET_ONLY = "*.parquet";

    private OutputFolder() {
    }

    /** A reader of the output's Parquet files. */
    public static DataFrameReader reader(SparkSession spark) {
        return spark.read().option("pathGlobFilter", PARQUET_ONLY);
    }

    /** The output rows, with the output schema. */
    public static Dataset<Row> read(SparkSession spark, String output) {
        return reader(spark).schema(OutputSchema.SCHEMA).parquet(output);
    }
}
