// Spark's Parquet write support, plus the footer key "huggingface" (the datasets features of the columns).
package io.diffusers4j.job.output;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.execution.datasources.parquet.ParquetWriteSupport;

import java.util.HashMap;
import java.util.Map;

/**
 * Writes what Spark's {@link ParquetWriteSupport} writes and adds {@code huggingface = <FEATURES_KEY's value>} to
 * each file's key-value metadata (the write option lands in the task's Hadoop configuration).
 */
public class HfWriteSupport extends ParquetWriteSupport {
    /** The write option holding the footer's {@code huggingface} JSON. */
    public static final String FEATURES_KEY = "diffusers4j.parquet.huggingface";
    /** The footer key datasets reads ({@code datasets.Features.from_arrow_schema}). */
    public static final String FOOTER_KEY = "huggingface";

    /** Logs as Spark's write support (its schema dump at INFO stays under Spark's log level, as before). */
    @Override
    public String logName() {
        return ParquetWriteSupport.class.getName();
    }

    @Override
    public WriteContext init(Configuration configuration) {
        WriteContext context = super.init(configuration);
        String features = configuration.get(FEATURES_KEY);
        if (features == null) {
            return context;
        }
        Map<String, String> metadata = new HashMap<>(context.getExtraMetaData());
        metadata.put(FOOTER_KEY, features);
        return new WriteContext(context.getSchema(), metadata);
    }
}
