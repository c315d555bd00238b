// The Spark job: read prompts, validate in Spark, skip done images, render on executors, write Parquet once.
package io.diffusers4j.job;

import io.diffusers4j.job.input.PlanInput;
import io.diffusers4j.job.input.PromptFormat;
import io.diffusers4j.job.input.RawRecord;
import io.diffusers4j.job.output.DatasetCard;
import io.diffusers4j.job.output.ImageFolderExport;
import io.diffusers4j.job.output.OutputFolder;
import io.diffusers4j.job.plan.DatasetPlan;
import io.diffusers4j.job.plan.PlanFiles;
import io.diffusers4j.job.plan.PlanParser;
import io.diffusers4j.job.progress.ConsoleLine;
import io.diffusers4j.job.progress.JobMetrics;
import io.diffusers4j.job.progress.JobProgress;
import io.diffusers4j.job.progress.Terminal;
import io.diffusers4j.job.report.ReportData;
import io.diffusers4j.job.report.RunReport;
import io.diffusers4j.job.report.RunSettings;
import io.diffusers4j.job.render.DeviceSelector;
import io.diffusers4j.job.render.ExecutorPipelineCache;
import io.diffusers4j.job.render.PipelineSpec;
import io.diffusers4j.job.rows.DuplicateIds;
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
import scala.collection.JavaConverters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
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

    /**
     * Runs the job, checking and resolving its model on the driver first ({@link DriverModel#prepare}); the
     * summary's total time counts from this call.
     */
    public static JobSummary run(SparkSession spark, JobConfig cfg) {
        long started = System.currentTimeMillis();
        DatasetPlan plan = cfg.plan() == null ? null
                : PlanParser.parse(new PlanFiles(spark.sparkContext().hadoopConfiguration(), cfg.plan()));
        return run(spark, cfg, DriverModel.prepare(cfg.pipelineSpec(0), spark.sparkContext().isLocal(), null),
                plan, started);
    }

    /** {@link #run(SparkSession, JobConfig, PipelineSpec, DatasetPlan, long)} of a prompt-file run. */
    public static JobSummary run(SparkSession spark, JobConfig cfg, PipelineSpec model, long startedAtMillis) {
        return run(spark, cfg, model, null, startedAtMillis);
    }

    /**
     * Runs the job with {@code model}: {@code cfg}'s pipeline spec as {@link DriverModel#prepare} returned it
     * (checked; a Hub model pinned to the commit the driver resolved). The summary's total time counts from
     * {@code startedAtMillis} (the command's start, so that it includes Spark's start-up).
     */
    public static JobSummary run(SparkSession spark, JobConfig cfg, PipelineSpec model, DatasetPlan plan,
                                 long startedAtMillis) {
        String runId = UUID.randomUUID().toString();
        SparkContext sc = spark.sparkContext();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
        String prompts = plan != null ? plan.file() : cfg.prompts();
        String output = cfg.output();
        PromptFormat format = plan != null ? null : cfg.format() != null ? cfg.format()
                : PromptFormat.detect(sc.hadoopConfiguration(), prompts);
        PipelineSpec spec = model.withTorchThreads(resolveTorchThreads(cfg.torchThreads(), sc));
        LOG.info("run {}: {} {} -> {} (model {}, batch size {})", runId,
                plan != null ? "plan" : format.name().toLowerCase() + " prompts", prompts, output, spec.modelName(),
                cfg.batchSize());
        LOG.debug("configuration:\n{}\npipeline spec: {}", cfg.describe(), spec);

        if (sc.isLocal() && cfg.prewarmLocal()) {
            prewarm(spec);
        }
        RowValidator validator = DriverModel.rowValidator(spec, cfg.defaults());
        JobMetrics metrics = JobMetrics.register(sc);
        Dataset<Row> work;
        if (plan != null) {
            // ids are unique by construction (template id + chosen values + sweep values): no duplicate check
            long[] sample = plan.sample();
            long count = cfg.limit() > 0 ? Math.min(cfg.limit(), plan.prompts()) : plan.prompts();
            LOG.info("plan {}: {} of {} prompts x {} image(s)", plan.file(), count, plan.prompts(),
                    plan.imagesPerPrompt());
            work = spark.createDataFrame(PlanInput.workRows(jsc, plan, sample, count, sc.defaultParallelism(),
                    validator), WorkSchema.SCHEMA);
        } else {
            JavaRDD<RawRecord> records = format.reader().read(spark, prompts);
            JavaRDD<Row> workRows = records.flatMap(r -> WorkSchema.expand(validator.validate(r)).iterator());
            work = DuplicateIds.reject(spark.createDataFrame(workRows, WorkSchema.SCHEMA),
                    workRows.getNumPartitions());
        }

        long before = -1;
        if (cfg.resume() && hasOutput(spark, output)) {
            before = work.count();
            work = withoutDone(spark, work, output);
        }
        // the work (prompts and parameters, no images) is kept so that the count and the waves read it once; the
        // count is exact, whatever Spark re-executes later (a lost executor's partitions, re-read waves)
        work = work.persist(StorageLevel.MEMORY_AND_DISK());
        long planned = work.count();
        long skipped = before >= 0 ? before - planned : 0;
        if (before >= 0) {
            LOG.info("resume: {} of {} images already written with status ok", skipped, before);
        }
        int partitions = cfg.partitions() > 0 ? cfg.partitions() : sc.defaultParallelism();
        int waves = WaveWriter.waveCount(planned, WaveWriter.waveSize(cfg.commitEvery(), partitions,
                cfg.batchSize()));
        LOG.info("{} images to render in {} committed wave(s)", planned, waves);
        WaveWriter.clearUncommitted(spark, output);
        Broadcast<PipelineSpec> specBroadcast = jsc.broadcast(spec);
        String description = "diffusers4j: render " + prompts + " -> " + output + " (run " + runId + ")";
        sc.setJobDescription(description);
        if (sc.uiWebUrl().isDefined()) {
            LOG.info("progress in the Spark UI: {} (stage page: accumulators '{}', '{}')", sc.uiWebUrl().get(),
                    JobMetrics.DONE, JobMetrics.ERRORS);
        }
        long t0 = System.nanoTime();
        ConsoleLine console = cfg.progressConsole().orElseGet(Terminal::stderrIsTerminal)
                ? new ConsoleLine(System.err) : null;
        try (JobProgress ignored = JobProgress.start(sc, metrics, planned, cfg.progressInterval(), console)) {
            WaveWriter.write(spark, work, waves, partitions, new PartitionGenerator(specBroadcast, cfg.batchSize(),
                    runId, metrics), output, cfg.mode(), cfg.partitionBy());
        } finally {
            work.unpersist(false);
            sc.setJobDescription(null);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        specBroadcast.destroy();
        double total = (System.currentTimeMillis() - startedAtMillis) / 1e3;
        JobSummary summary = JobSummary.read(spark, output, runId, skipped, planned, seconds, total,
                metrics.builds());
        if (cfg.reportEnabled()) {
            summary = writeReport(spark, cfg, summary, spec.modelName(), format, partitions);
        }
        if (cfg.exportDir() != null) {
            sc.setJobDescription("diffusers4j: export imagefolder " + cfg.exportDir());
            long exported = ImageFolderExport.write(spark, output, runId, cfg.exportDir());
            sc.setJobDescription(null);
            LOG.info("exported {} images to {} (imagefolder)", exported, cfg.exportDir());
        }
        if (cfg.datasetCard()) {
            DatasetCard.write(sc.hadoopConfiguration(), output, cfg.partitionBy(), plan, summary, spec.modelName());
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
            Map<String, String> settings = RunSettings.of(cfg, summary.runId(), model, format, partitions, sc(spark));
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
    public static int resolveTorchThreads(int configured, SparkContext sc) {
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

    /**
     * Resume: the work without the images already written with status ok ({@code (id, image_index)} pairs); error
     * rows are kept (an input row that is bad now is reported again, never counted as done).
     */
    private static Dataset<Row> withoutDone(SparkSession spark, Dataset<Row> work, String output) {
        Dataset<Row> done = OutputFolder.read(spark, output)
                .where(col("status").equalTo(lit(OutputSchema.OK)))
                .select("id", "image_index").distinct().withColumn("_done", lit(true));
        // a using-columns join puts the keys first: restore the work schema's column order
        return work.join(done, JavaConverters.asScalaBuffer(List.of("id", "image_index")).toSeq(), "left")
                .where(col("_done").isNull().or(col("status").equalTo(lit(WorkSchema.ERROR))))
                .select(workColumns());
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
