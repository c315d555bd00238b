// What the bench presets share: the embedded tiny pipeline's JSON files as templates, and its CLIP tokenizer.
package io.diffusers4j.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.pipelines.TinyPipeline;
import io.diffusers4j.tokenizers.CLIPTokenizer;
import io.diffusers4j.utils.AtomicFiles;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The presets' building material: a config of the embedded tiny pipeline as a JSON template (each preset sets the
 * keys of its real checkpoint on top), JSON arrays, and the real CLIP BPE tokenizer (vocabulary 49408) that the
 * embedded pipeline ships, which every preset with a CLIP text encoder uses.
 */
final class PresetFiles {
    /** The embedded pipeline's tokenizer files. */
    static final List<String> TOKENIZER_FILES = List.of("tokenizer/vocab.json", "tokenizer/merges.txt",
            "tokenizer/tokenizer_config.json", "tokenizer/special_tokens_map.json");

    private PresetFiles() {
    }

    /** A JSON file of the embedded tiny pipeline ({@code unet/config.json}, ...), parsed afresh. */
    static JsonObject tinyJson(String file) {
        try (InputStream in = TinyPipeline.resource(file)) {
            return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The embedded CLIP tokenizer (copied to a temporary folder, read, and the folder deleted). */
    static CLIPTokenizer clipTokenizer() throws IOException {
        Path tmp = Files.createTempDirectory("d4j-preset-tokenizer-");
        try {
            TinyPipeline.copyResources(tmp, TOKENIZER_FILES);
            return CLIPTokenizer.fromPretrained(tmp.resolve("tokenizer"));
        } finally {
            AtomicFiles.deleteTree(tmp);
        }
    }

    static JsonArray ints(int... values) {
        JsonArray a = new JsonArray();
        for (int v : values) {
            a.add(v);
        }
        return a;
    }

    static JsonArray strings(String... values) {
        JsonArray a = new JsonArray();
        for (String v : values) {
            a.add(v);
        }
        return a;
    }

    /** {@code n} copies of {@code value} as a JSON array of strings. */
    static JsonArray repeated(String value, int n) {
        JsonArray a = new JsonArray();
        for (int i = 0; i < n; i++) {
            a.add(value);
        }
        return a;
    }
}
