// The `loras` and `textual_inversions` columns: an adapter set as Spark values, and back.
package io.diffusers4j.job.rows;

import io.diffusers4j.job.render.AdapterSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code loras}: {@code array<struct<name: string, scale: double, sha256: string>>}; {@code textual_inversions}:
 * {@code array<struct<name: string, token: string, sha256: string>>}. {@code name} is the path or Hub repo id as
 * the row gives it, {@code sha256} the SHA-256 of the file the executor loaded (null in the work table and in rows
 * that never reached the pipeline), {@code token} the token asked for (null: the file's). Null when none.
 */
public final class AdapterColumns {
    public static final DataType LORAS = DataTypes.createArrayType(DataTypes.createStructType(List.of(
            DataTypes.createStructField("name", DataTypes.StringType, false),
            DataTypes.createStructField("scale", DataTypes.DoubleType, false),
            DataTypes.createStructField("sha256", DataTypes.StringType, true))), false);
    public static final DataType TEXTUAL_INVERSIONS = DataTypes.createArrayType(DataTypes.createStructType(List.of(
            DataTypes.createStructField("name", DataTypes.StringType, false),
            DataTypes.createStructField("token", DataTypes.StringType, true),
            DataTypes.createStructField("sha256", DataTypes.StringType, true))), false);

    private AdapterColumns() {
    }

    /** The {@code loras} value of {@code set}, with the SHA-256 of each file by name (null: unknown). */
    public static Row[] loras(AdapterSet set, Map<String, String> sha256) {
        if (set.loras().isEmpty()) {
            return null;
        }
        List<Row> out = new ArrayList<>();
        for (AdapterSet.Lora l : set.loras()) {
            out.add(RowFactory.create(l.name(), l.scale(), sha256 == null ? null : sha256.get(l.name())));
        }
        return out.toArray(new Row[0]);
    }

    /** The {@code textual_inversions} value of {@code set}. */
    public static Row[] embeddings(AdapterSet set, Map<String, String> sha256) {
        if (set.embeddings().isEmpty()) {
            return null;
        }
        List<Row> out = new ArrayList<>();
        for (AdapterSet.Embedding e : set.embeddings()) {
            out.add(RowFactory.create(e.name(), e.token(), sha256 == null ? null : sha256.get(e.name())));
        }
        return out.toArray(new Row[0]);
    }

    /** The adapter set of a work row. */
    public static AdapterSet of(Row work) {
        List<AdapterSet.Lora> loras = new ArrayList<>();
        if (!work.isNullAt(WorkSchema.LORAS)) {
            for (Row r : work.<Row>getList(WorkSchema.LORAS)) {
                loras.add(new AdapterSet.Lora(r.getString(0), r.getDouble(1)));
            }
        }
        List<AdapterSet.Embedding> embeddings = new ArrayList<>();
        if (!work.isNullAt(WorkSchema.TEXTUAL_INVERSIONS)) {
            for (Row r : work.<Row>getList(WorkSchema.TEXTUAL_INVERSIONS)) {
                embeddings.add(new AdapterSet.Embedding(r.getString(0), r.isNullAt(1) ? null : r.getString(1)));
            }
        }
        return loras.isEmpty() && embeddings.isEmpty() ? AdapterSet.NONE : new AdapterSet(loras, embeddings);
    }
}
