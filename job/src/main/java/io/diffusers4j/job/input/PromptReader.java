// A reader of one prompt dataset format (the parsing itself runs in Spark tasks).
package io.diffusers4j.job.input;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;

/**
 * Reads a prompt dataset into {@link RawRecord}s: one per non-blank line (text formats) or per row (Parquet).
 * A line that cannot be parsed becomes a malformed record, never an exception and never a dropped line.
 * Parsing happens inside Spark tasks; the driver only plans (and, for text formats, counts lines per split).
 */
public interface PromptReader {
    JavaRDD<RawRecord> read(SparkSession spark, String path);
}
