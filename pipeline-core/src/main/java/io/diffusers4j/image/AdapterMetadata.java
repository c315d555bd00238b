// The adapters of a generation (LoRAs with their scales, textual-inversion embeddings) as PNG text records them.
package io.diffusers4j.image;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The LoRAs (name, scale, SHA-256 of the file, the AUTOMATIC1111 short hash) and textual-inversion embeddings
 * (token, SHA-256) an image was made with. In PNG text: the chunks {@code loras} and {@code textual_inversions}
 * (JSON lists), and in the AUTOMATIC1111 {@code parameters} text what that web UI writes: each LoRA as
 * {@code <lora:name:scale>} after the prompt, and {@code Lora hashes} / {@code TI hashes} with the first 12 hex
 * digits of the file hashes it uses (for a LoRA the SHA-256 of the safetensors data after the header, its "addnet"
 * hash; for an embedding the file's SHA-256).
 *
 * @param loras      the LoRAs, in activation order
 * @param embeddings the textual-inversion embeddings, in load order
 */
public record AdapterMetadata(List<Lora> loras, List<Embedding> embeddings) {
    /** Chunk keys. */
    public static final String LORAS = "loras";
    public static final String TEXTUAL_INVERSIONS = "textual_inversions";
    public static final AdapterMetadata NONE = new AdapterMetadata(List.of(), List.of());

    /** A LoRA of the generation: its adapter name, scale (adapter weight), file SHA-256 and A1111 addnet hash. */
    public record Lora(String name, double scale, String sha256, String addnetHash) {
    }

    /** A textual-inversion embedding: its token and file SHA-256. */
    public record Embedding(String token, String sha256) {
    }

    public AdapterMetadata {
        loras = List.copyOf(loras);
        embeddings = List.copyOf(embeddings);
    }

    /**
     * The name the AUTOMATIC1111 web UI gives an adapter: its file name without {@code .safetensors}, or the repo's
     * name for a Hub id ("lora" for an empty one).
     */
    public static String displayName(String source) {
        String name = source.replaceAll("[/\\\\]+$", "");
        int slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
        name = name.substring(slash + 1);
        if (name.endsWith(".safetensors")) {
            name = name.substring(0, name.length() - ".safetensors".length());
        }
        return name.isEmpty() ? "lora" : name;
    }

    public boolean isEmpty() {
        return loras.isEmpty() && embeddings.isEmpty();
    }

    /** The text chunks ({@code loras}, {@code textual_inversions}), only those with entries. */
    Map<String, String> pngText() {
        Map<String, String> out = new LinkedHashMap<>();
        if (!loras.isEmpty()) {
            JsonArray a = new JsonArray();
            for (Lora l : loras) {
                JsonObject o = new JsonObject();
                o.addProperty("name", l.name());
                o.addProperty("scale", l.scale());
                o.addProperty("sha256", l.sha256());
                a.add(o);
            }
            out.put(LORAS, a.toString());
        }
        if (!embeddings.isEmpty()) {
            JsonArray a = new JsonArray();
            for (Embedding e : embeddings) {
                JsonObject o = new JsonObject();
                o.addProperty("token", e.token());
                o.addProperty("sha256", e.sha256());
                a.add(o);
            }
            out.put(TEXTUAL_INVERSIONS, a.toString());
        }
        return out;
    }

    /** The web UI's prompt tags: {@code " <lora:name:scale>"} per LoRA (empty without LoRAs). */
    String a1111PromptTags() {
        StringBuilder out = new StringBuilder();
        for (Lora l : loras) {
            out.append(" <lora:").append(l.name()).append(':').append(scale(l.scale())).append('>');
        }
        return out.toString();
    }

    /** The web UI's {@code Lora hashes} and {@code TI hashes} values ("name: hash12, ..."), when there are some. */
    Map<String, String> a1111Parameters() {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> lora = new ArrayList<>();
        for (Lora l : loras) {
            if (l.addnetHash() != null) {
                lora.add(l.name() + ": " + l.addnetHash().substring(0, Math.min(12, l.addnetHash().length())));
            }
        }
        if (!lora.isEmpty()) {
            out.put("Lora hashes", String.join(", ", lora));
        }
        List<String> ti = new ArrayList<>();
        for (Embedding e : embeddings) {
            ti.add(e.token() + ": " + e.sha256().substring(0, Math.min(12, e.sha256().length())));
        }
        if (!ti.isEmpty()) {
            out.put("TI hashes", String.join(", ", ti));
        }
        return out;
    }

    /** A scale as the web UI's tags write it: "1" for 1.0, "0.8". */
    static String scale(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** Reads the chunks written by {@link #pngText()} (either may be null). */
    static AdapterMetadata fromPngText(String lorasJson, String embeddingsJson) {
        List<Lora> loras = new ArrayList<>();
        List<Embedding> embeddings = new ArrayList<>();
        try {
            if (lorasJson != null) {
                for (JsonElement e : JsonParser.parseString(lorasJson).getAsJsonArray()) {
                    JsonObject o = e.getAsJsonObject();
                    loras.add(new Lora(o.get("name").getAsString(), o.get("scale").getAsDouble(),
                            o.get("sha256").getAsString(), null));
                }
            }
            if (embeddingsJson != null) {
                for (JsonElement e : JsonParser.parseString(embeddingsJson).getAsJsonArray()) {
                    JsonObject o = e.getAsJsonObject();
                    embeddings.add(new Embedding(o.get("token").getAsString(), o.get("sha256").getAsString()));
                }
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("PNG text '" + LORAS + "' / '" + TEXTUAL_INVERSIONS + "' is not the "
                    + "JSON list Diffusers4J writes: " + e.getMessage(), e);
        }
        return new AdapterMetadata(loras, embeddings);
    }
}
