// Port of the model_index.json handling of diffusers.pipelines.pipeline_utils.DiffusionPipeline (load_config /
// register_modules / save_pretrained) and configuration_utils.ConfigMixin.to_json_string.
package io.diffusers4j.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.diffusers4j.utils.AtomicFiles;
import io.diffusers4j.utils.PythonJson;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A pipeline's {@code model_index.json}: the pipeline class ({@code _class_name}), the diffusers version that wrote
 * it, one {@code [library, class]} entry per component folder ({@code [null, null]} for an absent optional
 * component such as {@code safety_checker}) and plain keys such as {@code requires_safety_checker}. Every key is
 * kept, in file order, so that {@link #save} writes back what was read, in diffusers' form (sorted keys, 2-space
 * indent, ASCII-escaped strings, trailing newline). Instances are immutable; {@code with...} return copies.
 */
public final class ModelIndex {
    public static final String FILE_NAME = "model_index.json";
    /** Keys diffusers drops when saving ({@code ConfigMixin.to_json_string}). */
    private static final List<String> NOT_SAVED = List.of("_ignore_files", "_use_default_values");
    private static final Pattern COMPONENT_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");
    /** Keys that are components in every diffusers pipeline that has them: never plain values. */
    private static final Set<String> COMPONENT_KEYS = Set.of("unet", "transformer", "vae", "text_encoder",
            "text_encoder_2", "tokenizer", "tokenizer_2", "scheduler", "safety_checker", "feature_extractor",
            "image_encoder");

    /** One component entry: {@code library} and {@code className} are both null for an absent component. */
    public record Component(String name, String library, String className) {
        public boolean isPresent() {
            return library != null;
        }
    }

    private final Map<String, JsonElement> entries;
    private final String source;

    private ModelIndex(Map<String, JsonElement> entries, String source) {
        this.entries = entries;
        this.source = source;
        validate();
    }

    /** Reads {@code model_index.json}; {@code fileOrFolder} may be the pipeline folder. */
    public static ModelIndex load(Path fileOrFolder) {
        Path file = Files.isDirectory(fileOrFolder) ? fileOrFolder.resolve(FILE_NAME) : fileOrFolder;
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": no " + FILE_NAME + " (not a diffusers pipeline folder)");
        }
        return fromJson(ConfigBase.readJsonObject(file), file.toString());
    }

    /** Parses the text of a model_index.json; {@code source} names it in errors. */
    public static ModelIndex parse(String json, String source) {
        return fromJson(ConfigBase.parseJsonObject(json, source), source);
    }

    public static ModelIndex fromJson(JsonObject json, String source) {
        Map<String, JsonElement> copy = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : json.entrySet()) {
            copy.put(e.getKey(), e.getValue().deepCopy());
        }
        return new ModelIndex(copy, source);
    }

    /** A new index for {@code className}, written by {@code diffusersVersion}, with no components yet. */
    public static ModelIndex create(String className, String diffusersVersion) {
        Map<String, JsonElement> m = new LinkedHashMap<>();
        m.put("_class_name", new JsonPrimitive(className));
        m.put("_diffusers_version", new JsonPrimitive(diffusersVersion));
        return new ModelIndex(m, "<new model_index>");
    }

    private void validate() {
        JsonElement cls = entries.get("_class_name");
        if (cls == null) {
            throw error("_class_name", "is missing");
        }
        if (!isString(cls) && !(cls.isJsonArray() && cls.getAsJsonArray().size() == 2
                && isString(cls.getAsJsonArray().get(0)) && isString(cls.getAsJsonArray().get(1)))) {
            throw error("_class_name", "must be a class name or [module, class], got " + cls);
        }
        JsonElement version = entries.get("_diffusers_version");
        if (version != null && !isString(version)) {
            throw error("_diffusers_version", "must be a string, got " + version);
        }
        for (Map.Entry<String, JsonElement> e : entries.entrySet()) {
            if (!e.getKey().startsWith("_") && e.getValue().isJsonArray()) {
                parseComponent(e.getKey(), e.getValue().getAsJsonArray());
            } else if (COMPONENT_KEYS.contains(e.getKey())) {
                throw error(e.getKey(), "must be [library, class] or [null, null], got " + e.getValue());
            }
        }
    }

    private Component parseComponent(String name, JsonArray a) {
        if (a.size() != 2) {
            throw error(name, "must be [library, class] or [null, null], got " + a);
        }
        JsonElement lib = a.get(0);
        JsonElement cls = a.get(1);
        if (lib.isJsonNull() && cls.isJsonNull()) {
            return new Component(name, null, null);
        }
        if (!isString(lib) || !isString(cls) || lib.getAsString().isEmpty() || cls.getAsString().isEmpty()) {
            throw error(name, "must be [library, class] (two non-empty strings) or [null, null], got " + a);
        }
        if (!COMPONENT_NAME.matcher(name).matches()) {
            throw error(name, "is not a valid component folder name");
        }
        return new Component(name, lib.getAsString(), cls.getAsString());
    }

    private IllegalArgumentException error(String key, String what) {
        return new IllegalArgumentException(source + ": key '" + key + "' " + what);
    }

    private static boolean isString(JsonElement e) {
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
    }

    public String source() {
        return source;
    }

    /** The pipeline class, for example {@code StableDiffusionPipeline}. */
    public String className() {
        JsonElement cls = entries.get("_class_name");
        return cls.isJsonArray() ? cls.getAsJsonArray().get(1).getAsString() : cls.getAsString();
    }

    /** The custom pipeline module when {@code _class_name} is {@code [module, class]}; null otherwise. */
    public String customPipeline() {
        JsonElement cls = entries.get("_class_name");
        return cls.isJsonArray() ? cls.getAsJsonArray().get(0).getAsString() : null;
    }

    /** The diffusers version that wrote the file, or null. */
    public String diffusersVersion() {
        JsonElement v = entries.get("_diffusers_version");
        return v == null ? null : v.getAsString();
    }

    /** Every component entry (present or absent), in file order. */
    public Map<String, Component> components() {
        Map<String, Component> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : entries.entrySet()) {
            if (!e.getKey().startsWith("_") && e.getValue().isJsonArray()) {
                out.put(e.getKey(), parseComponent(e.getKey(), e.getValue().getAsJsonArray()));
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** Names of the components that are present (not {@code [null, null]}), in file order. */
    public List<String> presentComponentNames() {
        List<String> out = new ArrayList<>();
        components().forEach((k, c) -> {
            if (c.isPresent()) {
                out.add(k);
            }
        });
        return out;
    }

    /** The entry for {@code name}; throws naming the file and the key when there is none. */
    public Component component(String name) {
        Component c = components().get(name);
        if (c == null) {
            throw error(name, "is not a component entry (components: " + components().keySet() + ")");
        }
        return c;
    }

    /** True when {@code name} is a present component. */
    public boolean hasComponent(String name) {
        Component c = components().get(name);
        return c != null && c.isPresent();
    }

    /** Keys that are neither private ({@code _...}) nor components, such as {@code requires_safety_checker}. */
    public Map<String, JsonElement> plainKeys() {
        Map<String, JsonElement> out = new LinkedHashMap<>();
        entries.forEach((k, v) -> {
            if (!k.startsWith("_") && !v.isJsonArray()) {
                out.put(k, v.deepCopy());
            }
        });
        return Collections.unmodifiableMap(out);
    }

    /** The raw value of any key (a copy), or null. */
    public JsonElement get(String key) {
        JsonElement v = entries.get(key);
        return v == null ? null : v.deepCopy();
    }

    /** A boolean key such as {@code requires_safety_checker}; {@code defaultValue} when absent or null. */
    public boolean getBoolean(String key, boolean defaultValue) {
        JsonElement v = entries.get(key);
        if (v == null || v.isJsonNull()) {
            return defaultValue;
        }
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isBoolean()) {
            throw error(key, "must be true or false, got " + v);
        }
        return v.getAsBoolean();
    }

    /** A copy with component {@code name} set to {@code [library, className]} (both null: absent). */
    public ModelIndex withComponent(String name, String library, String className) {
        return with(name, pair(library, className));
    }

    /** A component entry {@code [library, className]} (nulls allowed). */
    public static JsonArray pair(String library, String className) {
        JsonArray a = new JsonArray();
        a.add(library == null ? JsonNull.INSTANCE : new JsonPrimitive(library));
        a.add(className == null ? JsonNull.INSTANCE : new JsonPrimitive(className));
        return a;
    }

    /** {@code [null, null]}: an absent optional component. */
    public static JsonArray absent() {
        return pair(null, null);
    }

    /** A copy with {@code key} set to {@code value}. */
    public ModelIndex with(String key, JsonElement value) {
        Map<String, JsonElement> m = new LinkedHashMap<>(entries);
        m.put(key, value == null ? JsonNull.INSTANCE : value.deepCopy());
        return new ModelIndex(m, source);
    }

    /** Every key, in file order (a copy). */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        entries.forEach((k, v) -> o.add(k, v.deepCopy()));
        return o;
    }

    /** The file text as diffusers writes it: {@code json.dumps(d, indent=2, sort_keys=True) + "\n"}. */
    public String toJsonString() {
        JsonObject o = toJson();
        NOT_SAVED.forEach(o::remove);
        return PythonJson.dumpsSorted(o) + "\n";
    }

    /** Writes {@link #toJsonString()} to {@code file} (atomically: temp file + rename). */
    public void save(Path file) throws IOException {
        AtomicFiles.write(file, toJsonString().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "ModelIndex[" + source + ": " + className() + ", components " + presentComponentNames() + "]";
    }
}
