// Command-line entry of the Spark job (spark-submit main class and the launcher's `job` command).
package io.diffusers4j.job;

import io.diffusers4j.job.render.JvmSettings;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.util.Map;

/**
 * {@code job --prompts PATH --output DIR [--model DIR|ORG/NAME] [--master URL] [--conf FILE] [--batch-size N]
 * [--format jsonl|csv|parquet|text] [--resume] [--partitions N] [--partition-by COL]} (see {@code --help}).
 * Exit codes: 0 done (error rows are data, not a failure), 2 bad arguments or configuration, 1 the job failed.
 */
public final class JobMain {
    private static final Logger LOG = LoggerFactory.getLogger(JobMain.class);

    private JobMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        JvmSettings.djlOffline();
        JobConfig cfg;
        try {
            CommandLine.Parsed parsed = CommandLine.parse(args);
            if (parsed.help()) {
                out.println(CommandLine.USAGE);
                return 0;
            }
            cfg = parsed.toConfig();
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.println("(job --help for usage)");
            return 2;
        }
        SparkSession spark = session(cfg);
        try {
            JobSummary summary = DiffusionJob.run(spark, cfg);
            out.println(summary.render());
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (Exception e) { // Spark throws its checked SparkException from Scala code
            LOG.error("job failed", e);
            err.println("job failed: " + failureLine(e));
            return 1;
        } finally {
            spark.stop();
        }
    }

    /** One readable line: the first line of the failure and its root cause (Spark embeds remote stack traces). */
    static String failureLine(Throwable e) {
        String first = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
        if (first.length() > 400) {
            first = first.substring(0, 397) + "...";
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String line = e.getClass().getSimpleName() + ": " + first;
        if (root != e) {
            line += "\n  root cause: " + root.getClass().getName() + ": " + root.getMessage();
        }
        return io.diffusers4j.job.render.Redaction.scrub(line);
    }

    /**
     * The SparkSession of a run: master from --master, else spark-submit's, else the config's (local[*]);
     * executors get OPT_OUT_TRACKING/DJL_OFFLINE in their environment and as system properties.
     */
    public static SparkSession session(JobConfig cfg) {
        SparkConf submitted = new SparkConf();
        SparkSession.Builder b = SparkSession.builder();
        boolean useConfigMaster = cfg.masterExplicit() || !submitted.contains("spark.master");
        String master = useConfigMaster ? cfg.master() : submitted.get("spark.master");
        if (useConfigMaster) {
            b.master(master);
        }
        if (!submitted.contains("spark.app.name")) {
            b.appName(cfg.appName());
        }
        for (Map.Entry<String, String> e : sparkSettings(cfg, submitted, master).entrySet()) {
            b.config(e.getKey(), e.getValue());
        }
        return b.getOrCreate();
    }

    /** Spark properties the job always sets on top of the config's. */
    static Map<String, String> sparkSettings(JobConfig cfg, SparkConf submitted, String master) {
        Map<String, String> conf = new java.util.LinkedHashMap<>(cfg.sparkConf());
        conf.put("spark.executorEnv.OPT_OUT_TRACKING", "true");
        conf.put("spark.executorEnv.DJL_OFFLINE", "true");
        // executors of a cluster do not inherit the launcher's LD_PRELOAD: ask for the same malloc there
        String allocator = JvmSettings.allocatorLibrary();
        if (allocator != null && !conf.containsKey("spark.executorEnv.LD_PRELOAD")
                && !submitted.contains("spark.executorEnv.LD_PRELOAD")) {
            conf.put("spark.executorEnv.LD_PRELOAD", allocator);
        }
        String opts = conf.getOrDefault("spark.executor.extraJavaOptions",
                submitted.get("spark.executor.extraJavaOptions", ""));
        if (!opts.contains("-Dai.djl.offline=")) {
            conf.put("spark.executor.extraJavaOptions",
                    (opts + " -Dai.djl.offline=true -DOPT_OUT_TRACKING=true").trim());
        }
        // round-robin repartitioning must be deterministic for retried tasks to recompute the same rows
        conf.put("spark.sql.execution.sortBeforeRepartition", "true");
        // the job's SQL is a handful of row conversions: generating and compiling code for them costs more
        // (~0.3 s per cold JVM) than it saves
        conf.putIfAbsent("spark.sql.codegen.wholeStage", "false");
        conf.putIfAbsent("spark.ui.showConsoleProgress", "false");
        if (master.startsWith("local")) {
            conf.putIfAbsent("spark.driver.host", "127.0.0.1");
            conf.putIfAbsent("spark.driver.bindAddress", "127.0.0.1");
        }
        return conf;
    }
}
