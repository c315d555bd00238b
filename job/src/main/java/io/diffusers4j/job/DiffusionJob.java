// The Spark job: read prompts, validate in Spark, skip done images, render on executors, write Parquet once.
package io.diffusers4j.job;

import io.diffusers4j.job.input.PromptFormat;
import io.diffusers4j.job.input.RawRecord;
import io.diffusers4j.job.progress.JobMetrics;
import io.diffusers4j.job.progress.JobProgress;
import io.diffusers4j.job.report.ReportData;
import io.diffusers4j.job.report.RunReport;
import io.diffusers4j.job.render.DeviceSelector;
import io.diffusers4j.job.render.ExecutorPipelineCache;
import io.diffusers4j.job.render.PipelineSpec;
import io.diffusers4j.job.rows.OutputSchema;
import io.diffusers4j.job.rows.RowValidator;
import io.diffusers4j.job.rows.WorkSchema;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

/**
 * The job, as a plan whose only actions over rendered data are the writes, so images are generated exactly once:
 * <pre>
 *   prompts --PromptReader--&gt; RawRecord --RowValidator (tasks)--&gt; work rows (one per image, or one error row)
 *     --[resume: left-anti join on (id, image_index) already ok]--&gt; waves of about commit-every images
 *     --each wave: repartition(N) (round-robin, deterministic)
 *     --PartitionGenerator (cached pipeline, micro-batches)--&gt; output rows --DataFrameWriter--&gt; Parquet commit
 * </pre>
 * Writing through the DataFrame writer gives Spark's commit protocol: only one attempt's output per partition is
 * committed, so task retries, speculation and executors lost mid-partition leave neither duplicates nor partial
 * rows. Committing wave by wave ({@link WaveWriter}) means a killed driver loses at most the wave in flight, which
 * {@code --resume} renders again. The summary then reads back this run's rows (small columns only).
 */
public final class DiffusionJob {
    private static final Logger LOG = LoggerFactory.getLogger(DiffusionJob.class);
    private static final Pattern LOCAL_MASTER = Pattern.compile("local\\[(\\*|\\d+)(,\\d+)?]|local");

    private DiffusionJob() {
    }

    /** Runs the job, checking and resolving its model on the driver first ({@link DriverModel#prepare}). */
    public static JobSummary run(SparkSession spark, JobConfig cfg) {
        return run(spark, cfg, DriverModel.prepare(cfg.pipelineSpec(0), spark.sparkContext().isLocal(), null));
    }

    /**
     * Runs the job with {@code model}: {@code cfg}'s pipeline spec as {@link DriverModel#prepare} returned it
     * (checked; a Hub model pinned to the commit the driver resolved).
     */
    public static JobSummary run(SparkSession spark, JobConfig cfg, PipelineSpec model) {
        String runId = UUID.randomUUID().toString();
        SparkContext sc = spark.sparkContext();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
        String prompts = cfg.prompts();
        String output = cfg.output();
        PromptFormat format = cfg.format() != null ? cfg.format()
                : PromptFormat.detect(sc.hadoopConfiguration(), prompts);
        PipelineSpec spec = model.withTorchThreads(resolveTorchThreads(cfg.torchThreads(), sc));
        LOG.info("run {}: {} prompts {} -> {} (model {}, batch size {})", runId, format.name().toLowerCase(),
                prompts, output, spec.modelName(), cfg.batchSize());
        LOG.debug("configuration:\n{}\npipeline spec: {}", cfg.describe(), spec);

        if (sc.isLocal() && cfg.prewarmLocal()) {
            prewarm(spec);
        }
        RowValidator validator = new RowValidator(cfg.defaults());
        JobMetrics metrics = JobMetrics.register(sc);
        JavaRDD<RawRecord> records = format.reader().read(spark, prompts);
        JavaRDD<Row> workRows = records.flatMap(r -> {
            List<Row> rows = WorkSchema.expand(validator.validate(r));
            metrics.planned(rows.size());
            return rows.iterator();
        });
        Dataset<Row> work = spark.createDataFrame(workRows, WorkSchema.SCHEMA);

        long skipped = 0;
        long before = -1;
        if (cfg.resume() && hasOutput(spark, output)) {
            Dataset<Row> done = spark.read().schema(OutputSchema.SCHEMA).parquet(output)
                    .where(col("status").equalTo(lit(OutputSchema.OK)))
                    .select("id", "image_index").distinct();
            before = work.count();
            // a using-columns join puts the keys first: restore the work schema's column order
            work = work.join(done, scala.collection.JavaConverters.asScalaBuffer(List.of("id", "image_index"))
                    .toSeq(), "left_anti").select(workColumns());
        }

        int partitions = cfg.partitions() > 0 ? cfg.partitions() : sc.defaultParallelism();
        long perWave = WaveWriter.waveSize(cfg.commitEvery(), partitions, cfg.batchSize());
        int waves = 1;
        if (perWave > 0 || before >= 0) {
            // the work (prompts and parameters, no images) is kept so that the waves and the count read it once
            work = work.persist(StorageLevel.MEMORY_AND_DISK());
            metrics.resetPlanned(); // the counts above ran validation too: count this pass only
            long images = work.count();
            if (before >= 0) {
                skipped = before - images;
                LOG.info("resume: {} of {} images already written with status ok", skipped, before);
            }
            waves = WaveWriter.waveCount(images, perWave);
            LOG.info("{} images to render in {} committed wave(s)", images, waves);
        }
        WaveWriter.clearUncommitted(spark, output);
        Broadcast<PipelineSpec> specBroadcast = jsc.broadcast(spec);
        String description = "diffusers4j: render " + prompts + " -> " + output + " (run " + runId + ")";
        sc.setJobDescription(description);
        if (sc.uiWebUrl().isDefined()) {
            LOG.info("progress in the Spark UI: {} (stage page: accumulators '{}', '{}')", sc.uiWebUrl().get(),
                    JobMetrics.DONE, JobMetrics.ERRORS);
        }
        long t0 = System.nanoTime();
        try (JobProgress ignored = JobProgress.start(sc, metrics, skipped, cfg.progressInterval())) {
            WaveWriter.write(spark, work, waves, partitions, new PartitionGenerator(specBroadcast, cfg.batchSize(),
                    runId, metrics), output, cfg.mode(), cfg.partitionBy());
        } finally {
            work.unpersist(false);
            sc.setJobDescription(null);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        specBroadcast.destroy();
        JobSummary summary = JobSummary.read(spark, output, runId, skipped, seconds, metrics.builds());
        if (cfg.reportEnabled()) {
            summary = writeReport(spark, cfg, summary, spec.modelName(), format, partitions);
        }
        return summary;
    }

    /**
     * Writes {@code <output>/_report} (page + sample PNGs). A report that cannot be written is logged and skipped:
     * the Parquet output is committed and complete either way.
     */
    private static JobSummary writeReport(SparkSession spark, JobConfig cfg, JobSummary summary, String model,
                                          PromptFormat format, int partitions) {
        try {
            sc(spark).setJobDescription("diffusers4j: run report");
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("run id", summary.runId());
            settings.put("prompts", cfg.prompts() + " (" + format.name().toLowerCase(Locale.ROOT) + ")");
            settings.put("output", RunReport.display(sc(spark).hadoopConfiguration(), cfg.output()));
            settings.put("model", model);
            settings.put("dtype", cfg.pipelineSpec(0).dtype());
            settings.put("batch size", Integer.toString(cfg.batchSize()));
            settings.put("partitions", Integer.toString(partitions));
            settings.put("mode", cfg.mode() + (cfg.resume() ? " (resume)" : ""));
            settings.put("Spark master", sc(spark).master());
            settings.put("Spark application", sc(spark).applicationId());
            ReportData data = RunReport.collect(spark, cfg.output(), summary, settings, cfg.reportLimits());
            return summary.withReport(RunReport.write(sc(spark).hadoopConfiguration(), cfg.output(), data));
        } catch (RuntimeException e) {
            LOG.warn("the run report was not written: {}", e.toString());
            LOG.debug("run report failure", e);
            return summary;
        } finally {
            sc(spark).setJobDescription(null);
        }
    }

    private static SparkContext sc(SparkSession spark) {
        return spark.sparkContext();
    }

    /**
     * Local mode: this JVM is the executor, so its pipeline cache can start building while Spark reads and plans
     * the input; tasks then find it built (or wait for the build in progress). A failure here is ignored: the
     * tasks build again and report it.
     */
    private static void prewarm(PipelineSpec spec) {
        Thread t = new Thread(() -> {
            try {
                ExecutorPipelineCache.acquire(spec, DeviceSelector.forCurrentTask(spec.device()));
            } catch (RuntimeException | LinkageError e) {
                LOG.debug("prewarming the pipeline failed (the tasks will retry): {}", e.toString());
            }
        }, "d4j-pipeline-prewarm");
        t.setDaemon(true);
        t.start();
    }

    /**
     * libtorch threads per executor JVM: local[N] on C cores → C / N (each concurrent task owns its share);
     * a cluster → spark.task.cpus.
     */
    static int resolveTorchThreads(int configured, SparkContext sc) {
        if (configured >= 0) {
            return configured;
        }
        int taskCpus = sc.getConf().getInt("spark.task.cpus", 1);
        Matcher m = LOCAL_MASTER.matcher(sc.master());
        if (m.matches()) {
            int cores = Runtime.getRuntime().availableProcessors();
            int slots = m.group(1) == null ? 1 : m.group(1).equals("*") ? cores : Integer.parseInt(m.group(1));
            return Math.max(1, cores / Math.max(1, slots / Math.max(1, taskCpus)));
        }
        return Math.max(1, taskCpus);
    }

    private static Column[] workColumns() {
        String[] names = WorkSchema.SCHEMA.fieldNames();
        Column[] cols = new Column[names.length];
        for (int i = 0; i < names.length; i++) {
            cols[i] = col(names[i]);
        }
        return cols;
    }

    private static boolean hasOutput(SparkSession spark, String output) {
        try {
            Path p = new Path(output);
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            return fs.exists(p) && fs.listStatus(p).length > 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read output " + output, e);
        }
    }
}
