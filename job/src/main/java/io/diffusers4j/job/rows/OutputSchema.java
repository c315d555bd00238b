// The job's output table (Parquet): one row per image, with the full generation parameters and provenance.
package io.diffusers4j.job.rows;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Output columns. One row per image (its generation parameters as used: steps, guidance, size and scheduler
 * with the pipeline's defaults filled in; {@code prompt_2}, {@code negative_prompt_2}, {@code prompt_3},
 * {@code negative_prompt_3}, {@code timesteps}, {@code sigmas} as given, null when not; {@code max_sequence_length}
 * the T5 prompt length used, null for pipelines without a T5 encoder; {@code loras} / {@code textual_inversions} the adapters, each with the
 * SHA-256 of the file the image was rendered with, null when the row lists none) ({@code image_index} 0..n-1 of its prompt row, {@code seed} the seed that
 * image was drawn with), or one row per unusable input row. {@code status} is "ok" or "error"; on error
 * {@code error} says why, {@code image} is null and {@code raw} holds the input text. {@code image} holds the PNG;
 * an audio pipeline's rows have {@code audio} (WAV bytes and a file name) with its {@code sample_rate} and
 * {@code audio_length_s} instead, and no width or height.
 * {@code pipeline_instance_id} names the pipeline build that rendered the image (one per build per executor
 * JVM); {@code duration_ms} is the image's share of its batch's wall time, {@code batch_size} that batch's size;
 * {@code run_id} names the job run (several runs may append to one output).
 *
 * <p>Training tools read it directly: {@code image} is the Hugging Face {@code datasets} Image layout
 * {@code struct<bytes: binary, path: string>} (PNG bytes and {@code <id>-<image_index>.png}), {@code caption} the
 * prompt, {@code created_at} an INT64 microsecond timestamp. Rows of a dataset plan also have {@code template_id}
 * and {@code slots} (a JSON object: slot name → chosen value; a JSON string rather than a Parquet map, which
 * {@code datasets.load_dataset} refuses, huggingface/datasets#5612); both are null for prompt-file rows.
 */
public final class OutputSchema {
    public static final String OK = "ok";
    public static final String ERROR = "error";

    /** The {@code image} column: the Hugging Face datasets Image feature's storage. */
    public static final StructType IMAGE = new StructType(new StructField[] {
        DataTypes.createStructField("bytes", DataTypes.BinaryType, true),
        DataTypes.createStructField("path", DataTypes.StringType, true)});

    /** A custom schedule column: {@code timesteps} or {@code sigmas}. */
    private static final DataType NUMBERS = DataTypes.createArrayType(DataTypes.DoubleType, false);

    /**
     * The {@code audio} column of audio pipelines, as a Hugging Face {@code datasets.Audio} feature stores it:
     * {@code bytes} (a WAV file) and {@code path} (its name, {@code <id>-<image_index>.wav}).
     */
    public static final StructType AUDIO = new StructType(new StructField[] {
        DataTypes.createStructField("bytes", DataTypes.BinaryType, true),
        DataTypes.createStructField("path", DataTypes.StringType, true)});

    /** The generation parameters, {@code id} to {@code textual_inversions}: the first columns of this and the work table. */
    private static final List<StructField> PARAMETERS = List.of(
        DataTypes.createStructField("id", DataTypes.StringType, false),
        DataTypes.createStructField("prompt", DataTypes.StringType, true),
        DataTypes.createStructField("negative_prompt", DataTypes.StringType, true),
        DataTypes.createStructField("seed", DataTypes.LongType, true),
        DataTypes.createStructField("num_inference_steps", DataTypes.IntegerType, true),
        DataTypes.createStructField("guidance_scale", DataTypes.DoubleType, true),
        DataTypes.createStructField("width", DataTypes.IntegerType, true),
        DataTypes.createStructField("height", DataTypes.IntegerType, true),
        DataTypes.createStructField("scheduler", DataTypes.StringType, true),
        DataTypes.createStructField("prompt_2", DataTypes.StringType, true),
        DataTypes.createStructField("negative_prompt_2", DataTypes.StringType, true),
        DataTypes.createStructField("prompt_3", DataTypes.StringType, true),
        DataTypes.createStructField("negative_prompt_3", DataTypes.StringType, true),
        DataTypes.createStructField("max_sequence_length", DataTypes.IntegerType, true),
        DataTypes.createStructField("timesteps", NUMBERS, true),
        DataTypes.createStructField("sigmas", NUMBERS, true),
        DataTypes.createStructField("loras", AdapterColumns.LORAS, true),
        DataTypes.createStructField("textual_inversions", AdapterColumns.TEXTUAL_INVERSIONS, true));

    public static final StructType SCHEMA = withParameters(
        DataTypes.createStructField("model", DataTypes.StringType, true),
        DataTypes.createStructField("status", DataTypes.StringType, false),
        DataTypes.createStructField("error", DataTypes.StringType, true),
        DataTypes.createStructField("raw", DataTypes.StringType, true),
        DataTypes.createStructField("image", OutputSchema.IMAGE, true),
        DataTypes.createStructField("audio", AUDIO, true),
        DataTypes.createStructField("sample_rate", DataTypes.IntegerType, true),
        DataTypes.createStructField("audio_length_s", DataTypes.DoubleType, true),
        DataTypes.createStructField("image_index", DataTypes.IntegerType, false),
        DataTypes.createStructField("executor_id", DataTypes.StringType, true),
        DataTypes.createStructField("pipeline_instance_id", DataTypes.StringType, true),
        DataTypes.createStructField("duration_ms", DataTypes.LongType, true),
        DataTypes.createStructField("created_at", DataTypes.TimestampType, false),
        DataTypes.createStructField("batch_size", DataTypes.IntegerType, true),
        DataTypes.createStructField("source", DataTypes.StringType, true),
        DataTypes.createStructField("run_id", DataTypes.StringType, false),
        DataTypes.createStructField("template_id", DataTypes.StringType, true),
        DataTypes.createStructField("slots", DataTypes.StringType, true),
        DataTypes.createStructField("caption", DataTypes.StringType, true));

    /** The columns that hold the rendered files (binary): no column to partition by. */
    public static final Set<String> MEDIA = Set.of("image", "audio");

    /** Column names, in order. */
    public static final List<String> COLUMNS = Arrays.asList(SCHEMA.fieldNames());

    private OutputSchema() {
    }

    /** The {@code image} value of a PNG: its bytes and its file name {@code <id>-<image_index>.png}. */
    public static Row image(String id, int imageIndex, byte[] png) {
        return png == null ? null : RowFactory.create(png, imagePath(id, imageIndex));
    }

    /** {@code <id>-<image_index>.png} (the id's {@code /} and other separators replaced by {@code _}). */
    public static String imagePath(String id, int imageIndex) {
        return id.replaceAll("[/\\\\:\\u0000]", "_") + "-" + imageIndex + ".png";
    }

    /** The PNG bytes of an output row's {@code image} value, or null. */
    public static byte[] png(Row imageValue) {
        return imageValue == null ? null : imageValue.getAs("bytes");
    }

    /** A table schema: the generation parameter columns, then {@code rest}. */
    static StructType withParameters(StructField... rest) {
        List<StructField> all = new ArrayList<>(PARAMETERS);
        all.addAll(Arrays.asList(rest));
        return new StructType(all.toArray(new StructField[0]));
    }
}
