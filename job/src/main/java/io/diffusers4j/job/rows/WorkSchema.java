// The job's internal table between validation and rendering: one row per image to render (or per bad input row).
package io.diffusers4j.job.rows;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/**
 * One row per image to render ({@code status = "pending"}), with its own seed ({@code seed + image_index}),
 * or one row per unusable input row ({@code status = "error"}). Rows are expanded from {@link PromptRow}s in the
 * validation stage so that resume can skip single images and the shuffle spreads images, not prompt rows.
 */
public final class WorkSchema {
    public static final String PENDING = "pending";
    /** An unusable input row; it becomes an output row with the same status. */
    public static final String ERROR = OutputSchema.ERROR;

    public static final int ID = 0;
    public static final int PROMPT = 1;
    public static final int NEGATIVE_PROMPT = 2;
    public static final int SEED = 3;
    public static final int NUM_INFERENCE_STEPS = 4;
    public static final int GUIDANCE_SCALE = 5;
    public static final int WIDTH = 6;
    public static final int HEIGHT = 7;
    public static final int SCHEDULER = 8;
    public static final int PROMPT_2 = 9;
    public static final int NEGATIVE_PROMPT_2 = 10;
    public static final int PROMPT_3 = 11;
    public static final int NEGATIVE_PROMPT_3 = 12;
    /** The requested {@code max_sequence_length} (the row's or the job default), null: the pipeline's. */
    public static final int MAX_SEQUENCE_LENGTH = 13;
    public static final int TIMESTEPS = 14;
    public static final int SIGMAS = 15;
    public static final int LORAS = 16;
    public static final int TEXTUAL_INVERSIONS = 17;
    public static final int IMAGE_INDEX = 18;
    public static final int STATUS = 19;
    public static final int ERROR_MESSAGE = 20;
    public static final int RAW = 21;
    public static final int SOURCE = 22;
    public static final int AUDIO_LENGTH_IN_S = 23;
    public static final int TEMPLATE_ID = 24;
    public static final int SLOTS = 25;

    public static final StructType SCHEMA = OutputSchema.withParameters(
        DataTypes.createStructField("image_index", DataTypes.IntegerType, false),
        DataTypes.createStructField("status", DataTypes.StringType, false),
        DataTypes.createStructField("error", DataTypes.StringType, true),
        DataTypes.createStructField("raw", DataTypes.StringType, true),
        DataTypes.createStructField("source", DataTypes.StringType, true),
        DataTypes.createStructField("audio_length_in_s", DataTypes.DoubleType, true),
        DataTypes.createStructField("template_id", DataTypes.StringType, true),
        DataTypes.createStructField("slots", DataTypes.StringType, true));

    private WorkSchema() {
    }

    /** The work rows of one prompt row: one per image when it is valid, else a single error row. */
    public static List<Row> expand(PromptRow r) {
        return expand(r, null, null);
    }

    /**
     * The work rows of a dataset plan's prompt row: with its template id and its slots (a JSON object), which
     * prompt-file rows leave null.
     */
    public static List<Row> expand(PromptRow r, String templateId, String slots) {
        if (!r.ok()) {
            return List.of(row(r, r.seed(), 0, ERROR, templateId, slots));
        }
        List<Row> out = new ArrayList<>(r.numImagesPerPrompt());
        for (int i = 0; i < r.numImagesPerPrompt(); i++) {
            out.add(row(r, r.seed() + i, i, PENDING, templateId, slots));
        }
        return out;
    }

    private static Row row(PromptRow r, Long seed, int imageIndex, String status, String templateId,
                           String slots) {
        CustomSchedule s = r.schedule();
        return RowFactory.create(r.id(), r.prompt(), r.negativePrompt(), seed, r.numInferenceSteps(),
                r.guidanceScale(), r.width(), r.height(), r.scheduler(), r.prompt2(), r.negativePrompt2(),
                r.prompt3(), r.negativePrompt3(), r.maxSequenceLength(), s == null ? null : CustomSchedule.toArray(s.timesteps()),
                s == null ? null : CustomSchedule.toArray(s.sigmas()), AdapterColumns.loras(r.adapters(), null),
                AdapterColumns.embeddings(r.adapters(), null), imageIndex, status, r.error(), r.raw(), r.location(),
                r.audioLengthInS(), templateId, slots);
    }

    /** A {@code timesteps} / {@code sigmas} value of a work or output row, as a list (null when not set). */
    public static List<Double> numbers(Row row, int index) {
        return row.isNullAt(index) ? null : List.copyOf(row.<Double>getList(index));
    }
}
