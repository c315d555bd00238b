// Port of diffusers.configuration_utils.ConfigMixin: typed configs read from and saved to config.json.
package io.diffusers4j.config;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.stream.JsonReader;
import io.diffusers4j.utils.JsonLimits;
import io.diffusers4j.utils.ModelFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Base of every typed config. Subclasses declare public fields in camelCase whose snake_case form is the JSON key
 * ({@code blockOutChannels} &harr; {@code block_out_channels}), initialised to diffusers' {@code __init__}
 * defaults. Reading keeps keys the class does not know (logged once) and private {@code _...} metadata, so that a
 * config saves back with everything it was read with, and a scheduler built from another scheduler's config can
 * hand the foreign keys back.
 */
public abstract class ConfigBase {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigBase.class);
    /** Larger config files are refused before parsing (diffusers configs are a few kB). */
    public static final long MAX_CONFIG_BYTES = 4L << 20;
    private static final int MAX_DEPTH = 64;

    public static final Gson GSON = new GsonBuilder()
            .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
            .registerTypeAdapter(IntOrList.class, new IntOrList.Adapter().nullSafe())
            .serializeNulls()
            .serializeSpecialFloatingPointValues()
            .setPrettyPrinting()
            .disableHtmlEscaping()
            .create();

    /** Keys read from the file that this class has no field for, in file order (saved back). */
    private transient Map<String, JsonElement> extraKeys = new LinkedHashMap<>();
    /** Private metadata such as {@code _class_name}, {@code _diffusers_version} (saved back). */
    private transient Map<String, JsonElement> metadata = new LinkedHashMap<>();
    /** Where this config was read from, for error messages. */
    private transient String source = "<in memory>";

    /** Throws {@link IllegalArgumentException} quoting the offending values when the config is inconsistent. */
    public abstract void validate();

    /** The diffusers class this config belongs to by default, written as {@code _class_name}. */
    public abstract String defaultClassName();

    public String className() {
        JsonElement e = metadata.get("_class_name");
        return e == null || e.isJsonNull() ? defaultClassName() : e.getAsString();
    }

    public void setClassName(String name) {
        metadata.put("_class_name", new JsonPrimitive(name));
    }

    public String source() {
        return source;
    }

    public Map<String, JsonElement> extraKeys() {
        return Collections.unmodifiableMap(extraKeys);
    }

    public Map<String, JsonElement> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /** Reads {@code file} (a config.json) into a new {@code type}, validated. */
    public static <T extends ConfigBase> T load(Path file, Class<T> type) {
        return fromJson(readJsonObject(file), type, file.toString());
    }

    /** Parses a JSON object (for example another component's config) into {@code type}, validated. */
    public static <T extends ConfigBase> T fromJson(JsonObject json, Class<T> type, String source) {
        T config = newInstance(type);
        ConfigBase base = config;
        base.source = source;
        Map<String, Field> fields = fieldsByKey(type);
        List<String> unknown = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : json.entrySet()) {
            String key = e.getKey();
            Field field = fields.get(key);
            if (key.equals("_class_name") && !e.getValue().isJsonNull() && !(e.getValue().isJsonPrimitive()
                    && e.getValue().getAsJsonPrimitive().isString())) {
                throw new IllegalArgumentException(source + ": key '_class_name' must be a class name, got "
                        + e.getValue());
            }
            if (key.startsWith("_")) {
                base.metadata.put(key, e.getValue());
            } else if (field == null) {
                base.extraKeys.put(key, e.getValue());
                unknown.add(key);
            } else {
                String expected = JsonTypeCheck.mismatch(e.getValue(), field.getGenericType());
                if (expected != null) {
                    throw new IllegalArgumentException(source + ": key '" + key + "' has value " + e.getValue()
                            + " which is not " + expected);
                }
                Object value;
                try {
                    value = GSON.fromJson(e.getValue(), field.getGenericType());
                } catch (RuntimeException ex) { // Gson's own type errors (JsonParseException, NumberFormat...)
                    throw new IllegalArgumentException(source + ": key '" + key + "' has value " + e.getValue()
                            + " which is not a valid " + field.getGenericType().getTypeName(), ex);
                }
                if (value == null && field.getType().isPrimitive()) {
                    throw new IllegalArgumentException(source + ": key '" + key + "' is null but must be a "
                            + field.getType().getSimpleName());
                }
                try {
                    field.set(config, value);
                } catch (IllegalArgumentException ex) {
                    throw new IllegalArgumentException(source + ": key '" + key + "' has value " + e.getValue()
                            + " which is not a valid " + field.getGenericType().getTypeName(), ex);
                } catch (IllegalAccessException ex) {
                    throw new IllegalStateException(ex);
                }
            }
        }
        if (!unknown.isEmpty()) {
            LOG.debug("{}: keys not used by {} (kept for saving): {}", source, type.getSimpleName(), unknown);
        }
        try {
            config.validate();
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException(source + ": " + ex.getMessage(), ex);
        }
        return config;
    }

    /** Builds a {@code type} config from this one's keys (typed fields, unknown keys and metadata). */
    public <T extends ConfigBase> T convert(Class<T> type) {
        JsonObject all = toJson();
        all.remove("_class_name");
        T out = fromJson(all, type, source);
        return out;
    }

    /** The config as diffusers writes it: {@code _class_name}, metadata, every typed field, then kept extras. */
    public JsonObject toJson() {
        JsonObject out = new JsonObject();
        out.addProperty("_class_name", className());
        for (Map.Entry<String, JsonElement> e : metadata.entrySet()) {
            if (!e.getKey().equals("_class_name")) {
                out.add(e.getKey(), e.getValue());
            }
        }
        for (Map.Entry<String, Field> e : fieldsByKey(getClass()).entrySet()) {
            try {
                out.add(e.getKey(), GSON.toJsonTree(e.getValue().get(this), e.getValue().getGenericType()));
            } catch (IllegalAccessException ex) {
                throw new IllegalStateException(ex);
            }
        }
        for (Map.Entry<String, JsonElement> e : extraKeys.entrySet()) {
            if (!out.has(e.getKey())) {
                out.add(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /** Writes the config as pretty JSON (keys sorted like diffusers' {@code to_json_string}). */
    public void save(Path file) throws IOException {
        JsonObject json = toJson();
        JsonObject sorted = new JsonObject();
        json.keySet().stream().sorted().forEach(k -> sorted.add(k, json.get(k)));
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, GSON.toJson(sorted) + "\n", StandardCharsets.UTF_8);
    }

    /** A copy of this config (through its JSON form). */
    @SuppressWarnings("unchecked")
    public <T extends ConfigBase> T copy() {
        T out = (T) fromJson(toJson(), getClass(), source);
        return out;
    }

    /**
     * Reads a JSON object from a file with size and nesting limits (a regular file inside its folder:
     * {@link ModelFiles}); errors name the file.
     */
    public static JsonObject readJsonObject(Path file) {
        return parseJsonObject(ModelFiles.readString(file, MAX_CONFIG_BYTES, "config file"), file.toString());
    }

    /** Parses a JSON object from text; nesting deeper than 64 levels and non-objects are refused. */
    public static JsonObject parseJsonObject(String text, String source) {
        checkDepth(text, source);
        try (Reader r = new StringReader(text)) {
            JsonReader reader = new JsonReader(r);
            JsonElement e = JsonParser.parseReader(reader);
            if (!e.isJsonObject()) {
                throw new IllegalArgumentException(source + ": expected a JSON object, got " + kind(e));
            }
            return e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(source + ": invalid JSON: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void checkDepth(String text, String source) {
        if (JsonLimits.nestedDeeperThan(text, MAX_DEPTH)) {
            throw new IllegalArgumentException(source + ": JSON nested deeper than " + MAX_DEPTH + " levels");
        }
    }

    private static String kind(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return "null";
        }
        return e.isJsonArray() ? "an array" : e.isJsonPrimitive() ? "the value " + e : "an object";
    }

    private static <T> T newInstance(Class<T> type) {
        try {
            var ctor = type.getDeclaredConstructor();
            ctor.setAccessible(true);
            return ctor.newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(type + " needs a no-argument constructor", e);
        }
    }

    /**
     * JSON key -> field for every public instance field of the class and its config superclasses (protected so that
     * config families such as the schedulers' can share it).
     */
    protected static Map<String, Field> fieldsByKey(Class<?> type) {
        Map<String, Field> out = new LinkedHashMap<>();
        List<Class<?>> chain = new ArrayList<>();
        for (Class<?> c = type; c != null && c != ConfigBase.class; c = c.getSuperclass()) {
            chain.add(0, c);
        }
        for (Class<?> c : chain) {
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                if (Modifier.isStatic(m) || Modifier.isTransient(m) || !Modifier.isPublic(m)) {
                    continue;
                }
                out.put(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES.translateName(f), f);
            }
        }
        return out;
    }

    /** Helper for validate(): a one-line error quoting the values. */
    protected static IllegalArgumentException invalid(String message, Object... values) {
        return new IllegalArgumentException(String.format(message, values));
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + GSON.toJson(toJson());
    }
}
