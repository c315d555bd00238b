// Spark's Parquet output with what Hugging Face datasets reads: INT64 microsecond timestamps and its features.
package io.diffusers4j.job.output;

import org.apache.hadoop.mapreduce.Job;
import org.apache.parquet.hadoop.ParquetOutputFormat;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.OutputWriterFactory;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat;
import org.apache.spark.sql.types.StructType;
import scala.collection.immutable.Map;

/**
 * Spark's own Parquet file format (same commit protocol, same files) with two changes for training tools:
 * timestamps are written as INT64 microseconds (Spark's default is the legacy INT96, which pyarrow reads only with
 * a flag), and every file's footer carries the {@code huggingface} key-value metadata ({@link HfFeatures}) that
 * {@code datasets.load_dataset("parquet", ...)} reads its features from, so {@code image} loads as a PIL image
 * without a cast. Spark 3.5 offers no option for footer metadata, so the write support is swapped for
 * {@link HfWriteSupport} after Spark's own preparation. Use it as
 * {@code df.write().format(HfParquetFormat.class.getName()).option(HfWriteSupport.FEATURES_KEY, json)}.
 */
public class HfParquetFormat extends ParquetFileFormat {
    private static final long serialVersionUID = 1L;
    static final String TIMESTAMP_TYPE_KEY = "spark.sql.parquet.outputTimestampType";

    @Override
    public OutputWriterFactory prepareWrite(SparkSession session, Job job, Map<String, String> options,
                                            StructType dataSchema) {
        OutputWriterFactory factory = super.prepareWrite(session, job, options, dataSchema);
        job.getConfiguration().set(TIMESTAMP_TYPE_KEY, "TIMESTAMP_MICROS");
        job.getConfiguration().set(ParquetOutputFormat.WRITE_SUPPORT_CLASS, HfWriteSupport.class.getName());
        return factory;
    }

    @Override
    public String toString() {
        return "Parquet (Hugging Face datasets features)";
    }
}
