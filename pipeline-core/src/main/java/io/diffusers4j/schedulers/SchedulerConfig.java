// Port of the scheduler side of diffusers.configuration_utils (register_to_config, from_config, _use_default_values).
package io.diffusers4j.schedulers;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.diffusers4j.config.ConfigBase;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.diffusers4j.config.ConfigLimits.inRange;

/**
 * Keys every diffusers scheduler has. Each scheduler's {@code Config} subclass declares its other keys and sets
 * the defaults of its own {@code __init__} in its constructor (they differ: e.g. {@code timestep_spacing} is
 * "leading" for DDIM and "linspace" for Euler).
 *
 * <p>Like diffusers, a config remembers which keys took their default ({@code _use_default_values}): when another
 * scheduler is built from it ({@link #convert(ConfigBase, Class)}), those keys are not passed on, so the target
 * uses its own defaults; keys the target does not know are kept (and restored when converting back).
 */
public abstract class SchedulerConfig extends ConfigBase {
    /**
     * Most training timesteps (every released checkpoint: 1000; improved DDPM: 4000): the schedule tables (betas,
     * alphas, sigmas) are arrays of that many doubles.
     */
    public static final int MAX_TRAIN_TIMESTEPS = 100_000;

    public int numTrainTimesteps = 1000;
    public double betaStart = 0.0001;
    public double betaEnd = 0.02;
    public String betaSchedule = "linear";
    public double[] trainedBetas = null;
    public String predictionType = "epsilon";
    public String timestepSpacing = "leading";
    public int stepsOffset = 0;

    /** Keys that took the {@code __init__} default (diffusers' {@code _use_default_values}). */
    private transient Set<String> defaultKeys;

    /** The beta schedules this scheduler accepts. */
    protected List<String> betaSchedules() {
        return List.of("linear", "scaled_linear", "squaredcos_cap_v2");
    }

    /** The prediction types this scheduler accepts. */
    protected List<String> predictionTypes() {
        return List.of("epsilon", "v_prediction", "sample");
    }

    @Override
    public void validate() {
        inRange("num_train_timesteps", numTrainTimesteps, 1, MAX_TRAIN_TIMESTEPS);
        inRange("steps_offset", stepsOffset, 0, numTrainTimesteps - 1L);
        if (trainedBetas == null) {
            oneOf("beta_schedule", betaSchedule, betaSchedules());
        } else if (trainedBetas.length != numTrainTimesteps) {
            throw invalid("key 'trained_betas' has %d values but num_train_timesteps is %d", trainedBetas.length,
                    numTrainTimesteps);
        }
        oneOf("prediction_type", predictionType, predictionTypes());
        oneOf("timestep_spacing", timestepSpacing, List.of("linspace", "leading", "trailing"));
    }

    /** Throws quoting {@code value} unless it is one of {@code allowed}. */
    protected static void oneOf(String key, String value, List<String> allowed) {
        if (value == null || !allowed.contains(value)) {
            throw invalid("key '%s' is '%s', which is not supported; choose one of %s", key, value, allowed);
        }
    }

    /**
     * Keys declared here that this scheduler's {@code __init__} does not take (IPNDM, the flow-matching schedulers):
     * they are not in {@link #keys()}, not accepted as overrides, not checked, and {@link #toJson()} writes them only
     * when the file set them (diffusers keeps such keys aside and ignores them).
     */
    protected List<String> keysNotTaken() {
        return List.of();
    }

    /** The JSON keys of the typed fields this scheduler takes, in declaration order. */
    public List<String> keys() {
        List<String> keys = new ArrayList<>(fields(getClass()).keySet());
        keys.removeAll(keysNotTaken());
        return keys;
    }

    /** As diffusers writes it: the keys this scheduler does not take only when the file set them. */
    @Override
    public JsonObject toJson() {
        JsonObject json = super.toJson();
        for (String key : keysNotTaken()) {
            if (defaultKeys == null || defaultKeys.contains(key)) {
                json.remove(key);
            }
        }
        return json;
    }

    /** Keys that took the {@code __init__} default (diffusers' {@code _use_default_values}). */
    public Set<String> defaultKeys() {
        return defaultKeys == null ? Set.of() : Collections.unmodifiableSet(defaultKeys);
    }

    /**
     * Reads a config JSON object (a scheduler_config.json, or another scheduler's config) into {@code type},
     * recording which keys took defaults. A {@code _use_default_values} list is honoured as in diffusers.
     */
    public static <T extends SchedulerConfig> T parse(JsonObject json, Class<T> type, String source) {
        JsonObject copy = json.deepCopy();
        Set<String> declaredDefaults = new LinkedHashSet<>();
        JsonElement used = copy.remove("_use_default_values");
        if (used != null && used.isJsonArray()) {
            for (JsonElement e : used.getAsJsonArray()) {
                declaredDefaults.add(e.getAsString());
                copy.remove(e.getAsString());
            }
        }
        T config = ConfigBase.fromJson(copy, type, source);
        Set<String> defaults = new LinkedHashSet<>();
        for (String key : fields(type).keySet()) {
            if (!copy.has(key)) {
                defaults.add(key);
            }
        }
        ((SchedulerConfig) config).defaultKeys = defaults;
        return config;
    }

    /**
     * diffusers' {@code Target.from_config(other.config)}: keys that took defaults in {@code other} are dropped,
     * the rest are passed on, keys the target does not declare are kept as extra keys, {@code _class_name}
     * becomes the target's.
     */
    public static <T extends SchedulerConfig> T convert(ConfigBase other, Class<T> type) {
        JsonObject json = other.toJson();
        json.remove("_class_name");
        if (other instanceof SchedulerConfig sc) {
            for (String key : sc.defaultKeys()) {
                json.remove(key);
            }
        }
        return parse(json, type, other.source());
    }

    /** A copy with the same values and the same record of defaulted keys. */
    @SuppressWarnings("unchecked")
    public <T extends SchedulerConfig> T copyConfig() {
        T out = (T) parse(toJson(), getClass(), source());
        ((SchedulerConfig) out).defaultKeys = new LinkedHashSet<>(defaultKeys());
        return out;
    }

    /**
     * Applies {@code key=value} overrides (like {@code --scheduler-option use_karras_sigmas=true}) to a copy of
     * this config; values are parsed to the field's type (JSON syntax, or a bare string); an unknown key is an
     * error listing the known ones. The result is validated.
     */
    public <T extends SchedulerConfig> T withOverrides(List<String> overrides) {
        Map<String, String> parsed = new LinkedHashMap<>();
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("scheduler option '" + o + "' is not of the form key=value");
            }
            parsed.put(o.substring(0, eq).trim(), o.substring(eq + 1).trim());
        }
        return withOverrides(parsed);
    }

    /** {@link #withOverrides(List)} from a key -> value-text map. */
    public <T extends SchedulerConfig> T withOverrides(Map<String, String> overrides) {
        T out = copyConfig();
        Map<String, Field> fields = fields(getClass());
        fields.keySet().removeAll(keysNotTaken());
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            Field f = fields.get(e.getKey());
            if (f == null) {
                throw new IllegalArgumentException("unknown scheduler option '" + e.getKey() + "' for "
                        + className() + "; known options: " + fields.keySet());
            }
            Object value = parseValue(e.getKey(), e.getValue(), f);
            try {
                f.set(out, value);
            } catch (IllegalAccessException ex) {
                throw new IllegalStateException(ex);
            }
            ((SchedulerConfig) out).defaultKeys.remove(e.getKey());
        }
        out.validate();
        return out;
    }

    private static Object parseValue(String key, String text, Field f) {
        Class<?> t = f.getType();
        JsonElement json;
        if (text.equalsIgnoreCase("none") || text.equalsIgnoreCase("null")) {
            if (t.isPrimitive()) {
                throw new IllegalArgumentException("scheduler option " + key + " cannot be " + text + ": it is a "
                        + t.getSimpleName());
            }
            return null;
        }
        if (t == String.class) {
            return text;
        }
        if (t == boolean.class || t == Boolean.class) {
            if (!text.equals("true") && !text.equals("false")) {
                throw new IllegalArgumentException("scheduler option " + key + "=" + text
                        + " is not a boolean (true or false)");
            }
            return Boolean.parseBoolean(text);
        }
        try {
            json = JsonParser.parseString(t.isArray() || List.class.isAssignableFrom(t)
                    ? (text.startsWith("[") ? text : "[" + text + "]") : text);
            if (t == int.class || t == Integer.class) {
                double d = json.getAsDouble();
                if (d != Math.rint(d)) {
                    throw new NumberFormatException();
                }
                return json.getAsInt();
            }
            Object v = GSON.fromJson(json, f.getGenericType());
            if (v == null) {
                throw new NumberFormatException();
            }
            return v;
        } catch (JsonParseException | NumberFormatException | IllegalStateException
                 | UnsupportedOperationException e) {
            throw new IllegalArgumentException("scheduler option " + key + "=" + text + " is not a valid "
                    + f.getGenericType().getTypeName(), e);
        }
    }

    static Map<String, Field> fields(Class<?> type) {
        return fieldsByKey(type);
    }

    /** The config with diffusers' in-memory {@code _use_default_values} list added (not written by save). */
    public JsonObject toConfigDict() {
        JsonObject json = toJson();
        JsonArray used = new JsonArray();
        defaultKeys().forEach(k -> used.add(new JsonPrimitive(k)));
        json.add("_use_default_values", used);
        return json;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + Arrays.toString(new String[] {GSON.toJson(toJson())});
    }
}
