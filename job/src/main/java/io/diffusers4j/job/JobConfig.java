// The job's configuration: built-in HOCON defaults, then --config files, then command-line overrides.
package io.diffusers4j.job;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import io.diffusers4j.job.input.PromptFormat;
import io.diffusers4j.job.output.ImageFolderExport;
import io.diffusers4j.job.render.PipelineSpec;
import io.diffusers4j.job.render.Redaction;
import io.diffusers4j.job.report.RunReport;
import io.diffusers4j.job.rows.JobDefaults;
import io.diffusers4j.job.rows.OutputSchema;
import io.diffusers4j.pipelines.PipelineOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Typed view of the job configuration (HOCON, see {@code job-defaults.conf} and {@code conf/*.conf}).
 * Precedence: command-line overrides &gt; later {@code --config} files &gt; earlier ones &gt; built-in defaults.
 * Every value is validated here, on the driver, before Spark starts; unknown {@code diffusers4j.*} keys are
 * refused (a typo must not silently fall back to a default).
 */
public final class JobConfig {
    static final String DEFAULTS_RESOURCE = "io/diffusers4j/job/job-defaults.conf";
    private static final String JOB = "diffusers4j.job.";
    private static final String PIPE = "diffusers4j.pipeline.";

    private final Config config;
    private final boolean masterExplicit;

    private JobConfig(Config config, boolean masterExplicit) {
        this.config = config;
        this.masterExplicit = masterExplicit;
        validate();
    }

    /**
     * @param files          HOCON files, later ones override earlier ones
     * @param overrides      config path → value (command-line flags and {@code --set}), highest precedence
     * @param masterExplicit whether {@code --master} was given (then it wins over spark-submit's master)
     */
    public static JobConfig load(List<Path> files, Map<String, Object> overrides, boolean masterExplicit) {
        Config defaults = ConfigFactory.parseResources(JobConfig.class.getClassLoader(), DEFAULTS_RESOURCE,
                ConfigParseOptions.defaults().setAllowMissing(false));
        Config merged = defaults;
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("config file " + f + " does not exist");
            }
            Config fileConf;
            try {
                fileConf = ConfigFactory.parseFile(f.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            } catch (ConfigException e) {
                throw new IllegalArgumentException("config file " + f + ": " + e.getMessage(), e);
            }
            checkKnownKeys(fileConf, defaults, f.toString());
            merged = fileConf.withFallback(merged);
        }
        Config over = ConfigFactory.empty();
        for (Map.Entry<String, Object> e : overrides.entrySet()) {
            String path = e.getKey();
            if (!path.startsWith("spark.conf.") && !defaults.hasPathOrNull(path)) {
                throw new IllegalArgumentException("unknown config key '" + path + "'");
            }
            over = over.withValue(path, ConfigValueFactory.fromAnyRef(e.getValue()));
        }
        try {
            return new JobConfig(over.withFallback(merged).resolve(), masterExplicit);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("configuration: " + e.getMessage(), e);
        }
    }

    private static void checkKnownKeys(Config file, Config defaults, String where) {
        for (Map.Entry<String, ConfigValue> e : file.entrySet()) {
            String key = e.getKey();
            boolean sparkConf = key.startsWith("spark.conf.");
            if (!sparkConf && !defaults.hasPathOrNull(key)) {
                throw new IllegalArgumentException("unknown config key '" + key + "' in " + where);
            }
        }
    }

    private void validate() {
        if (plan() == null) {
            require("prompts", prompts());
        } else if (prompts() != null) {
            throw new IllegalArgumentException("give --prompts or --plan, not both");
        }
        if (limit() > 0 && plan() == null) {
            throw new IllegalArgumentException("--limit previews the first prompts of a --plan; give --plan");
        }
        require("output", output());
        format();
        mode();
        positive("batch-size", batchSize());
        if (partitions() < 0) {
            throw new IllegalArgumentException("partitions must be >= 0 (0 = Spark's default), got " + partitions());
        }
        String by = partitionBy();
        if (by != null && (!OutputSchema.COLUMNS.contains(by) || OutputSchema.MEDIA.contains(by))) {
            throw new IllegalArgumentException("partition-by '" + by + "' is not an output column that can partition "
                    + "(any of " + OutputSchema.COLUMNS.stream().filter(c -> !OutputSchema.MEDIA.contains(c)).toList()
                    + ")");
        }
        torchThreads();
        progressInterval();
        progressConsole();
        reportLimits();
        datasetCard();
        limit();
        exportDir();
        commitEvery();
        defaults();
        pipelineSpec(0);
    }

    private static void require(String name, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + value);
        }
    }

    private String str(String path) {
        return config.getIsNull(path) ? null : config.getString(path);
    }

    private Integer intOrNull(String path) {
        try {
            return config.getIsNull(path) ? null : config.getInt(path);
        } catch (ConfigException.WrongType e) {
            throw new IllegalArgumentException(path + " must be an integer, got " + config.getValue(path).render());
        }
    }

    private int integer(String path) {
        Integer v = intOrNull(path);
        if (v == null) {
            throw new IllegalArgumentException(path + " must be set");
        }
        return v;
    }

    private long longValue(String path) {
        try {
            return config.getLong(path);
        } catch (ConfigException.WrongType e) {
            throw new IllegalArgumentException(path + " must be an integer, got " + config.getValue(path).render());
        }
    }

    private boolean bool(String path) {
        try {
            return config.getBoolean(path);
        } catch (ConfigException.WrongType e) {
            throw new IllegalArgumentException(path + " must be true or false, got "
                    + config.getValue(path).render());
        }
    }

    private Double dblOrNull(String path) {
        try {
            return config.getIsNull(path) ? null : config.getDouble(path);
        } catch (ConfigException.WrongType e) {
            throw new IllegalArgumentException(path + " must be a number, got " + config.getValue(path).render());
        }
    }

    public String prompts() {
        return str(JOB + "prompts");
    }

    /** The dataset plan to render instead of a prompt dataset, or null. */
    public String plan() {
        String p = str(JOB + "plan");
        return p == null || p.isBlank() ? null : p;
    }

    /** Plan runs: render only the first this many prompts (0 = all). */
    public long limit() {
        try {
            long n = config.getLong(JOB + "limit");
            if (n < 0) {
                throw new IllegalArgumentException("limit must be >= 0 (0 = all), got " + n);
            }
            return n;
        } catch (ConfigException.WrongType e) {
            throw new IllegalArgumentException("limit must be an integer, got "
                    + config.getValue(JOB + "limit").render());
        }
    }

    public String output() {
        return str(JOB + "output");
    }

    /** The requested format, or null for auto-detection by extension. */
    public PromptFormat format() {
        String f = str(JOB + "format");
        return f == null || f.equalsIgnoreCase("auto") ? null : PromptFormat.parse(f);
    }

    /** "overwrite" or "append" ("append" whenever resuming). */
    public String mode() {
        String m = config.getString(JOB + "mode").toLowerCase(Locale.ROOT);
        if (!m.equals("overwrite") && !m.equals("append")) {
            throw new IllegalArgumentException("mode must be overwrite or append, got '" + m + "'");
        }
        return resume() ? "append" : m;
    }

    public boolean resume() {
        return bool(JOB + "resume");
    }

    /** Local mode: build the pipeline in the background while Spark reads and plans the input. */
    public boolean prewarmLocal() {
        return bool(JOB + "prewarm-local");
    }

    public int batchSize() {
        return integer(JOB + "batch-size");
    }

    /** 0 = Spark's default parallelism. */
    public int partitions() {
        return integer(JOB + "partitions");
    }

    public String partitionBy() {
        String v = str(JOB + "partition-by");
        return v == null || v.isBlank() ? null : v;
    }

    /** How often the driver logs a progress line while rendering; zero = never. */
    public Duration progressInterval() {
        try {
            Duration d = config.getDuration(JOB + "progress-interval");
            if (d.isNegative()) {
                throw new IllegalArgumentException("progress-interval must be >= 0, got " + d);
            }
            return d;
        } catch (ConfigException.BadValue | ConfigException.WrongType e) {
            throw new IllegalArgumentException("progress-interval must be a duration such as 30s or 2m, got "
                    + config.getValue(JOB + "progress-interval").render());
        }
    }

    /**
     * Whether progress is a line redrawn in place on stderr (true) or a log line every progress-interval (false);
     * empty = auto: in place when stderr is an interactive terminal.
     */
    public Optional<Boolean> progressConsole() {
        String v = String.valueOf(str(JOB + "progress-console")).trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "auto" -> Optional.empty();
            case "true" -> Optional.of(true);
            case "false" -> Optional.of(false);
            default -> throw new IllegalArgumentException("progress-console must be auto, true or false, got "
                    + config.getValue(JOB + "progress-console").render());
        };
    }

    /** The {@code --export} folder, or null; the format is {@link ImageFolderExport#FORMAT}. */
    public String exportDir() {
        String format = str(JOB + "export.format");
        String dir = str(JOB + "export.dir");
        if (format == null && dir == null) {
            return null;
        }
        if (!ImageFolderExport.FORMAT.equals(format) || dir == null || dir.isBlank()) {
            throw new IllegalArgumentException("--export takes a format and a folder: --export imagefolder DIR (got "
                    + format + " " + dir + ")");
        }
        return dir;
    }

    /** Whether the dataset card (<output>/README.md) is written. */
    public boolean datasetCard() {
        return bool(JOB + "dataset-card");
    }

    /** Whether the run report (<output>/_report) is written. */
    public boolean reportEnabled() {
        return bool(JOB + "report.enabled");
    }

    /** How much the run report reads back. */
    public RunReport.Limits reportLimits() {
        return new RunReport.Limits(integer(JOB + "report.thumbnails"),
                integer(JOB + "report.samples"), integer(JOB + "report.errors"));
    }

    /**
     * Images per committed wave: -1 = auto (decided once the partition count is known), 0 = a single commit at the
     * end, else that many images per wave.
     */
    public long commitEvery() {
        return autoOrCount("commit-every", Long.MAX_VALUE,
                "auto, 0 (commit once at the end) or a number of images >= 1");
    }

    /** -1 = auto (decided with the SparkContext), else a thread count (0 = leave libtorch's default). */
    public int torchThreads() {
        return (int) autoOrCount("torch-threads", Integer.MAX_VALUE, "auto or a count >= 0");
    }

    /** The job key {@code key}: -1 for "auto", else a whole number in [0, max]; anything else fails naming it. */
    private long autoOrCount(String key, long max, String expected) {
        String v = config.getString(JOB + key);
        if (v.equalsIgnoreCase("auto")) {
            return -1;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n < 0 || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be " + expected + ", got '" + v + "'");
        }
    }

    public JobDefaults defaults() {
        String d = JOB + "defaults.";
        return new JobDefaults(str(d + "negative-prompt"), intOrNull(d + "num-inference-steps"),
                dblOrNull(d + "guidance-scale"), intOrNull(d + "width"), intOrNull(d + "height"),
                integer(d + "num-images-per-prompt"), longValue(JOB + "seed"),
                integer(JOB + "max-size"), integer(JOB + "max-steps"), integer(JOB + "max-images-per-prompt"),
                intOrNull(d + "max-sequence-length"));
    }

    /** The broadcast spec, with libtorch threads already decided ({@link #torchThreads()} resolved by the job). */
    public PipelineSpec pipelineSpec(int resolvedTorchThreads) {
        Map<String, String> options = new TreeMap<>();
        if (bool(PIPE + "local-files-only")) {
            options.put("local-files-only", "true");
        }
        if (!config.getIsNull(PIPE + "use-safetensors")) {
            options.put("use-safetensors", Boolean.toString(bool(PIPE + "use-safetensors")));
        }
        if (str(PIPE + "custom-pipeline") != null) {
            options.put("custom-pipeline", str(PIPE + "custom-pipeline"));
        }
        Integer loraCacheSize = intOrNull(PIPE + "lora-cache-size");
        if (loraCacheSize != null) {
            options.put("lora-cache-size", Integer.toString(loraCacheSize));
        }
        int embeddingCache = integer(PIPE + "text-embedding-cache");
        new PipelineOptions().textEmbeddingCache(embeddingCache); // range-checked on the driver
        options.put("text-embedding-cache", Integer.toString(embeddingCache));
        String vae = str(PIPE + "vae");
        if (vae != null && !vae.isBlank()) {
            // a folder becomes absolute, as the model does (executors do not share the driver's working directory)
            options.put("vae", Files.isDirectory(Path.of(vae)) ? Path.of(vae).toAbsolutePath().normalize().toString()
                    : vae);
        }
        List<String> without = withoutComponents();
        if (!without.isEmpty()) {
            options.put(PipelineSpec.WITHOUT_COMPONENT, String.join(",", without));
        }
        return new PipelineSpec(model(), str(PIPE + "revision"), str(PIPE + "variant"),
                str(PIPE + "dtype"), str(PIPE + "device"), str(PIPE + "scheduler"), options,
                str(JOB + "renderer"), Math.max(0, resolvedTorchThreads));
    }

    /**
     * The components left out ({@code without-component}): a list of names, or one name (as {@code --set} gives
     * it); each must be a component name ({@link PipelineSpec}), and the driver checks it against the model.
     */
    private List<String> withoutComponents() {
        String path = PIPE + "without-component";
        if (config.getIsNull(path)) {
            return List.of();
        }
        List<String> names;
        try {
            names = config.getValue(path).valueType() == ConfigValueType.STRING ? List.of(config.getString(path))
                    : config.getStringList(path);
        } catch (ConfigException.WrongType e) {
            throw new IllegalArgumentException(path + " must be a list of component names, got "
                    + config.getValue(path).render());
        }
        names.forEach(PipelineSpec::requireComponentName); // before they are joined into one pipeline option
        return names;
    }

    /**
     * The model: an existing local folder becomes absolute (executors do not share the driver's working
     * directory), anything else is a Hub id (diffusers' rule: a directory wins over a repo id); null = embedded.
     */
    public String model() {
        String m = str(PIPE + "model");
        if (m == null || m.isBlank()) {
            return null;
        }
        Path p = Path.of(m);
        return Files.isDirectory(p) ? p.toAbsolutePath().normalize().toString() : m;
    }

    public String master() {
        return config.getString("spark.master");
    }

    /** Whether --master was given (it then wins over a master set by spark-submit). */
    public boolean masterExplicit() {
        return masterExplicit;
    }

    public String appName() {
        return config.getString("spark.app-name");
    }

    /** Spark settings from {@code spark.conf { ... }} and {@code --spark-conf}. */
    public Map<String, String> sparkConf() {
        Map<String, String> out = new LinkedHashMap<>();
        if (config.hasPath("spark.conf")) {
            Config sc = config.getConfig("spark.conf");
            for (Map.Entry<String, ConfigValue> e : sc.entrySet()) {
                // quoted keys ("spark.executor.memory") come back quoted from entrySet: unquote
                List<String> parts = com.typesafe.config.ConfigUtil.splitPath(e.getKey());
                out.put(String.join(".", parts), String.valueOf(e.getValue().unwrapped()));
            }
        }
        return out;
    }

    /**
     * The effective configuration for logs. The job's own keys hold no secrets (token options are refused), but
     * {@code spark.conf} may carry one ({@code spark.executorEnv.HF_TOKEN}): values of keys matching Spark's
     * default {@code spark.redaction.regex} are replaced, and the Hub token's value is scrubbed everywhere.
     */
    public String describe() {
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> e : new TreeMap<>(flatten()).entrySet()) {
            boolean secret = SECRET_KEY.matcher(e.getKey()).find();
            lines.add(e.getKey() + " = " + (secret ? "*********(redacted)" : e.getValue().render()));
        }
        return Redaction.scrub(String.join("\n", lines));
    }

    /** Spark's default spark.redaction.regex. */
    private static final Pattern SECRET_KEY =
            Pattern.compile("(?i)secret|password|token|access[.]?key");

    private Map<String, ConfigValue> flatten() {
        Map<String, ConfigValue> m = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> e : config.entrySet()) {
            m.put(e.getKey(), e.getValue());
        }
        return m;
    }
}
