// The datasets features of an output schema: the footer's JSON and the dataset card's YAML list.
package io.diffusers4j.job.output;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Maps Spark column types onto Hugging Face {@code datasets} features ({@code Features.to_dict()} form):
 * strings, int32/int64, float64, bool, {@code timestamp[us, tz=UTC]}, a list as {@code Sequence}, and the
 * {@code struct<bytes, path>} columns {@code image} as {@code Image} and {@code audio} as {@code Audio}.
 */
public final class HfFeatures {
    private static final String TIMESTAMP = "timestamp[us, tz=UTC]";

    private HfFeatures() {
    }

    /** {@code {"info": {"features": {...}}}}: the footer value datasets reads; {@code skip}: columns not in files. */
    public static String footerJson(StructType schema, List<String> skip) {
        JsonObject features = new JsonObject();
        for (StructField f : schema.fields()) {
            if (!skip.contains(f.name())) {
                features.add(f.name(), feature(f));
            }
        }
        JsonObject info = new JsonObject();
        info.add("features", features);
        JsonObject root = new JsonObject();
        root.add("info", info);
        return root.toString();
    }

    private static JsonElement feature(StructField f) {
        if (f.dataType() instanceof ArrayType a && a.elementType() instanceof StructType element) {
            // a list of structs (the adapter columns): datasets' [{"field": Value, ...}]
            JsonObject fields = new JsonObject();
            for (StructField e : element.fields()) {
                JsonObject v = new JsonObject();
                v.addProperty("dtype", dtype(f.name() + "." + e.name(), e.dataType()));
                v.addProperty("_type", "Value");
                fields.add(e.name(), v);
            }
            JsonArray list = new JsonArray();
            list.add(fields);
            return list;
        }
        JsonObject o = new JsonObject();
        String media = media(f);
        if (media != null) {
            o.addProperty("_type", media);
            return o;
        }
        if (f.dataType() instanceof ArrayType a) {
            JsonObject inner = new JsonObject();
            inner.addProperty("dtype", dtype(f.name(), a.elementType()));
            inner.addProperty("_type", "Value");
            o.add("feature", inner);
            o.addProperty("_type", "Sequence");
            return o;
        }
        o.addProperty("dtype", dtype(f.name(), f.dataType()));
        o.addProperty("_type", "Value");
        return o;
    }

    /** The dataset card's {@code dataset_info.features} YAML lines (two-space indented under {@code features:}). */
    public static List<String> cardYaml(StructType schema, List<String> skip) {
        List<String> lines = new ArrayList<>();
        for (StructField f : schema.fields()) {
            if (skip.contains(f.name())) {
                continue;
            }
            lines.add("  - name: " + f.name());
            String media = media(f);
            if (media != null) {
                lines.add("    dtype: " + media.toLowerCase(Locale.ROOT));
            } else if (f.dataType() instanceof ArrayType a && a.elementType() instanceof StructType element) {
                lines.add("    list:");
                for (StructField e : element.fields()) {
                    lines.add("    - name: " + e.name());
                    lines.add("      dtype: \"" + dtype(f.name() + "." + e.name(), e.dataType()) + "\"");
                }
            } else if (f.dataType() instanceof ArrayType a) {
                lines.add("    sequence: " + dtype(f.name(), a.elementType()));
            } else {
                lines.add("    dtype: \"" + dtype(f.name(), f.dataType()) + "\"");
            }
        }
        return lines;
    }

    /** {@code Image} for the {@code image} column, {@code Audio} for {@code audio} (both struct<bytes, path>). */
    private static String media(StructField f) {
        boolean storage = f.dataType() instanceof StructType s && s.fieldNames().length == 2
                && s.fieldNames()[0].equals("bytes") && s.fieldNames()[1].equals("path");
        if (!storage) {
            return null;
        }
        return switch (f.name()) {
            case "image" -> "Image";
            case "audio" -> "Audio";
            default -> throw new IllegalStateException("column " + f.name() + ": a bytes/path struct that is neither "
                    + "image nor audio");
        };
    }

    private static String dtype(String column, DataType t) {
        if (t.equals(DataTypes.StringType)) {
            return "string";
        } else if (t.equals(DataTypes.IntegerType)) {
            return "int32";
        } else if (t.equals(DataTypes.LongType)) {
            return "int64";
        } else if (t.equals(DataTypes.DoubleType)) {
            return "float64";
        } else if (t.equals(DataTypes.BooleanType)) {
            return "bool";
        } else if (t.equals(DataTypes.BinaryType)) {
            return "binary";
        } else if (t.equals(DataTypes.TimestampType)) {
            return TIMESTAMP;
        }
        throw new IllegalStateException("column " + column + ": no datasets feature for " + t.simpleString());
    }
}
