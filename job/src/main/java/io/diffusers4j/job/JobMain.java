// Command-line entry of the Spark job (spark-submit main class and the launcher's `job` command).
package io.diffusers4j.job;

import io.diffusers4j.cli.Main;
import io.diffusers4j.job.render.JvmSettings;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The spark-submit main class: {@code job --prompts PATH --output DIR [options]} ({@link JobCommand}; {@code --help}),
 * the same command line as {@code diffusers4j job}. Also builds the run's SparkSession.
 */
public final class JobMain {
    private JobMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs {@code diffusers4j job ARGS} with its output on {@code out} and errors on {@code err}; the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        String[] withCommand = new String[args.length + 1];
        withCommand[0] = "job";
        System.arraycopy(args, 0, withCommand, 1, args.length);
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        cmd.getSubcommands().get("job").<JobCommand>getCommand().printTo(out, err);
        return cmd.execute(withCommand);
    }

    /**
     * The SparkSession of a run: master from --master, else spark-submit's, else the config's (local[*]);
     * executors get OPT_OUT_TRACKING/DJL_OFFLINE in their environment and as system properties.
     */
    public static SparkSession session(JobConfig cfg) {
        SparkConf submitted = new SparkConf();
        SparkSession.Builder b = SparkSession.builder();
        String master = master(cfg);
        if (useConfigMaster(cfg, submitted)) {
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

    /** The run's Spark master: --master, else spark-submit's, else the config's (local[*]). */
    static String master(JobConfig cfg) {
        SparkConf submitted = new SparkConf();
        return useConfigMaster(cfg, submitted) ? cfg.master() : submitted.get("spark.master");
    }

    private static boolean useConfigMaster(JobConfig cfg, SparkConf submitted) {
        return cfg.masterExplicit() || !submitted.contains("spark.master");
    }

    /**
     * The Hadoop configuration the driver reads files with before Spark starts (a plan and its files): the
     * defaults plus the config's {@code spark.hadoop.*} properties, as Spark would set them.
     */
    static Configuration hadoopConfiguration(JobConfig cfg) {
        Configuration conf = new Configuration();
        for (Map.Entry<String, String> e : cfg.sparkConf().entrySet()) {
            if (e.getKey().startsWith("spark.hadoop.")) {
                conf.set(e.getKey().substring("spark.hadoop.".length()), e.getValue());
            }
        }
        return conf;
    }

    /** Executors in the driver's JVM (Spark's SparkContext.isLocal): they share its disk and HF cache. */
    static boolean isLocal(String master) {
        return master.equals("local") || master.startsWith("local[");
    }

    /** Spark properties the job always sets on top of the config's. */
    static Map<String, String> sparkSettings(JobConfig cfg, SparkConf submitted, String master) {
        Map<String, String> conf = new LinkedHashMap<>(cfg.sparkConf());
        conf.put("spark.executorEnv.OPT_OUT_TRACKING", "true");
        conf.put("spark.executorEnv.DJL_OFFLINE", "true");
        // executors of a cluster do not inherit the launcher's LD_PRELOAD: ask for the same malloc there
        String allocator = JvmSettings.allocatorLibrary();
        if (allocator != null && !conf.containsKey("spark.executorEnv.LD_PRELOAD")
                && !submitted.contains("spark.executorEnv.LD_PRELOAD")) {
            conf.put("spark.executorEnv.LD_PRELOAD", allocator);
        }
        // nor its THP_MEM_ALLOC_ENABLE: huge pages under libtorch's tensors (JvmSettings.hugePagesSetting)
        String hugePages = "spark.executorEnv." + JvmSettings.HUGE_PAGES_ENV;
        if (!conf.containsKey(hugePages) && !submitted.contains(hugePages)) {
            conf.put(hugePages, JvmSettings.hugePagesSetting());
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
            // running tasks report their image counts in heartbeats: every 2 s instead of 10 s keeps the progress
            // line moving (in local mode a heartbeat is an in-process call)
            conf.putIfAbsent("spark.executor.heartbeatInterval", "2s");
        }
        return conf;
    }
}
