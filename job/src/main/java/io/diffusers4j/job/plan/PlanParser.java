// Reads a dataset plan (JSON or HOCON) into a validated, linked, counted DatasetPlan, before Spark starts.
package io.diffusers4j.job.plan;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigIncludeContext;
import com.typesafe.config.ConfigIncluder;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.diffusers4j.job.rows.AdapterFields;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.schedulers.Schedulers;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The plan format (README "Generating a dataset"). JSON always works: it is parsed as HOCON, the job's config
 * syntax, which also allows comments and unquoted text; {@code include} and {@code ${...}} substitutions are refused
 * (every size the plan reaches must stay bounded). Unknown keys are refused. Every check runs here, on the driver:
 * an undefined slot, an empty value list, a reference cycle, a malformed template, a value out of range is one
 * {@link PlanException} naming the plan file and the key.
 */
public final class PlanParser {
    static final Pattern TEMPLATE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Set<String> PLAN_KEYS = Set.of("name", "description", "seed", "mode", "count",
            "images_per_prompt", "templates", "slots", "sweep", "defaults");
    private static final Set<String> TEMPLATE_KEYS = Set.of("id", "prompt", "negative_prompt", "weight", "loras",
            "textual_inversions");
    /** Sweep axes, in the order their digits take (the last varies fastest). */
    static final List<String> SWEEP_KEYS = List.of("guidance_scale", "num_inference_steps", "scheduler", "size",
            "width", "height", "loras", "textual_inversions", "max_sequence_length");
    private static final Set<String> DEFAULT_KEYS = Set.of("negative_prompt", "guidance_scale",
            "num_inference_steps", "scheduler", "size", "width", "height", "loras", "textual_inversions",
            "max_sequence_length");

    private final PlanFiles files;
    private final String file;
    private final PlanValues values;
    private final Map<String, Choice> slots = new HashMap<>();
    private final Map<String, Choice> wildcards = new HashMap<>();
    private long totalChars;

    private PlanParser(PlanFiles files) {
        this.files = files;
        this.file = files.planFile();
        this.values = new PlanValues(file);
    }

    /** Reads, validates, links and counts the plan at {@code files.planFile()}. */
    public static DatasetPlan parse(PlanFiles files) {
        PlanParser p = new PlanParser(files);
        String text = files.read(files.planFile(), "", PlanLimits.MAX_PLAN_BYTES);
        return p.plan(text);
    }

    private DatasetPlan plan(String text) {
        Config config;
        try {
            config = ConfigFactory.parseString(text, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF)
                    .setOriginDescription(file).setAllowMissing(false).setIncluder(new NoIncludes()));
        } catch (ConfigException e) {
            throw new PlanException(file, "", "not valid JSON or HOCON: " + oneLine(e.getMessage()));
        }
        if (!config.isResolved()) {
            throw new PlanException(file, "", "${...} substitutions are not supported in a plan");
        }
        ConfigObject root = config.root();
        values.onlyKeys("", root, PLAN_KEYS);
        String name = root.containsKey("name") ? values.nonBlank("name", root.get("name"))
                : baseName(file);
        long seed = root.containsKey("seed") ? values.integer("seed", root.get("seed"), 0, Long.MAX_VALUE) : 0;
        PlanMode mode = mode(root.get("mode"));
        int count = 0;
        if (mode == PlanMode.SAMPLE) {
            if (!root.containsKey("count")) {
                throw values.error("count", "sample mode needs count (how many prompts to draw)");
            }
            count = (int) values.integer("count", root.get("count"), 1, PlanLimits.MAX_SAMPLE_COUNT);
        } else if (root.containsKey("count")) {
            throw values.error("count", "is for \"mode\": \"sample\" (product mode renders every combination)");
        }
        int images = root.containsKey("images_per_prompt") ? (int) values.integer("images_per_prompt",
                root.get("images_per_prompt"), 1, PlanLimits.MAX_IMAGES_PER_PROMPT) : 1;
        if (root.containsKey("slots")) {
            slots(values.object("slots", root.get("slots")));
        }
        if (!root.containsKey("templates")) {
            throw values.error("templates", "a plan needs templates: [{\"id\": ..., \"prompt\": ...}, ...]");
        }
        List<PlanTemplate> templates = templates(values.nonEmptyList("templates", root.get("templates"),
                PlanLimits.MAX_TEMPLATES));
        Sweep sweep = root.containsKey("sweep") ? sweep(values.object("sweep", root.get("sweep"))) : Sweep.NONE;
        PlanParams defaults = PlanParams.NONE;
        String negative = null;
        if (root.containsKey("defaults")) {
            ConfigObject d = values.object("defaults", root.get("defaults"));
            values.onlyKeys("defaults", d, DEFAULT_KEYS);
            checkSizeKeys("defaults", d);
            for (String k : SWEEP_KEYS) {
                if (d.containsKey(k)) {
                    defaults = param("defaults." + k, k, d.get(k)).over(defaults);
                }
            }
            if (d.containsKey("negative_prompt")) {
                negative = values.text("defaults.negative_prompt", d.get("negative_prompt"));
            }
        }
        return new DatasetPlan(file, name, seed, mode, count, images, templates, sweep, defaults, negative);
    }

    private PlanMode mode(ConfigValue v) {
        if (v == null) {
            return PlanMode.PRODUCT;
        }
        String m = values.text("mode", v);
        for (PlanMode mode : PlanMode.values()) {
            if (mode.key().equals(m)) {
                return mode;
            }
        }
        throw values.error("mode", "must be \"product\" or \"sample\", got \"" + m + "\"");
    }

    private void slots(ConfigObject o) {
        if (o.size() > PlanLimits.MAX_SLOTS) {
            throw values.error("slots", o.size() + " slots (at most " + PlanLimits.MAX_SLOTS + ")");
        }
        for (String name : new TreeMap<>(o).keySet()) {
            String key = "slots." + name;
            if (!TemplateParser.SLOT_NAME.matcher(name).matches()) {
                throw values.error(key, "a slot name is letters, digits, _ and -");
            }
            ConfigValue v = o.get(name);
            List<Choice.Option> options = new ArrayList<>();
            if (v.valueType() == ConfigValueType.OBJECT) {
                ConfigObject spec = (ConfigObject) v;
                values.onlyKeys(key, spec, Set.of("file"));
                if (!spec.containsKey("file")) {
                    throw values.error(key, "a slot is a list of values or {\"file\": \"values.txt\"}");
                }
                String path = files.resolve(values.nonBlank(key + ".file", spec.get("file")), key + ".file");
                options = lines(key, path);
            } else {
                ConfigList list = values.nonEmptyList(key, v, PlanLimits.MAX_VALUES);
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < list.size(); i++) {
                    options.add(value(key + "[" + i + "]", list.get(i), seen));
                }
            }
            slots.put(name, new Choice(name, key, options));
        }
    }

    /** A slot list entry: text, or {"value": text, "weight": w}. */
    private Choice.Option value(String key, ConfigValue v, Set<String> seen) {
        String raw;
        double weight = 1.0;
        if (v.valueType() == ConfigValueType.OBJECT) {
            ConfigObject o = (ConfigObject) v;
            values.onlyKeys(key, o, Set.of("value", "weight"));
            if (!o.containsKey("value")) {
                throw values.error(key, "a weighted value is {\"value\": \"...\", \"weight\": 2.0}");
            }
            raw = values.text(key + ".value", o.get("value"));
            if (o.containsKey("weight")) {
                weight = values.weight(key + ".weight", o.get("weight"));
            }
        } else if (v.valueType() == ConfigValueType.STRING) {
            raw = values.text(key, v);
        } else {
            throw values.error(key, "a value is text or {\"value\": \"...\", \"weight\": 2.0}, got " + v.render());
        }
        if (!seen.add(raw)) {
            throw values.error(key, "the value \"" + raw + "\" appears twice (ids would repeat)");
        }
        return new Choice.Option(raw, text(key, raw), weight);
    }

    /** The values of a slot file or wildcard: one a line; blank lines and lines starting with # are skipped. */
    private List<Choice.Option> lines(String key, String path) {
        String content = files.read(path, key, PlanLimits.MAX_FILE_BYTES);
        List<Choice.Option> options = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        String base = baseName(path);
        int lineNo = 0;
        for (String line : content.split("\r?\n", -1)) {
            lineNo++;
            String v = line.strip();
            if (v.isEmpty() || v.startsWith("#") || !seen.add(v)) {
                continue; // a repeated line is one value (files are often concatenated lists)
            }
            if (options.size() == PlanLimits.MAX_VALUES) {
                throw values.error(key, base + " has more than " + PlanLimits.MAX_VALUES + " values");
            }
            options.add(new Choice.Option(v, text(key + " (" + base + ":" + lineNo + ")", v), 1.0));
        }
        if (options.isEmpty()) {
            throw values.error(key, base + " has no values (blank lines and # comments are skipped)");
        }
        return options;
    }

    private Text text(String key, String source) {
        totalChars += source.length();
        if (totalChars > PlanLimits.MAX_TOTAL_CHARS) {
            throw values.error(key, "the plan's values exceed " + PlanLimits.MAX_TOTAL_CHARS + " characters");
        }
        return TemplateParser.parse(file, key, source);
    }

    private List<PlanTemplate> templates(ConfigList list) {
        List<PlanTemplate> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String key = "templates[" + i + "]";
            ConfigObject o = values.object(key, list.get(i));
            values.onlyKeys(key, o, TEMPLATE_KEYS);
            if (!o.containsKey("id") || !o.containsKey("prompt")) {
                throw values.error(key, "a template needs \"id\" and \"prompt\"");
            }
            String id = values.text(key + ".id", o.get("id"));
            if (!TEMPLATE_ID.matcher(id).matches()) {
                throw values.error(key + ".id", "\"" + id + "\": an id is 1-64 letters, digits, _, . and -, "
                        + "starting with a letter or digit");
            }
            if (!ids.add(id)) {
                throw values.error(key + ".id", "\"" + id + "\" is the id of an earlier template");
            }
            Text prompt = text(key + ".prompt", values.text(key + ".prompt", o.get("prompt")));
            String negative = o.containsKey("negative_prompt")
                    ? values.text(key + ".negative_prompt", o.get("negative_prompt")) : null;
            double weight = o.containsKey("weight") ? values.weight(key + ".weight", o.get("weight")) : 1.0;
            link(key + ".prompt", prompt);
            PlanParams adapters = PlanParams.NONE;
            for (String k : List.of("loras", "textual_inversions")) {
                if (o.containsKey(k)) {
                    adapters = param(key + "." + k, k, o.get(k)).over(adapters);
                }
            }
            PlanTemplate t = new PlanTemplate(id, prompt, negative, weight, adapters);
            for (Text.Ref d : t.digits()) {
                d.choice.resolveCounts(file, new ArrayList<>(List.of(key)));
            }
            if (t.resolveCombinations() > PlanLimits.MAX_PROMPTS) {
                throw values.error(key, "more than " + PlanLimits.MAX_PROMPTS + " combinations");
            }
            if (t.maxLength() > PlanLimits.MAX_PROMPT_CHARS) {
                throw values.error(key + ".prompt", "resolves to prompts of up to " + t.maxLength()
                        + " characters (at most " + PlanLimits.MAX_PROMPT_CHARS + ")");
            }
            out.add(t);
        }
        return out;
    }

    /** Points every slot and wildcard reference under {@code text} at its choice (reading wildcard files once). */
    private void link(String key, Text text) {
        Deque<Map.Entry<String, Text>> todo = new ArrayDeque<>();
        todo.push(Map.entry(key, text));
        Set<Choice> done = new HashSet<>();
        while (!todo.isEmpty()) {
            Map.Entry<String, Text> e = todo.pop();
            for (Text.Part p : e.getValue().parts) {
                if (!(p instanceof Text.Ref r)) {
                    continue;
                }
                if (r.choice == null) {
                    r.choice = r.kind == Text.Kind.SLOT ? slot(e.getKey(), r.key) : wildcard(e.getKey(), r.key);
                }
                if (done.add(r.choice)) {
                    for (Choice.Option o : r.choice.options) {
                        todo.push(Map.entry(r.choice.where, o.text()));
                    }
                }
            }
        }
    }

    private Choice slot(String key, String name) {
        Choice c = slots.get(name);
        if (c == null) {
            throw values.error(key, "slot {" + name + "} is not defined in slots (defined: "
                    + (slots.isEmpty() ? "none" : String.join(", ", new TreeMap<>(slots).keySet())) + ")");
        }
        return c;
    }

    private Choice wildcard(String key, String ref) {
        Choice c = wildcards.get(ref);
        if (c == null) {
            if (wildcards.size() == PlanLimits.MAX_SLOTS) {
                throw values.error(key, "more than " + PlanLimits.MAX_SLOTS + " wildcard files");
            }
            String name = ref.substring(2, ref.length() - 2);
            String path = files.resolve(name + ".txt", key);
            c = new Choice(ref, ref + " (" + name + ".txt)", lines(key + ": wildcard " + ref, path));
            wildcards.put(ref, c);
        }
        return c;
    }

    private Sweep sweep(ConfigObject o) {
        values.onlyKeys("sweep", o, new HashSet<>(SWEEP_KEYS));
        checkSizeKeys("sweep", o);
        List<Sweep.Axis> axes = new ArrayList<>();
        for (String name : SWEEP_KEYS) {
            if (!o.containsKey(name)) {
                continue;
            }
            String key = "sweep." + name;
            ConfigList list = values.nonEmptyList(key, o.get(name), PlanLimits.MAX_SWEEP_VALUES);
            Map<String, PlanParams> points = new LinkedHashMap<>();
            for (int i = 0; i < list.size(); i++) {
                PlanParams p = param(key + "[" + i + "]", name, list.get(i));
                if (points.put(canonical(name, p), p) != null) {
                    throw values.error(key + "[" + i + "]", "the value " + canonical(name, p) + " appears twice");
                }
            }
            axes.add(new Sweep.Axis(name, new ArrayList<>(points.values()), new ArrayList<>(points.keySet())));
        }
        return new Sweep(axes);
    }

    private void checkSizeKeys(String key, ConfigObject o) {
        if (o.containsKey("size") && (o.containsKey("width") || o.containsKey("height"))) {
            throw values.error(key + ".size", "give size or width/height, not both");
        }
    }

    private PlanParams param(String key, String name, ConfigValue v) {
        return switch (name) {
            case "guidance_scale" -> PlanParams.guidance(values.finite(key, v));
            case "num_inference_steps" -> PlanParams.steps((int) values.integer(key, v, 1, 100_000));
            case "scheduler" -> PlanParams.scheduler(scheduler(key, v));
            case "width" -> PlanParams.size((int) values.integer(key, v, 1, 100_000), null);
            case "height" -> PlanParams.size(null, (int) values.integer(key, v, 1, 100_000));
            case "size" -> {
                int[] wh = values.size(key, v);
                yield PlanParams.size(wh[0], wh[1]);
            }
            case "loras" -> PlanParams.adapters(adapters(key, v, "scale"), null);
            case "textual_inversions" -> PlanParams.adapters(null, adapters(key, v, "token"));
            case "max_sequence_length" -> PlanParams.maxSequenceLength((int) values.integer(key, v, 1,
                    PipelineCall.MAX_SEQUENCE_LENGTH));
            default -> throw values.error(key, "unknown parameter");
        };
    }

    /**
     * An adapter list as a row's {@code loras} / {@code textual_inversions} field takes it: entries
     * {@code "PATH_OR_ID[:SECOND]"} or {@code {"name": ..., "<second>": ...}}, normalised to the string form (the
     * row's validation checks the files and values: a bad one is an error row). An empty list: no adapters.
     */
    private List<String> adapters(String key, ConfigValue v, String second) {
        if (v.valueType() != ConfigValueType.LIST) {
            throw values.error(key, "a list of \"PATH[:" + second.toUpperCase(Locale.ROOT) + "]\" or {\"name\": ..., \""
                    + second + "\": ...} entries");
        }
        ConfigList list = (ConfigList) v;
        if (list.size() > AdapterFields.MAX_PER_ROW) {
            throw values.error(key, list.size() + " entries (at most " + AdapterFields.MAX_PER_ROW + ")");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String k = key + "[" + i + "]";
            ConfigValue e = list.get(i);
            if (e.valueType() == ConfigValueType.OBJECT) {
                ConfigObject o = (ConfigObject) e;
                values.onlyKeys(k, o, Set.of("name", second));
                if (!o.containsKey("name")) {
                    throw values.error(k, "an entry needs \"name\"");
                }
                String name = values.nonBlank(k + ".name", o.get("name"));
                out.add(o.containsKey(second) ? name + ":" + o.get(second).unwrapped() : name);
            } else {
                out.add(values.nonBlank(k, e));
            }
        }
        return List.copyOf(out);
    }

    /** A scheduler name the job knows (a diffusers class or a web UI's name), refused here rather than per row. */
    private String scheduler(String key, ConfigValue v) {
        String name = values.nonBlank(key, v);
        try {
            Schedulers.resolve(name);
        } catch (IllegalArgumentException e) {
            throw values.error(key, e.getMessage());
        }
        return name;
    }

    /** A sweep value's identity in ids: {@code 7.5}, {@code 20}, {@code 512x768}, the scheduler's name. */
    private static String canonical(String name, PlanParams p) {
        return switch (name) {
            case "guidance_scale" -> Double.toString(p.guidanceScale());
            case "num_inference_steps" -> Integer.toString(p.numInferenceSteps());
            case "scheduler" -> p.scheduler();
            case "width" -> Integer.toString(p.width());
            case "height" -> Integer.toString(p.height());
            case "loras" -> "[" + String.join(",", p.loras()) + "]";
            case "textual_inversions" -> "[" + String.join(",", p.textualInversions()) + "]";
            case "max_sequence_length" -> Integer.toString(p.maxSequenceLength());
            default -> p.width() + "x" + p.height();
        };
    }

    /** The last segment of a path or URI. */
    public static String baseName(String path) {
        String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        return p.substring(p.lastIndexOf('/') + 1);
    }

    private static String oneLine(String message) {
        String m = String.valueOf(message);
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** {@code include} would read files past every cap: refused. */
    private static final class NoIncludes implements ConfigIncluder {
        @Override
        public ConfigIncluder withFallback(ConfigIncluder fallback) {
            return this;
        }

        @Override
        public ConfigObject include(ConfigIncludeContext context, String what) {
            throw new ConfigException.Generic("include is not supported in a plan (include " + what + ")");
        }
    }
}
