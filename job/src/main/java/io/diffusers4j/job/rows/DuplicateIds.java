// Ids are unique across the input: a row that repeats an earlier row's id becomes an error row naming that row.
package io.diffusers4j.job.rows;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

import java.util.ArrayList;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

/**
 * {@code --resume} skips an image when its {@code (id, image_index)} is already in the output with status ok,
 * and the report names sample files after ids: two input rows with one id would make the second one's images
 * "already done" (silently skipped) or overwrite each other's samples. So the first row with an id, in input
 * order (file base name, then line or row number within the file), keeps it, and every later row with that id
 * becomes one error row:
 * <pre>
 *   duplicate id "same": prompts.jsonl:1 has it first (ids must be unique: --resume and the report key images by id)
 * </pre>
 * The rule depends on the input only, not on partitioning or earlier runs, so a resumed run makes the same
 * choice. Rows whose id was derived (no {@code id} field) cannot collide: the derivation hashes file and line.
 */
public final class DuplicateIds {
    private static final String LOCATION = "^(.*):(\\d+)$";

    private DuplicateIds() {
    }

    /**
     * {@code work} ({@link WorkSchema} rows) with every row whose id an earlier input row has turned into one error
     * row (image 0 only; its own validation error, if any, kept in front of the message). One shuffle by id into
     * {@code partitions} partitions (the input's count: Spark's default of 200 shuffle partitions would be 200
     * tasks for a few prompts, and adaptive execution does not coalesce a plan that is cached).
     */
    public static Dataset<Row> reject(Dataset<Row> work, int partitions) {
        Column file = regexp_extract(col("source"), LOCATION, 1);
        Column line = regexp_extract(col("source"), LOCATION, 2).cast("long");
        Column first = min(struct(file.as("file"), line.as("line"), col("source").as("source")))
                .over(Window.partitionBy(col("id")));
        Dataset<Row> marked = work.repartition(Math.max(1, partitions), col("id")).withColumn("_first", first);
        Column duplicate = col("_first.file").notEqual(file).or(col("_first.line").notEqual(line));
        Column message = concat(lit("duplicate id \""), col("id"), lit("\": "), col("_first.source"),
                lit(" has it first (ids must be unique: --resume and the report key images by id)"));
        List<Column> columns = new ArrayList<>();
        for (String name : WorkSchema.SCHEMA.fieldNames()) {
            switch (name) {
                case "status" -> columns.add(when(duplicate, lit(WorkSchema.ERROR)).otherwise(col(name)).as(name));
                case "error" -> columns.add(when(duplicate, when(col(name).isNull(), message)
                        .otherwise(concat(col(name), lit("; "), message))).otherwise(col(name)).as(name));
                default -> columns.add(col(name));
            }
        }
        return marked.where(not(duplicate).or(col("image_index").equalTo(0)))
                .select(columns.toArray(new Column[0]));
    }
}
