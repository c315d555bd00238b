// The per-partition work of the job: plan a partition's images, render them in micro-batches, emit output rows.
package io.diffusers4j.job;

import io.diffusers4j.audio.WavWriter;
import io.diffusers4j.job.render.AudioClip;
import io.diffusers4j.job.render.BatchRunner;
import io.diffusers4j.job.render.DeviceSelector;
import io.diffusers4j.job.render.ExecutorPipelineCache;
import io.diffusers4j.job.render.Failures;
import io.diffusers4j.job.render.ImageRequest;
import io.diffusers4j.job.render.MicroBatcher;
import io.diffusers4j.job.render.PipelineSpec;
import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.job.render.PngEncoderPool;
import io.diffusers4j.job.progress.JobMetrics;
import io.diffusers4j.job.render.RenderSettings;
import io.diffusers4j.job.render.Renderer;
import io.diffusers4j.image.AdapterMetadata;
import io.diffusers4j.job.render.AdapterSet;
import io.diffusers4j.job.rows.AdapterColumns;
import io.diffusers4j.job.rows.CustomSchedule;
import io.diffusers4j.job.rows.OutputSchema;
import io.diffusers4j.job.rows.WorkSchema;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import java.sql.Timestamp;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Turns one partition of work rows ({@link WorkSchema}) into output rows ({@link OutputSchema}), lazily, one
 * micro-batch at a time (a partition's PNGs are never all in memory):
 * <ol>
 *   <li>error rows from validation pass straight through (a partition of only errors builds no pipeline);</li>
 *   <li>the executor's cached pipeline is acquired for the task's device (built on first use in the JVM);</li>
 *   <li>the renderer resolves each image's size, steps, guidance and {@code max_sequence_length} (row, job default,
 *       else the pipeline's own) and the pipeline checks the call (a refusal, e.g. a size that is not a multiple of
 *       the VAE factor or an argument the pipeline does not take, makes an error row); images are grouped by
 *       {@link RenderSettings} (the resolved values and the custom schedule) into micro-batches of at most the batch
 *       size;</li>
 *   <li>{@link BatchRunner} renders each batch, isolating failures; outcomes become rows once their PNG is
 *       encoded, in the background while the next batch renders ({@link PngEncoderPool}); an audio pipeline's clips
 *       are encoded as WAV (16-bit PCM, the parameters in LIST/INFO) into the {@code audio} column.</li>
 * </ol>
 * Every failure that belongs to one row after validation (the pipeline refusing or failing its check, its
 * rendering, NaN pixels, its PNG metadata or encoding) makes that row an error row; only kills, interrupts and a
 * broken deployment fail the task.
 * Retried or speculative attempts recompute the same rows (the input partition is deterministic); the Parquet
 * commit protocol keeps exactly one attempt's file per partition.
 */
final class PartitionGenerator implements FlatMapFunction<Iterator<Row>, Row> {
    private static final long serialVersionUID = 1L;
    private static final int STATUS = OutputSchema.COLUMNS.indexOf("status");

    /**
     * Test switch: when &gt;= 0, the first attempt of partition 0 throws after emitting this many rows (the
     * retried attempt does not). Package-private: only tests in this package can set it.
     */
    static volatile int failFirstAttemptAfterRows = -1;
    /** How often the test switch fired. */
    static final AtomicInteger INJECTED_FAILURES = new AtomicInteger();

    private final Broadcast<PipelineSpec> spec;
    private final int batchSize;
    private final String runId;
    private final JobMetrics metrics;

    PartitionGenerator(Broadcast<PipelineSpec> spec, int batchSize, String runId, JobMetrics metrics) {
        this.spec = spec;
        this.batchSize = batchSize;
        this.runId = runId;
        this.metrics = metrics;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        List<Row> errors = new ArrayList<>();
        List<Row> pending = new ArrayList<>();
        while (input.hasNext()) {
            Row r = input.next();
            (WorkSchema.ERROR.equals(r.getString(WorkSchema.STATUS)) ? errors : pending).add(r);
        }
        return new Output(spec.value(), errors, pending);
    }

    /** An image planned for rendering: its work row, settings and request. */
    private record Planned(Row work, RenderSettings settings, ImageRequest request) {
    }

    /** A work row's timesteps / sigmas for an output row (an array, as the row encoder takes), or null. */
    private static double[] numbers(Row w, int index) {
        return CustomSchedule.toArray(WorkSchema.numbers(w, index));
    }

    private final class Output implements Iterator<Row> {
        private final PipelineSpec pipelineSpec;
        private final String model;
        private final String executorId = ExecutorPipelineCache.executorId();
        /** Rows in output order; rendered rows complete when their PNG is encoded (in the background). */
        private final ArrayDeque<CompletableFuture<Row>> queue = new ArrayDeque<>();
        private List<Row> pending;
        private MicroBatcher<Planned> batcher;
        private BatchRunner runner;
        private ExecutorPipelineCache.Handle handle;
        private long emitted;

        Output(PipelineSpec pipelineSpec, List<Row> errors, List<Row> pending) {
            this.pipelineSpec = pipelineSpec;
            this.model = pipelineSpec.modelName();
            this.pending = pending;
            for (Row e : errors) {
                queue.add(CompletableFuture.completedFuture(errorRow(e, e.getString(WorkSchema.ERROR_MESSAGE), null)));
            }
        }

        @Override
        public boolean hasNext() {
            while (queue.isEmpty()) {
                if (pending != null) {
                    plan();
                } else if (batcher != null && batcher.hasNext()) {
                    renderNext();
                } else {
                    return false;
                }
            }
            // keep the device busy: while the head batch is still being encoded, render the next one
            // (at most about two batches of images are held)
            if (!queue.peek().isDone() && batcher != null && batcher.hasNext() && queue.size() <= runner.cap()) {
                renderNext();
            }
            return true;
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            maybeInjectFailure();
            emitted++;
            try {
                Row row = queue.poll().get();
                metrics.emitted(OutputSchema.ERROR.equals(row.getString(STATUS)));
                return row;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while encoding a PNG", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("encoding a PNG failed: " + e.getCause(), e.getCause());
            }
        }

        private void maybeInjectFailure() {
            int after = failFirstAttemptAfterRows;
            TaskContext tc = TaskContext.get();
            if (after >= 0 && emitted == after && tc != null && tc.partitionId() == 0 && tc.attemptNumber() == 0) {
                INJECTED_FAILURES.incrementAndGet();
                throw new IllegalStateException("injected task failure after " + after + " rows (test switch)");
            }
        }

        private void plan() {
            List<Row> rows = pending;
            pending = null;
            if (rows.isEmpty()) {
                return;
            }
            handle = ExecutorPipelineCache.acquire(pipelineSpec, DeviceSelector.forCurrentTask(pipelineSpec.device()));
            metrics.usedBuild(executorId, handle.instanceId(), ExecutorPipelineCache.buildMillis(handle.instanceId()));
            Renderer renderer = handle.renderer();
            runner = new BatchRunner(renderer, batchSize);
            List<Planned> planned = new ArrayList<>(rows.size());
            for (Row r : rows) {
                RenderSettings requested = requested(r);
                ImageRequest request = new ImageRequest(r.getString(WorkSchema.PROMPT),
                        r.getString(WorkSchema.NEGATIVE_PROMPT), r.getLong(WorkSchema.SEED),
                        r.getString(WorkSchema.PROMPT_2), r.getString(WorkSchema.NEGATIVE_PROMPT_2),
                        r.getString(WorkSchema.PROMPT_3), r.getString(WorkSchema.NEGATIVE_PROMPT_3));
                RenderSettings resolved;
                try {
                    resolved = renderer.resolve(requested, request);
                } catch (IllegalArgumentException e) { // the pipeline refuses the call: its message
                    queue.add(CompletableFuture.completedFuture(errorRow(r, e.getMessage(), requested)));
                    continue;
                } catch (RuntimeException e) { // any other failure of this row's check is this row's too
                    Failures.rethrowIfFatal(e);
                    queue.add(CompletableFuture.completedFuture(errorRow(r, Failures.describe(e), requested)));
                    continue;
                }
                planned.add(new Planned(r, resolved, request));
            }
            batcher = new MicroBatcher<>(planned, Planned::settings);
        }

        /**
         * The row's settings as it asks for them: its size, steps, guidance and {@code max_sequence_length} (or the
         * job defaults, filled in by the validator), null where it leaves them to the pipeline
         * ({@link Renderer#resolve} fills them in).
         */
        private RenderSettings requested(Row r) {
            return new RenderSettings(r.isNullAt(WorkSchema.NUM_INFERENCE_STEPS) ? null
                    : r.getInt(WorkSchema.NUM_INFERENCE_STEPS),
                    r.isNullAt(WorkSchema.GUIDANCE_SCALE) ? null : r.getDouble(WorkSchema.GUIDANCE_SCALE),
                    r.isNullAt(WorkSchema.WIDTH) ? null : r.getInt(WorkSchema.WIDTH),
                    r.isNullAt(WorkSchema.HEIGHT) ? null : r.getInt(WorkSchema.HEIGHT),
                    r.getString(WorkSchema.SCHEDULER), WorkSchema.numbers(r, WorkSchema.TIMESTEPS),
                    WorkSchema.numbers(r, WorkSchema.SIGMAS),
                    r.isNullAt(WorkSchema.AUDIO_LENGTH_IN_S) ? null : r.getDouble(WorkSchema.AUDIO_LENGTH_IN_S),
                    r.isNullAt(WorkSchema.MAX_SEQUENCE_LENGTH) ? null : r.getInt(WorkSchema.MAX_SEQUENCE_LENGTH),
                    AdapterColumns.of(r));
        }

        private void renderNext() {
            MicroBatcher.Batch<Planned> batch = batcher.next(runner.cap());
            List<ImageRequest> requests = new ArrayList<>(batch.items().size());
            for (Planned p : batch.items()) {
                requests.add(p.request());
            }
            String scheduler = batch.settings().scheduler() != null ? batch.settings().scheduler()
                    : handle.renderer().schedulerName();
            Renderer.Prepared adapters;
            try { // the batch's adapter files, loaded once per executor: a file that cannot be used fails its images
                adapters = handle.renderer().prepare(batch.settings().adapters());
            } catch (RuntimeException e) {
                Failures.rethrowIfFatal(e);
                String why = e instanceof IllegalArgumentException ? e.getMessage() : Failures.describe(e);
                for (Planned p : batch.items()) {
                    queue.add(CompletableFuture.completedFuture(errorRow(p.work(), why, p.settings())));
                }
                return;
            }
            List<BatchRunner.Outcome> outcomes = runner.run(batch.settings(), requests);
            for (int i = 0; i < outcomes.size(); i++) {
                Planned p = batch.items().get(i);
                BatchRunner.Outcome o = outcomes.get(i);
                if (!o.ok()) {
                    queue.add(CompletableFuture.completedFuture(renderedRow(p, o, scheduler, null, o.error(),
                            adapters)));
                    continue;
                }
                if (o.audio() != null) {
                    queue.add(CompletableFuture.completedFuture(audioRow(p, o, scheduler, adapters)));
                    continue;
                }
                Map<String, String> text;
                try {
                    text = pngText(p, scheduler, adapters);
                } catch (RuntimeException e) {
                    queue.add(CompletableFuture.completedFuture(renderedRow(p, o, scheduler, null,
                            "cannot record the generation parameters in the PNG: " + Failures.describe(e), adapters)));
                    continue;
                }
                queue.add(PngEncoderPool.encode(o.image(), text,
                        png -> renderedRow(p, o, scheduler, png, null, adapters),
                        failure -> renderedRow(p, o, scheduler, null,
                                "PNG encoding failed: " + Failures.describe(failure), adapters)));
            }
        }

        /**
         * The output row of a rendered audio clip: its WAV (16-bit PCM; LIST/INFO: {@code INAM} the row's id and
         * image index, {@code ICMT} the generation parameters, {@code ISFT} the software), or an error row when it
         * cannot be encoded.
         */
        private Row audioRow(Planned p, BatchRunner.Outcome o, String scheduler, Renderer.Prepared adapters) {
            AudioClip clip = o.audio();
            byte[] wav;
            try {
                Map<String, String> info = new LinkedHashMap<>();
                info.put("INAM", audioPath(p.work()));
                info.put("ICMT", metadata(p, scheduler, adapters)
                        .put("sample_rate", Integer.toString(clip.sampleRate()))
                        .put("audio_length_s", Double.toString(clip.lengthInSeconds())).a1111Parameters());
                info.put("ISFT", "Diffusers4J");
                wav = WavWriter.encode(clip.planar(), clip.channels(), clip.sampleRate(), WavWriter.Format.PCM_16,
                        info);
            } catch (RuntimeException e) {
                Failures.rethrowIfFatal(e);
                return renderedRow(p, o, scheduler, null, "WAV encoding failed: " + Failures.describe(e), adapters);
            }
            return row(p, o, scheduler, null, RowFactory.create(wav, audioPath(p.work())), null, adapters);
        }

        /** The {@code path} of a clip in the {@code audio} column: {@code <id>-<image_index>.wav}. */
        private static String audioPath(Row w) {
            return w.getString(WorkSchema.ID) + "-" + w.getInt(WorkSchema.IMAGE_INDEX) + ".wav";
        }

        /** The PNG text chunks of a rendered image: its generation parameters as used. */
        private Map<String, String> pngText(Planned p, String scheduler, Renderer.Prepared adapters) {
            return metadata(p, scheduler, adapters).size(p.settings().width(), p.settings().height()).toPngText();
        }

        /** A rendered item's generation parameters as used, its adapters with their files' hashes (images add their size). */
        private GenerationMetadata metadata(Planned p, String scheduler, Renderer.Prepared adapters) {
            Row w = p.work();
            AdapterSet set = p.settings().adapters();
            List<AdapterMetadata.Lora> loras = new ArrayList<>();
            for (AdapterSet.Lora l : set.loras()) {
                loras.add(new AdapterMetadata.Lora(AdapterMetadata.displayName(l.name()), l.scale(),
                        adapters.sha256().get(l.name()), null));
            }
            List<AdapterMetadata.Embedding> embeddings = new ArrayList<>();
            for (AdapterSet.Embedding e : set.embeddings()) {
                embeddings.add(new AdapterMetadata.Embedding(adapters.tokens().get(e.name()),
                        adapters.sha256().get(e.name())));
            }
            return new GenerationMetadata().prompt(p.request().prompt())
                    .negativePrompt(p.request().negativePrompt()).seed(p.request().seed())
                    .steps(p.settings().numInferenceSteps()).guidanceScale(p.settings().guidanceScale())
                    .scheduler(scheduler).model(model).revision(pipelineSpec.revision())
                    .secondPrompts(p.request().prompt2(), p.request().negativePrompt2())
                    .thirdPrompts(p.request().prompt3(), p.request().negativePrompt3())
                    .maxSequenceLength(p.settings().maxSequenceLength())
                    .schedule(numbers(w, WorkSchema.TIMESTEPS), numbers(w, WorkSchema.SIGMAS))
                    .adapters(new AdapterMetadata(loras, embeddings));
        }

        /**
         * The output row of a rendered image: ok with its PNG, or an error row ({@code error} not null) with the
         * settings it was rendered with and no image.
         */
        private Row renderedRow(Planned p, BatchRunner.Outcome o, String scheduler, byte[] png, String error,
                                Renderer.Prepared adapters) {
            return row(p, o, scheduler, png, null, error, adapters);
        }

        /** A rendered row with its PNG, or its {@code audio} struct (bytes, path), or neither (an error). */
        private Row row(Planned p, BatchRunner.Outcome o, String scheduler, byte[] png, Row audio, String error,
                        Renderer.Prepared adapters) {
            Row w = p.work();
            AudioClip clip = error == null ? o.audio() : null;
            AdapterSet set = p.settings().adapters();
            return RowFactory.create(
                    w.getString(WorkSchema.ID), w.getString(WorkSchema.PROMPT),
                    w.getString(WorkSchema.NEGATIVE_PROMPT), w.getLong(WorkSchema.SEED),
                    p.settings().numInferenceSteps(), p.settings().guidanceScale(), p.settings().width(),
                    p.settings().height(), scheduler, w.get(WorkSchema.PROMPT_2),
                    w.get(WorkSchema.NEGATIVE_PROMPT_2), w.get(WorkSchema.PROMPT_3),
                    w.get(WorkSchema.NEGATIVE_PROMPT_3), p.settings().maxSequenceLength(),
                    numbers(w, WorkSchema.TIMESTEPS),
                    numbers(w, WorkSchema.SIGMAS), AdapterColumns.loras(set, adapters.sha256()),
                    AdapterColumns.embeddings(set, adapters.sha256()), model,
                    error == null ? OutputSchema.OK : OutputSchema.ERROR, error, w.getString(WorkSchema.RAW),
                    OutputSchema.image(w.getString(WorkSchema.ID), w.getInt(WorkSchema.IMAGE_INDEX), png), audio,
                    clip == null ? null : clip.sampleRate(), clip == null ? null : clip.lengthInSeconds(),
                    w.getInt(WorkSchema.IMAGE_INDEX), executorId,
                    handle.instanceId(), o.durationMs(), new Timestamp(System.currentTimeMillis()), o.batchSize(),
                    w.getString(WorkSchema.SOURCE), runId, w.get(WorkSchema.TEMPLATE_ID), w.get(WorkSchema.SLOTS),
                    w.getString(WorkSchema.PROMPT));
        }

        /** An error output row with the settings the row asked for ({@code s}), or none (validation errors). */
        private Row errorRow(Row w, String message, RenderSettings s) {
            return RowFactory.create(w.getString(WorkSchema.ID), w.get(WorkSchema.PROMPT),
                    w.get(WorkSchema.NEGATIVE_PROMPT), w.get(WorkSchema.SEED),
                    s != null ? s.numInferenceSteps() : w.get(WorkSchema.NUM_INFERENCE_STEPS),
                    s != null ? s.guidanceScale() : w.get(WorkSchema.GUIDANCE_SCALE),
                    s != null ? s.width() : w.get(WorkSchema.WIDTH), s != null ? s.height() : w.get(WorkSchema.HEIGHT),
                    w.get(WorkSchema.SCHEDULER), w.get(WorkSchema.PROMPT_2), w.get(WorkSchema.NEGATIVE_PROMPT_2),
                    w.get(WorkSchema.PROMPT_3), w.get(WorkSchema.NEGATIVE_PROMPT_3),
                    s != null ? s.maxSequenceLength() : w.get(WorkSchema.MAX_SEQUENCE_LENGTH),
                    numbers(w, WorkSchema.TIMESTEPS), numbers(w, WorkSchema.SIGMAS),
                    AdapterColumns.loras(AdapterColumns.of(w), null),
                    AdapterColumns.embeddings(AdapterColumns.of(w), null), model,
                    OutputSchema.ERROR, message, w.get(WorkSchema.RAW), null, null, null, null,
                    w.getInt(WorkSchema.IMAGE_INDEX),
                    executorId, handle == null ? null : handle.instanceId(), null,
                    new Timestamp(System.currentTimeMillis()), null, w.get(WorkSchema.SOURCE), runId,
                    w.get(WorkSchema.TEMPLATE_ID), w.get(WorkSchema.SLOTS), w.get(WorkSchema.PROMPT));
        }
    }
}
