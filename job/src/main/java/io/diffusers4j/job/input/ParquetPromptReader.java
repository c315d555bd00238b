// Parquet prompt datasets: one prompt row a table row, columns named like diffusers' call arguments.
package io.diffusers4j.job.input;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.collection.JavaConverters;
import scala.collection.Seq;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

/**
 * A Parquet file or folder. Each row's position is its file's base name and its 1-based row number within that
 * file (Spark's {@code _metadata.row_index}), so derived ids do not depend on splits; its raw text is the row as
 * JSON. Integer columns become longs, floating and decimal ones doubles, strings stay strings (the validator
 * parses them as for CSV), arrays lists of those (a custom schedule); nested or binary columns are reported by the
 * field that needs a scalar.
 */
public final class ParquetPromptReader implements PromptReader {
    private static final String FILE = "__d4j_file";
    private static final String ROW = "__d4j_row";
    private static final String RAW = "__d4j_raw";

    @Override
    public JavaRDD<RawRecord> read(SparkSession spark, String path) {
        LineSource.requireExists(spark.sparkContext().hadoopConfiguration(), path);
        Dataset<Row> df = spark.read().parquet(path);
        String[] names = df.columns();
        List<Column> cols = new ArrayList<>();
        for (String n : names) {
            cols.add(col(quote(n)));
        }
        cols.add(col("_metadata.file_name").as(FILE));
        cols.add(col("_metadata.row_index").as(ROW));
        cols.add(to_json(struct(cols.subList(0, names.length).toArray(new Column[0]))).as(RAW));
        Dataset<Row> withMeta = df.select(cols.toArray(new Column[0]));
        StructField[] fields = df.schema().fields();
        return withMeta.javaRDD().map(r -> toRecord(r, fields));
    }

    private static String quote(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    private static RawRecord toRecord(Row r, StructField[] columns) {
        int n = columns.length;
        String file = r.getString(n);
        long row = r.getLong(n + 1) + 1;
        String raw = r.getString(n + 2);
        Map<String, Object> fields = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            if (!r.isNullAt(i)) {
                Object v = r.get(i); // a struct is read only inside an array (adapter entries)
                fields.put(columns[i].name(), v instanceof Row ? new RawRecord.NonScalar("a "
                        + columns[i].dataType().simpleString() + " value") : value(v, columns[i]));
            }
        }
        return RawRecord.parsed(file, row, raw, fields);
    }

    private static Object value(Object v, StructField column) {
        if (v instanceof String || v instanceof Boolean) {
            return v;
        }
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Double || v instanceof Float) {
            return ((Number) v).doubleValue();
        }
        if (v instanceof BigDecimal d) {
            return d.doubleValue();
        }
        if (v instanceof Seq<?> seq && column.dataType() instanceof ArrayType array) {
            List<Object> items = new ArrayList<>(seq.size());
            StructField element = new StructField(column.name(), array.elementType(), true, Metadata.empty());
            for (Object item : JavaConverters.seqAsJavaList(seq)) {
                items.add(item == null ? null : value(item, element));
            }
            return items;
        }
        if (v instanceof Row struct && column.dataType() instanceof StructType type) { // an adapter entry
            Map<String, Object> out = new LinkedHashMap<>();
            StructField[] fields = type.fields();
            for (int i = 0; i < fields.length; i++) {
                if (!struct.isNullAt(i)) {
                    Object item = struct.get(i);
                    out.put(fields[i].name(), item instanceof Row || item instanceof Seq<?>
                            ? new RawRecord.NonScalar("a " + fields[i].dataType().simpleString() + " value")
                            : value(item, fields[i]));
                }
            }
            return out;
        }
        return new RawRecord.NonScalar("a " + column.dataType().simpleString() + " value");
    }
}
