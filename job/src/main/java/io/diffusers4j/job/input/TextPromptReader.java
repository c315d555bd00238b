// Plain-text prompt files: one prompt a line.
package io.diffusers4j.job.input;

import io.diffusers4j.job.rows.PromptFields;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;

import java.util.Map;

/** One prompt a line (surrounding whitespace stripped); blank lines are skipped; every other field defaults. */
public final class TextPromptReader implements PromptReader {
    @Override
    public JavaRDD<RawRecord> read(SparkSession spark, String path) {
        return LineSource.read(spark, path).lines()
                .filter(l -> !l.text().isBlank())
                .map(l -> RawRecord.parsed(l.source(), l.number(), l.text(),
                        Map.of(PromptFields.PROMPT, l.text().strip())));
    }
}
