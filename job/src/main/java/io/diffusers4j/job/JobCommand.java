// `diffusers4j job`: the Spark batch generation job's command line, mapped onto config keys.
package io.diffusers4j.job;

import com.typesafe.config.ConfigUtil;
import io.diffusers4j.cli.VersionInfo;
import io.diffusers4j.job.plan.DatasetPlan;
import io.diffusers4j.job.plan.PlanFiles;
import io.diffusers4j.job.plan.PlanParser;
import io.diffusers4j.job.render.JvmSettings;
import io.diffusers4j.job.render.PipelineSpec;
import io.diffusers4j.job.render.Redaction;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * A flag given twice takes its last value (as a config key set twice does). Every flag is a config key ({@code conf/job.conf}, {@code job-defaults.conf}); {@code --set KEY=VALUE} overrides
 * any key and {@code --spark-conf KEY=VALUE} sets a Spark property. Values stay strings here: {@link JobConfig}
 * validates flags and config files alike, on the driver, before Spark starts (as does the model folder and every
 * scheduler name). Exit codes: 0 done (error rows are data, not a failure), 2 bad arguments, configuration or
 * model, 1 the job failed.
 */
@Command(name = "job", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        versionProvider = VersionInfo.class,
        description = {"Render every prompt row of a dataset with a diffusers pipeline on Spark and write images (PNG "
                + "bytes) with their parameters to Parquet.", "",
            "Row fields (diffusers' names): id, prompt (required), negative_prompt, seed, num_inference_steps, "
                + "guidance_scale, width, height, scheduler, num_images_per_prompt, prompt_2, negative_prompt_2 "
                + "(SDXL), prompt_3, negative_prompt_3, max_sequence_length (Stable Diffusion 3 / FLUX), timesteps, "
                + "sigmas (a custom schedule). Image i of a row with seed s is drawn with its own "
                + "generator seeded s+i and records seed s+i.", ""})
public final class JobCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(JobCommand.class);
    private static final String JOB = "diffusers4j.job.";
    private static final String PIPE = "diffusers4j.pipeline.";

    @Option(names = "--prompts", paramLabel = "PATH", description = "prompt dataset: a file or folder (JSONL, CSV, "
            + "Parquet or text)")
    String prompts;

    @Option(names = "--plan", paramLabel = "PLAN", description = "a dataset plan (JSON or HOCON) to render instead "
            + "of --prompts: templates with {slot}s, {a|b} alternatives, __wildcard__ files, a sweep")
    String plan;

    @Option(names = "--limit", paramLabel = "N", description = "with --plan: render only its first N prompts (a "
            + "preview)")
    String limit;

    @Option(names = "--export", arity = "2", paramLabel = "FORMAT DIR", description = "also write the ok images as "
            + "PNG files with metadata.jsonl: --export imagefolder DIR (datasets' imagefolder layout)")
    List<String> export;

    @Option(names = "--output", paramLabel = "DIR", description = "output folder (Parquet)")
    String output;

    @Option(names = "--model", paramLabel = "DIR|ORG/NAME",
            description = "diffusers model folder or Hub id (default: the embedded tiny pipeline)")
    String model;

    @Option(names = "--revision", paramLabel = "REV", description = "Hub branch, tag or commit of --model")
    String revision;

    @Option(names = "--variant", paramLabel = "NAME", description = "weight variant, e.g. fp16")
    String variant;

    @Option(names = "--local-files-only", description = "never contact the Hub; use the cached snapshot")
    boolean localFilesOnly;

    @Option(names = "--lora-cache-size", paramLabel = "N", description = "LoRA files each executor keeps loaded in "
            + "its pipeline (default 8, at most 256; rows list theirs in the `loras` field)")
    String loraCacheSize;

    @Option(names = "--vae", paramLabel = "DIR|ORG/NAME", description = "VAE folder or Hub id used instead of the "
            + "model's (AutoencoderKL or AutoencoderTiny, e.g. madebyollin/taesd)")
    String vae;

    @Option(names = "--text-embedding-cache", paramLabel = "ROWS", description = "prompt rows of text-encoder "
            + "output each executor keeps for repeated prompts "
            + "(each row encoded alone: the same bits whatever its batch; 0 = off; default 64)")
    String textEmbeddingCache;

    @Option(names = "--without-component", paramLabel = "NAME", description = "leave a model_index.json component "
            + "out (diffusers' from_pretrained(..., NAME=None)), repeatable; e.g. Stable Diffusion 3 without T5: "
            + "--without-component text_encoder_3 --without-component tokenizer_3")
    List<String> withoutComponents = new ArrayList<>();

    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default local[*], or what "
            + "spark-submit set)")
    String master;

    @Option(names = "--config", paramLabel = "FILE",
            description = "HOCON job config (repeatable; later files win; see conf/job.conf)")
    List<Path> configFiles = new ArrayList<>();

    @Option(names = "--batch-size", paramLabel = "N", description = "images per batched pipeline call (default 8)")
    String batchSize;

    @Option(names = "--format", paramLabel = "F", description = "jsonl | csv | parquet | text (default: by extension)")
    String format;

    @Option(names = "--resume", description = "skip images already written with status ok; append the rest")
    boolean resume;

    @Option(names = "--partitions", paramLabel = "N",
            description = "partitions to spread images over (default: Spark's default parallelism)")
    String partitions;

    @Option(names = "--partition-by", paramLabel = "COL", description = "partition the output by this column")
    String partitionBy;

    @Option(names = "--mode", paramLabel = "M", description = "overwrite (default) | append")
    String mode;

    @Option(names = "--commit-every", paramLabel = "N",
            description = "commit the output every N images (default auto; 0 = once at the end)")
    String commitEvery;

    @Option(names = "--seed", paramLabel = "N", description = "job seed for rows without a seed (default 0)")
    String seed;

    @Option(names = "--steps", paramLabel = "N",
            description = "num_inference_steps of rows without one (default: the pipeline's; SD 50, LCM 4)")
    String steps;

    @Option(names = "--guidance-scale", paramLabel = "X",
            description = "guidance_scale of rows without one (default: the pipeline's; SD 7.5, SDXL 5.0, LCM 8.5)")
    String guidanceScale;

    @Option(names = "--width", paramLabel = "N", description = "default image width (default: the pipeline's)")
    String width;

    @Option(names = "--height", paramLabel = "N", description = "default image height (default: the pipeline's)")
    String height;

    @Option(names = "--max-sequence-length", paramLabel = "N", description = "max_sequence_length of rows without "
            + "one: the T5 prompt length, 1 to 512 (Stable Diffusion 3 / FLUX; default: the pipeline's)")
    String maxSequenceLength;

    @Option(names = "--scheduler", paramLabel = "NAME",
            description = "scheduler for rows that name none (e.g. EulerDiscreteScheduler)")
    String scheduler;

    @Option(names = "--dtype", paramLabel = "float32|float16|bfloat16", description = "pipeline dtype (float16 for "
            + "CUDA; bfloat16 with --device cpu on CPUs with AVX512-BF16 or AMX: float32 weights, bfloat16 compute)")
    String dtype;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "any config key, e.g. --set diffusers4j.job.max-size=1024 (repeatable)")
    List<String> settings = new ArrayList<>();

    @Option(names = "--spark-conf", paramLabel = "KEY=VALUE",
            description = "any Spark property, e.g. --spark-conf spark.executor.memory=4g (repeatable)")
    List<String> sparkConf = new ArrayList<>();

    private PrintStream out = System.out;
    private PrintStream err = System.err;

    /** Where the summary and failures go (tests capture them). */
    JobCommand printTo(PrintStream stdout, PrintStream stderr) {
        this.out = stdout;
        this.err = stderr;
        return this;
    }

    /** The flags as config overrides: config path → value, highest precedence. */
    Map<String, Object> overrides() {
        Map<String, Object> o = new LinkedHashMap<>();
        put(o, JOB + "prompts", prompts);
        put(o, JOB + "plan", plan);
        put(o, JOB + "limit", limit);
        put(o, JOB + "output", output);
        if (export != null && export.size() == 2) {
            o.put(JOB + "export.format", export.get(0));
            o.put(JOB + "export.dir", export.get(1));
        }
        put(o, PIPE + "model", model);
        put(o, PIPE + "revision", revision);
        put(o, PIPE + "variant", variant);
        put(o, PIPE + "vae", vae);
        put(o, PIPE + "text-embedding-cache", textEmbeddingCache);
        if (localFilesOnly) {
            o.put(PIPE + "local-files-only", true);
        }
        put(o, PIPE + "lora-cache-size", loraCacheSize);
        if (!withoutComponents.isEmpty()) {
            o.put(PIPE + "without-component", withoutComponents);
        }
        put(o, "spark.master", master);
        put(o, JOB + "batch-size", batchSize);
        put(o, JOB + "format", format);
        if (resume) {
            o.put(JOB + "resume", true);
        }
        put(o, JOB + "partitions", partitions);
        put(o, JOB + "partition-by", partitionBy);
        put(o, JOB + "mode", mode);
        put(o, JOB + "commit-every", commitEvery);
        put(o, JOB + "seed", seed);
        put(o, JOB + "defaults.num-inference-steps", steps);
        put(o, JOB + "defaults.guidance-scale", guidanceScale);
        put(o, JOB + "defaults.width", width);
        put(o, JOB + "defaults.height", height);
        put(o, JOB + "defaults.max-sequence-length", maxSequenceLength);
        put(o, PIPE + "scheduler", scheduler);
        put(o, PIPE + "dtype", dtype);
        for (String kv : settings) {
            String[] pair = keyValue("--set", kv);
            o.put(pair[0], pair[1]);
        }
        for (String kv : sparkConf) {
            String[] pair = keyValue("--spark-conf", kv);
            o.put(ConfigUtil.joinPath("spark", "conf", pair[0]), pair[1]);
        }
        return o;
    }

    private static void put(Map<String, Object> overrides, String key, String value) {
        if (value != null) {
            overrides.put(key, value);
        }
    }

    private static String[] keyValue(String option, String kv) {
        int at = kv.indexOf('=');
        if (at <= 0) {
            throw new IllegalArgumentException(option + " expects KEY=VALUE, got '" + kv + "'");
        }
        return new String[] {kv.substring(0, at).trim(), kv.substring(at + 1)};
    }

    /** The validated configuration: built-in defaults, then the config files, then these flags. */
    public JobConfig toConfig() {
        return JobConfig.load(configFiles, overrides(), master != null);
    }

    /** Parses a job command line (no Spark); a bad option is an IllegalArgumentException with picocli's message. */
    public static JobCommand parse(String... args) {
        JobCommand command = new JobCommand();
        try {
            new CommandLine(command).setOverwrittenOptionsAllowed(true).parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return command;
    }

    @Override
    public Integer call() {
        JvmSettings.djlOffline();
        JobConfig cfg = toConfig();
        // a broken local model folder, an unknown scheduler or an unreachable Hub is refused before Spark starts
        // a bad plan is one line naming the file and the key, exit 2, before the model loads or Spark starts
        DatasetPlan plan = cfg.plan() == null ? null
                : PlanParser.parse(new PlanFiles(JobMain.hadoopConfiguration(cfg), cfg.plan()));
        PipelineSpec model = DriverModel.prepare(cfg.pipelineSpec(0), JobMain.isLocal(JobMain.master(cfg)), null);
        SparkSession spark = JobMain.session(cfg);
        try {
            JobSummary summary = DiffusionJob.run(spark, cfg, model, plan,
                    ManagementFactory.getRuntimeMXBean().getStartTime());
            out.println(summary.render());
            return 0;
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) { // Spark throws its checked SparkException from Scala code
            err.println("diffusers4j job: failed: " + failureLine(e));
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
        return Redaction.scrub(line);
    }

    private static String firstLine(String message, int max) {
        String first = String.valueOf(message).lines().findFirst().orElse("");
        return first.length() > max ? first.substring(0, max - 3) + "..." : first;
    }
}
