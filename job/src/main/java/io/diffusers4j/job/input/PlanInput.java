// A dataset plan as the job's work rows: the driver cuts index ranges, Spark tasks decode and validate them.
package io.diffusers4j.job.input;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.diffusers4j.job.plan.DatasetPlan;
import io.diffusers4j.job.plan.PlanParser;
import io.diffusers4j.job.plan.PlanRow;
import io.diffusers4j.job.rows.PromptFields;
import io.diffusers4j.job.rows.RowValidator;
import io.diffusers4j.job.rows.WorkSchema;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The plan's prompts, expanded inside Spark: the driver only counts and cuts {@code [from, to)} position ranges
 * (a sample's draws travel with their slice); each task decodes its positions into {@link PlanRow}s, which go
 * through the same {@link RowValidator} as prompt-file rows (the job's max-steps, max-size, ... apply: a row they
 * refuse is an error row) and become work rows with their template id and slots. A plan of 10^9 prompts with
 * {@code --limit 8} reads 8 positions.
 */
public final class PlanInput {
    /** Prompts per slice at most (a task decodes its slice lazily; slices only bound the task's size). */
    static final long SLICE = 10_000;

    private PlanInput() {
    }

    /** One task's share: positions {@code [from, to)}, and the keys at those positions in sample mode. */
    record Slice(long from, long to, long[] keys) implements Serializable {
        long key(long position) {
            return keys == null ? position : keys[(int) (position - from)];
        }
    }

    /**
     * The work rows of the first {@code prompts} prompts of {@code plan} ({@code sample}: its draws, or null in
     * product mode), in at least {@code parallelism} slices when there are that many prompts.
     */
    public static JavaRDD<Row> workRows(JavaSparkContext jsc, DatasetPlan plan, long[] sample, long prompts,
                                        int parallelism, RowValidator validator) {
        List<Slice> slices = slices(prompts, sample, parallelism);
        Broadcast<DatasetPlan> shared = jsc.broadcast(plan);
        String source = PlanParser.baseName(plan.file());
        return jsc.parallelize(slices, Math.max(1, slices.size())).flatMap(slice ->
                new Rows(shared.value(), slice, source, validator));
    }

    static List<Slice> slices(long prompts, long[] sample, int parallelism) {
        long per = Math.max(1, Math.min(SLICE, (prompts + Math.max(1, parallelism) - 1) / Math.max(1, parallelism)));
        List<Slice> out = new ArrayList<>();
        for (long from = 0; from < prompts; from += per) {
            long to = Math.min(prompts, from + per);
            out.add(new Slice(from, to, sample == null ? null : Arrays.copyOfRange(sample, (int) from, (int) to)));
        }
        return out;
    }

    /** A slice's work rows, decoded one prompt at a time. */
    private static final class Rows implements Iterator<Row> {
        private final DatasetPlan plan;
        private final Slice slice;
        private final String source;
        private final RowValidator validator;
        private long next;
        private Iterator<Row> current = List.<Row>of().iterator();

        Rows(DatasetPlan plan, Slice slice, String source, RowValidator validator) {
            this.plan = plan;
            this.slice = slice;
            this.source = source;
            this.validator = validator;
            this.next = slice.from();
        }

        @Override
        public boolean hasNext() {
            while (!current.hasNext() && next < slice.to()) {
                long key = slice.key(next++);
                PlanRow r = plan.row(key);
                Map<String, Object> fields = fields(r);
                RawRecord record = RawRecord.parsed(source, key + 1, json(fields), fields);
                current = WorkSchema.expand(validator.validate(record), r.templateId(), slotsJson(r)).iterator();
            }
            return current.hasNext();
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return current.next();
        }
    }

    /** A plan row as prompt fields (what a JSONL line would hold): the validator's input. */
    static Map<String, Object> fields(PlanRow r) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put(PromptFields.ID, r.id());
        f.put(PromptFields.PROMPT, r.prompt());
        putIf(f, PromptFields.NEGATIVE_PROMPT, r.negativePrompt());
        f.put(PromptFields.SEED, r.seed());
        putIf(f, PromptFields.NUM_INFERENCE_STEPS, r.numInferenceSteps() == null ? null
                : (long) r.numInferenceSteps());
        putIf(f, PromptFields.GUIDANCE_SCALE, r.guidanceScale());
        putIf(f, PromptFields.WIDTH, r.width() == null ? null : (long) r.width());
        putIf(f, PromptFields.HEIGHT, r.height() == null ? null : (long) r.height());
        putIf(f, PromptFields.SCHEDULER, r.scheduler());
        putIf(f, PromptFields.LORAS, r.loras());
        putIf(f, PromptFields.TEXTUAL_INVERSIONS, r.textualInversions());
        putIf(f, PromptFields.MAX_SEQUENCE_LENGTH, r.maxSequenceLength() == null ? null
                : (long) r.maxSequenceLength());
        f.put(PromptFields.NUM_IMAGES_PER_PROMPT, (long) r.imagesPerPrompt());
        return f;
    }

    private static void putIf(Map<String, Object> f, String key, Object value) {
        if (value != null) {
            f.put(key, value);
        }
    }

    /** The {@code raw} column of a plan row: its fields, its template and slots as one JSON object. */
    private static String json(Map<String, Object> fields) {
        return new GsonBuilder().disableHtmlEscaping().create().toJson(fields);
    }

    /** The {@code slots} column: a JSON object, slot name → chosen value, in the template's order. */
    public static String slotsJson(PlanRow r) {
        JsonObject o = new JsonObject();
        r.slots().forEach(o::addProperty);
        return new GsonBuilder().disableHtmlEscaping().create().toJson(o);
    }
}
