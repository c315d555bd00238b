// Command-line entry of the Spark job (spark-submit main class and the launcher's `job` command).
package io.diffusers4j.job;

import io.diffusers4j.job.render.JvmSettings;
import io.diffusers4j.job.render.PipelineRenderer;
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
            // a broken local model folder is refused before Spark starts (configs only, no weights)
            PipelineRenderer.checkModelOnDriver(cfg.pipelineSpec(0));
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
            err.println("job failed: " + failureLine(e));
            LOG.debug("job failed", e);
            if (System.getenv("DIFFUSERS4J_DEBUG") != null) {
                e.printStackTrace(err);
            }
            return 1;
        } finally {
            spark.stop();
        }
    }

    /**
     * The root cause first (what went wrong), then Spark's own first line, cut before its embedded remote stack
     * trace (where it happened), scrubbed of the Hub token.
     */
    static String failureLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String line = root.getClass().getSimpleName() + ": " + firstLine(root.getMessage(), 400);
        if (root != e) {
            String outer = firstLine(e.getMessage(), 400);
            int cut = outer.indexOf(", most recent failure");
            if (cut > 0) {
                outer = outer.substring(0, cut);
            }
            line += "\n  (" + e.getClass().getSimpleName() + ": " + outer + ")";
        }
        line += "\n  (DIFFUSERS4J_DEBUG=1 prints the stack trace)";
        return io.diffusers4j.job.render.Redaction.scrub(line);
    }

    private static String firstLine(String message, int max) {
        String first = String.valueOf(message).lines().findFirst().orElse("");
        return first.length() > max ? first.substring(0, max - 3) + "..." : first;
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
