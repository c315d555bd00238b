// The job's command-line flags and how they map onto config keys.
package io.diffusers4j.job;

import com.typesafe.config.ConfigUtil;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses {@code job --prompts PATH --output DIR [...]} into config overrides. Flags accept {@code --flag value}
 * and {@code --flag=value}. {@code --set key=value} overrides any config key; {@code --spark-conf key=value} sets
 * a Spark property.
 */
public final class CommandLine {
    public static final String USAGE = String.join("\n",
            "usage: job --prompts PATH --output DIR [options]",
            "",
            "Renders every prompt row of a dataset with a diffusers pipeline on Spark and writes images (PNG bytes)",
            "with their parameters to Parquet.",
            "",
            "  --prompts PATH          prompt dataset: a file or folder (JSONL, CSV, Parquet or text)",
            "  --output DIR            output folder (Parquet)",
            "  --model DIR|ORG/NAME    diffusers model folder or Hub id (default: the embedded tiny pipeline)",
            "  --master URL            Spark master (default local[*], or what spark-submit set)",
            "  --conf FILE             HOCON job config (repeatable; later files win; see conf/job.conf)",
            "  --batch-size N          images per batched pipeline call (default 8)",
            "  --format F              jsonl | csv | parquet | text (default: by extension)",
            "  --resume                skip images already written with status ok; append the rest",
            "  --partitions N          partitions to spread images over (default: Spark's default parallelism)",
            "  --partition-by COL      partition the output by this column (e.g. status)",
            "  --mode M                overwrite (default) | append",
            "  --commit-every N        commit the output every N images (default auto; 0 = once at the end)",
            "  --seed N                job seed for rows without a seed (default 0)",
            "  --steps N               num_inference_steps of rows without one (default: the pipeline's; SD 50, LCM 4)",
            "  --guidance-scale X      guidance_scale of rows without one (default: the pipeline's; SD 7.5, SDXL 5.0,",
            "                          LCM 8.5)",
            "  --width N, --height N   default image size (default: the pipeline's)",
            "  --scheduler NAME        scheduler class for rows that name none (e.g. EulerDiscreteScheduler)",
            "  --dtype float32|float16 pipeline dtype (float16 for CUDA)",
            "  --set KEY=VALUE         any config key, e.g. --set diffusers4j.job.max-size=1024 (repeatable)",
            "  --spark-conf KEY=VALUE  any Spark property, e.g. --spark-conf spark.executor.memory=4g (repeatable)",
            "  --help                  this text",
            "",
            "Row fields (diffusers' names): id, prompt (required), negative_prompt, seed, num_inference_steps,",
            "guidance_scale, width, height, scheduler, num_images_per_prompt, prompt_2, negative_prompt_2 (SDXL),",
            "timesteps, sigmas (a custom schedule). Image i of a row with seed s is drawn",
            "with its own generator seeded s+i and records seed s+i.");

    private static final Map<String, String> VALUE_FLAGS = new LinkedHashMap<>();

    static {
        VALUE_FLAGS.put("prompts", "diffusers4j.job.prompts");
        VALUE_FLAGS.put("output", "diffusers4j.job.output");
        VALUE_FLAGS.put("model", "diffusers4j.pipeline.model");
        VALUE_FLAGS.put("master", "spark.master");
        VALUE_FLAGS.put("batch-size", "diffusers4j.job.batch-size");
        VALUE_FLAGS.put("format", "diffusers4j.job.format");
        VALUE_FLAGS.put("partitions", "diffusers4j.job.partitions");
        VALUE_FLAGS.put("partition-by", "diffusers4j.job.partition-by");
        VALUE_FLAGS.put("mode", "diffusers4j.job.mode");
        VALUE_FLAGS.put("commit-every", "diffusers4j.job.commit-every");
        VALUE_FLAGS.put("seed", "diffusers4j.job.seed");
        VALUE_FLAGS.put("steps", "diffusers4j.job.defaults.num-inference-steps");
        VALUE_FLAGS.put("guidance-scale", "diffusers4j.job.defaults.guidance-scale");
        VALUE_FLAGS.put("width", "diffusers4j.job.defaults.width");
        VALUE_FLAGS.put("height", "diffusers4j.job.defaults.height");
        VALUE_FLAGS.put("scheduler", "diffusers4j.pipeline.scheduler");
        VALUE_FLAGS.put("dtype", "diffusers4j.pipeline.dtype");
    }

    /** The parsed command line. */
    public record Parsed(boolean help, List<Path> confFiles, Map<String, Object> overrides, boolean masterExplicit) {
        public JobConfig toConfig() {
            return JobConfig.load(confFiles, overrides, masterExplicit);
        }
    }

    private CommandLine() {
    }

    public static Parsed parse(String... args) {
        List<Path> files = new ArrayList<>();
        Map<String, Object> overrides = new LinkedHashMap<>();
        boolean help = false;
        boolean master = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "' (flags start with --; see --help)");
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            switch (name) {
                case "help", "h" -> help = true;
                case "resume" -> {
                    overrides.put("diffusers4j.job.resume", value == null || Boolean.parseBoolean(value));
                }
                case "conf" -> files.add(Path.of(value != null ? value : next(args, ++i, name)));
                case "set" -> {
                    String kv = value != null ? value : next(args, ++i, name);
                    int at = kv.indexOf('=');
                    if (at <= 0) {
                        throw new IllegalArgumentException("--set expects KEY=VALUE, got '" + kv + "'");
                    }
                    overrides.put(kv.substring(0, at).trim(), kv.substring(at + 1));
                }
                case "spark-conf" -> {
                    String kv = value != null ? value : next(args, ++i, name);
                    int at = kv.indexOf('=');
                    if (at <= 0) {
                        throw new IllegalArgumentException("--spark-conf expects KEY=VALUE, got '" + kv + "'");
                    }
                    overrides.put(ConfigUtil.joinPath("spark", "conf", kv.substring(0, at).trim()),
                            kv.substring(at + 1));
                }
                default -> {
                    String path = VALUE_FLAGS.get(name);
                    if (path == null) {
                        throw new IllegalArgumentException("unknown option --" + name + " (see --help)");
                    }
                    overrides.put(path, value != null ? value : next(args, ++i, name));
                    master |= name.equals("master");
                }
            }
        }
        return new Parsed(help, files, overrides, master);
    }

    private static String next(String[] args, int i, String flag) {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new IllegalArgumentException("--" + flag + " needs a value");
        }
        return args[i];
    }
}
