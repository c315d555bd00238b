// A row's `loras` and `textual_inversions`: parsed, bounded and checked before any pipeline work.
package io.diffusers4j.job.rows;

import io.diffusers4j.job.render.AdapterSet;
import io.diffusers4j.loaders.AdapterFiles;
import io.diffusers4j.weights.SafetensorsFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The adapters of a row. {@code loras} is a list of {@code {"name": PATH_OR_HUB_ID, "scale": 0.8}} objects (JSONL,
 * a Parquet {@code array<struct<name, scale>>}), of {@code "PATH[:SCALE]"} strings, or one such string with entries
 * separated by commas (CSV); the scale defaults to 1.0. {@code textual_inversions} likewise with
 * {@code {"name": PATH, "token": "<tok>"}} / {@code "PATH[:TOKEN]"} (token: the file's own when left out).
 *
 * <p>Checked here, once per distinct file per JVM (cached): at most {@link #MAX_PER_ROW} of each, no file listed
 * twice, finite float32 scales, no pickle file, a local path exists and is a safetensors file whose header reads
 * (a Hub repo id is resolved on the executor). Whether the keys fit the pipeline is known only when the executor
 * loads the file: a failure there is an error row for the images that need it.
 */
public final class AdapterFields {
    /** The most LoRAs, and the most textual inversions, one row may list. */
    public static final int MAX_PER_ROW = 16;
    /** Distinct files whose check result a JVM keeps (beyond, files are checked again). */
    private static final int MAX_CACHED = 4096;
    private static final Map<String, String> CHECKED = new ConcurrentHashMap<>();

    private AdapterFields() {
    }

    /** The row's adapters, or {@link AdapterSet#NONE}; each problem added to {@code errors}. */
    static AdapterSet of(Map<String, Object> fields, List<String> errors) {
        List<AdapterSet.Lora> loras = new ArrayList<>();
        for (Entry e : entries(PromptFields.LORAS, fields.get(PromptFields.LORAS), "scale", errors)) {
            Double scale = 1.0;
            if (e.second() != null) {
                scale = scale(e.second());
                if (scale == null) {
                    errors.add(PromptFields.LORAS + " entry " + RowValidator.describe(e.name()) + ": scale "
                            + RowValidator.describe(e.second()) + " is not a finite float32 number");
                    continue;
                }
            }
            loras.add(new AdapterSet.Lora(e.name(), scale));
        }
        List<AdapterSet.Embedding> embeddings = new ArrayList<>();
        for (Entry e : entries(PromptFields.TEXTUAL_INVERSIONS, fields.get(PromptFields.TEXTUAL_INVERSIONS), "token",
                errors)) {
            if (e.second() != null && !(e.second() instanceof String)) {
                errors.add(PromptFields.TEXTUAL_INVERSIONS + " entry " + RowValidator.describe(e.name()) + ": token "
                        + RowValidator.describe(e.second()) + " is not text");
                continue;
            }
            String token = (String) e.second();
            if (token != null && token.isBlank()) {
                errors.add(PromptFields.TEXTUAL_INVERSIONS + " entry " + RowValidator.describe(e.name())
                        + ": the token is empty");
                continue;
            }
            embeddings.add(new AdapterSet.Embedding(e.name(), token));
        }
        checkFiles(PromptFields.LORAS, loras.stream().map(AdapterSet.Lora::name).toList(), true, errors);
        checkFiles(PromptFields.TEXTUAL_INVERSIONS, embeddings.stream().map(AdapterSet.Embedding::name).toList(),
                false, errors);
        return loras.isEmpty() && embeddings.isEmpty() ? AdapterSet.NONE : new AdapterSet(loras, embeddings);
    }

    /** One entry: its name and its scale / token as given (null when not). */
    private record Entry(String name, Object second) {
    }

    private static List<Entry> entries(String field, Object v, String secondKey, List<String> errors) {
        if (v == null) {
            return List.of();
        }
        List<?> items;
        if (v instanceof List<?> list) {
            items = list;
        } else if (v instanceof String s) { // CSV: "a.safetensors:0.8,b.safetensors"
            items = s.isBlank() ? List.of() : List.of(s.split(",", -1));
        } else {
            errors.add(field + " " + RowValidator.describe(v) + " is not a list");
            return List.of();
        }
        if (items.size() > MAX_PER_ROW) {
            errors.add(field + " lists " + items.size() + " entries, more than the " + MAX_PER_ROW + " a row may");
            return List.of();
        }
        List<Entry> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Object item : items) {
            Entry e = entry(field, item, secondKey, errors);
            if (e == null) {
                continue;
            }
            if (!names.add(e.name())) {
                errors.add(field + " lists " + RowValidator.describe(e.name()) + " twice");
                continue;
            }
            out.add(e);
        }
        return out;
    }

    private static Entry entry(String field, Object item, String secondKey, List<String> errors) {
        if (item instanceof String s) {
            String name = s.strip();
            String second = null;
            int colon = name.lastIndexOf(':');
            // "C:\x.safetensors" and "a.safetensors" have no suffix; "x.safetensors:0.8" and "x:<tok>" have one
            if (colon > 1 && !name.substring(colon + 1).contains("/") && !name.substring(colon + 1).contains("\\")) {
                second = name.substring(colon + 1);
                name = name.substring(0, colon);
            }
            if (name.isEmpty()) {
                errors.add(field + " entry " + RowValidator.describe(s) + " names no file");
                return null;
            }
            return new Entry(name, second);
        }
        if (item instanceof Map<?, ?> m) {
            for (Object k : m.keySet()) {
                if (!"name".equals(k) && !secondKey.equals(k)) {
                    errors.add(field + " entry has the unknown key " + RowValidator.describe(String.valueOf(k))
                            + " (known: name, " + secondKey + ")");
                    return null;
                }
            }
            if (!(m.get("name") instanceof String name) || name.isBlank()) {
                errors.add(field + " entry " + m + " has no \"name\" (a path or Hub repo id)");
                return null;
            }
            return new Entry(name.strip(), m.get(secondKey));
        }
        errors.add(field + " entry " + RowValidator.describe(item) + " is neither text nor an object");
        return null;
    }

    private static Double scale(Object v) {
        double d;
        if (v instanceof Long l) {
            d = l;
        } else if (v instanceof Double x) {
            d = x;
        } else if (v instanceof String s) {
            try {
                d = Double.parseDouble(s.strip());
            } catch (NumberFormatException e) {
                return null;
            }
        } else {
            return null;
        }
        return Double.isFinite(d) && Float.isFinite((float) d) ? d : null;
    }

    private static void checkFiles(String field, List<String> names, boolean lora, List<String> errors) {
        for (String name : names) {
            String problem = problem(name, lora);
            if (problem != null) {
                errors.add(field + " " + RowValidator.describe(name) + ": " + problem);
            }
        }
    }

    /** A local file's size and modification time (a changed file is checked again), else "". */
    private static String stamp(String name) {
        try {
            Path p = Path.of(name);
            return Files.exists(p) ? "@" + Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis() : "";
        } catch (InvalidPathException | IOException e) {
            return "";
        }
    }

    /** Why the adapter {@code name} is unusable ("" cached as fine), checked once per JVM. */
    private static String problem(String name, boolean lora) {
        String key = (lora ? "lora:" : "ti:") + name + stamp(name);
        String cached = CHECKED.get(key);
        if (cached != null) {
            return cached.isEmpty() ? null : cached;
        }
        String problem = "";
        try {
            Path file = AdapterFiles.checkLocal(name, lora);
            if (file != null) {
                try (SafetensorsFile st = SafetensorsFile.open(file)) {
                    if (st.keys().isEmpty()) {
                        problem = file + " holds no tensor";
                    }
                }
            }
        } catch (RuntimeException e) {
            problem = e.getMessage() == null ? e.toString() : e.getMessage();
        }
        if (CHECKED.size() < MAX_CACHED) {
            CHECKED.put(key, problem);
        }
        return problem.isEmpty() ? null : problem;
    }
}
