// Loading and saving a slow CLIPTokenizer folder (transformers PreTrainedTokenizerBase._from_pretrained/save_pretrained).
package io.diffusers4j.tokenizers;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.utils.ModelFiles;
import io.diffusers4j.utils.PythonJson;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Everything a slow {@code CLIPTokenizer} reads from its folder, resolved the way transformers 4.45 does it:
 * {@code vocab.json}, {@code merges.txt} (header line skipped, at most 48,894 merges), {@code tokenizer_config.json}
 * and, for configs written before transformers 4.34 (no {@code added_tokens_decoder}), {@code special_tokens_map.json},
 * {@code added_tokens.json} and the {@code added_tokens} of a {@code tokenizer.json}. Then {@code CLIPTokenizer.__init__}
 * defaults (bos {@code <|startoftext|>}, eos/unk/pad {@code <|endoftext|>}) and {@code PreTrainedTokenizer.__init__}
 * registering every special token as an added token (so a pad token "!" becomes an added token with the vocab id 0).
 * A folder holding only a {@code tokenizer.json} gets its vocabulary and merges from that file's BPE model.
 */
final class CLIPTokenizerFiles {
    /** transformers' SPECIAL_TOKENS_ATTRIBUTES, in order, without additional_special_tokens. */
    static final List<String> SPECIAL_KEYS = List.of(
            "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token");
    static final String ADDITIONAL = "additional_special_tokens";
    /** bpe_merges = merges_handle.read().strip().split("\n")[1 : 49152 - 256 - 2 + 1]. */
    static final int MAX_MERGES = 49152 - 256 - 2;
    /** Tokenizer files are read whole: larger ones are refused (CLIP's tokenizer.json is about 2 MB). */
    static final long MAX_FILE_BYTES = 64L << 20;
    /**
     * {@code model_max_length} bounds: prompts are padded to it, and a text encoder takes at most its
     * {@code max_position_embeddings} (77 for CLIP, 248 for Long-CLIP, 512 for T5).
     */
    static final int MIN_MODEL_MAX_LENGTH = 3;
    static final int MAX_MODEL_MAX_LENGTH = 1_000_000;
    /** Highest added-token id accepted (vocabularies of real tokenizers stay below 300,000). */
    static final int MAX_TOKEN_ID = (1 << 24) - 1;

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    /** A special token attribute: its text, and the AddedToken it was given as (null when it is a plain string). */
    record Special(String content, AddedToken token) {
        JsonElement toMapJson() {
            return token == null ? new JsonPrimitive(content) : token.toJsonWithoutSpecial();
        }
    }

    final Path dir;
    final Map<String, Integer> vocab;
    final List<String[]> merges;
    final JsonObject initKwargs;
    /** Special token attributes by key (bos_token ...); absent keys have no such token. */
    final Map<String, Special> specials = new LinkedHashMap<>();
    final List<Special> additionalSpecials = new ArrayList<>();
    /** _added_tokens_decoder, in insertion order. */
    final Map<Integer, AddedToken> addedTokensDecoder = new LinkedHashMap<>();
    final Map<String, Integer> addedTokensEncoder = new LinkedHashMap<>();
    final int modelMaxLength;
    final String paddingSide;
    final String truncationSide;
    final boolean cleanUpTokenizationSpaces;
    final String errors;

    private CLIPTokenizerFiles(Path dir, Map<String, Integer> vocab, List<String[]> merges, JsonObject initKwargs,
                               Map<Integer, AddedToken> savedAdded, JsonObject kwargs) {
        this.dir = dir;
        this.vocab = vocab;
        this.merges = merges;
        this.initKwargs = initKwargs;
        Map<String, AddedToken> addedMap = new LinkedHashMap<>();
        for (AddedToken t : savedAdded.values()) {
            addedMap.put(t.content(), t);
        }
        // special tokens: _from_pretrained's added_tokens_map lookup, then CLIPTokenizer.__init__ defaults/wrapping
        Map<String, String> clipDefaults = Map.of("bos_token", "<|startoftext|>", "eos_token", "<|endoftext|>",
                "unk_token", "<|endoftext|>", "pad_token", "<|endoftext|>");
        for (String key : SPECIAL_KEYS) {
            JsonElement value = kwargs.get(key);
            Special special;
            if (value == null) {
                String def = clipDefaults.get(key);
                special = def == null ? null : new Special(def, null);
            } else {
                special = special(value, key, addedMap);
            }
            if (special == null) {
                continue;
            }
            boolean wrapped = key.equals("bos_token") || key.equals("eos_token") || key.equals("unk_token");
            if (wrapped && special.token() == null) {
                special = new Special(special.content(), AddedToken.of(special.content(), false));
            }
            specials.put(key, special);
        }
        JsonElement additional = kwargs.get(ADDITIONAL);
        if (additional != null && additional.isJsonArray()) {
            for (JsonElement e : additional.getAsJsonArray()) {
                Special s = special(e, ADDITIONAL, addedMap);
                if (s != null) {
                    additionalSpecials.add(s);
                }
            }
        }
        // PreTrainedTokenizer.__init__: saved added tokens, then _add_tokens(all_special_tokens_extended, True)
        addedTokensDecoder.putAll(savedAdded);
        for (Map.Entry<Integer, AddedToken> e : addedTokensDecoder.entrySet()) {
            addedTokensEncoder.put(e.getValue().content(), e.getKey());
        }
        Map<String, Integer> currentVocab = new LinkedHashMap<>(vocab);
        currentVocab.putAll(addedTokensEncoder);
        int newIdx = currentVocab.size();
        int added = 0;
        for (Special s : allSpecialTokensExtended()) {
            AddedToken token;
            if (s.token() == null) {
                if (addedTokensEncoder.containsKey(s.content())) {
                    continue;
                }
                token = AddedToken.of(s.content(), true);
            } else {
                token = s.token().asSpecial();
            }
            Integer index = currentVocab.get(token.content());
            if (index == null) {
                index = newIdx + added++;
                currentVocab.put(token.content(), index);
            }
            addedTokensDecoder.put(index, token);
            addedTokensEncoder.put(token.content(), index);
        }
        modelMaxLength = modelMaxLength(kwargs.get("model_max_length"));
        paddingSide = side(kwargs, "padding_side");
        truncationSide = side(kwargs, "truncation_side");
        // transformers at the fixture's commit: clean_up_tokenization_spaces defaults to True when the config has none
        JsonElement cleanUp = kwargs.get("clean_up_tokenization_spaces");
        cleanUpTokenizationSpaces = cleanUp == null || cleanUp.isJsonNull()
                || kind(cleanUp, "clean_up_tokenization_spaces", "true or false").getAsBoolean();
        JsonElement err = kwargs.get("errors");
        errors = err == null || err.isJsonNull() ? "replace" : kind(err, "errors", "a string").getAsString();
        if (!errors.equals("replace") && !errors.equals("strict") && !errors.equals("ignore")) {
            throw configError(dir, "errors", "is '" + errors + "', which is not supported (replace, strict, ignore)");
        }
    }

    /** {@code all_special_tokens_extended}: bos, eos, unk, sep, pad, cls, mask, additional; first of each text. */
    List<Special> allSpecialTokensExtended() {
        List<Special> all = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String key : SPECIAL_KEYS) {
            Special s = specials.get(key);
            if (s != null && seen.add(s.content())) {
                all.add(s);
            }
        }
        for (Special s : additionalSpecials) {
            if (seen.add(s.content())) {
                all.add(s);
            }
        }
        return all;
    }

    private Special special(JsonElement value, String key, Map<String, AddedToken> addedMap) {
        if (value.isJsonNull()) {
            return null;
        }
        if (value.isJsonPrimitive()) {
            String content = value.getAsString();
            if (content.isEmpty()) {
                return null; // transformers skips empty special tokens
            }
            AddedToken mapped = addedMap.get(content);
            return new Special(content, mapped);
        }
        if (value.isJsonObject()) {
            // {"__type": "AddedToken", ...} in tokenizer_config.json, or a plain AddedToken dict
            AddedToken token = AddedToken.fromJson(value.getAsJsonObject(), false,
                    dir.resolve("tokenizer_config.json") + ": key '" + key + "'");
            AddedToken mapped = addedMap.get(token.content());
            return new Special(token.content(), mapped != null ? mapped : token);
        }
        throw configError(dir, key, "must be a string or an AddedToken object, got " + value);
    }

    /** {@code e} when it is of {@code expected} kind ("a string", "a number", "true or false"), else an error. */
    private JsonElement kind(JsonElement e, String key, String expected) {
        boolean ok = e.isJsonPrimitive() && switch (expected) {
            case "a string" -> e.getAsJsonPrimitive().isString();
            case "a number" -> e.getAsJsonPrimitive().isNumber();
            default -> e.getAsJsonPrimitive().isBoolean();
        };
        if (!ok) {
            throw configError(dir, key, "must be " + expected + ", got " + e);
        }
        return e;
    }

    private int modelMaxLength(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            throw configError(dir, "model_max_length", "is missing (CLIP checkpoints set 77); cannot pad or truncate "
                    + "without it");
        }
        BigDecimal v = kind(e, "model_max_length", "a number").getAsBigDecimal();
        if (v.signum() != 0 && v.stripTrailingZeros().scale() > 0) {
            throw configError(dir, "model_max_length", "is " + e + ", not an integer");
        }
        if (v.compareTo(BigDecimal.valueOf(MIN_MODEL_MAX_LENGTH)) < 0
                || v.compareTo(BigDecimal.valueOf(MAX_MODEL_MAX_LENGTH)) > 0) {
            throw configError(dir, "model_max_length", "is " + e + ", outside [" + MIN_MODEL_MAX_LENGTH + ", "
                    + MAX_MODEL_MAX_LENGTH + "]");
        }
        return v.intValue();
    }

    private String side(JsonObject kwargs, String key) {
        JsonElement e = kwargs.get(key);
        String side = e == null || e.isJsonNull() ? "right" : kind(e, key, "a string").getAsString();
        if (!side.equals("right") && !side.equals("left")) {
            throw configError(dir, key, "must be 'right' or 'left', got '" + side + "'");
        }
        return side;
    }

    /** Reads a tokenizer folder. */
    static CLIPTokenizerFiles load(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("tokenizer folder " + dir + " does not exist");
        }
        Path vocabFile = dir.resolve("vocab.json");
        Path mergesFile = dir.resolve("merges.txt");
        Path tokenizerFile = dir.resolve("tokenizer.json");
        JsonObject tokenizerJson = Files.exists(tokenizerFile) ? readObject(tokenizerFile) : null;
        JsonObject bpeModel = tokenizerJson == null ? null : bpeModel(tokenizerJson, tokenizerFile);

        Map<String, Integer> vocab;
        if (Files.exists(vocabFile)) {
            vocab = readVocab(readObject(vocabFile), vocabFile);
        } else if (bpeModel != null && bpeModel.has("vocab")) {
            vocab = readVocab(bpeModel.getAsJsonObject("vocab"), tokenizerFile);
        } else {
            throw new IllegalArgumentException("tokenizer folder " + dir + " has no vocab.json (nor a tokenizer.json"
                    + " with a BPE model)");
        }
        List<String[]> merges;
        if (Files.exists(mergesFile)) {
            merges = readMerges(readString(mergesFile));
        } else if (bpeModel != null && bpeModel.has("merges")) {
            merges = mergesFromJson(bpeModel.getAsJsonArray("merges"), tokenizerFile);
        } else {
            throw new IllegalArgumentException("tokenizer folder " + dir + " has no merges.txt (nor a tokenizer.json"
                    + " with a BPE model)");
        }

        Path configFile = dir.resolve("tokenizer_config.json");
        JsonObject initKwargs = Files.exists(configFile) ? readObject(configFile) : new JsonObject();
        JsonObject kwargs = initKwargs.deepCopy();
        Map<Integer, AddedToken> savedAdded = new LinkedHashMap<>();
        JsonElement decoder = kwargs.get("added_tokens_decoder");
        if (decoder != null && !decoder.isJsonNull()) {
            if (!decoder.isJsonObject()) {
                throw configError(dir, "added_tokens_decoder", "must be an object of id -> AddedToken, got "
                        + decoder);
            }
            for (Map.Entry<String, JsonElement> e : decoder.getAsJsonObject().entrySet()) {
                if (!e.getValue().isJsonObject()) {
                    throw configError(dir, "added_tokens_decoder", "entry '" + e.getKey()
                            + "' is not an AddedToken object: " + e.getValue());
                }
                savedAdded.put(parseId(e.getKey(), "added_tokens_decoder", configFile),
                        AddedToken.fromJson(e.getValue().getAsJsonObject(), false,
                                configFile + ": key 'added_tokens_decoder'"));
            }
        } else {
            legacyAddedTokens(dir, kwargs, savedAdded, tokenizerJson, tokenizerFile);
        }
        return new CLIPTokenizerFiles(dir, vocab, merges, initKwargs, savedAdded, kwargs);
    }

    // transformers' "begin legacy" branch: special_tokens_map.json overrides, added_tokens.json, tokenizer.json
    private static void legacyAddedTokens(Path dir, JsonObject kwargs, Map<Integer, AddedToken> savedAdded,
                                          JsonObject tokenizerJson, Path tokenizerFile) {
        Path mapFile = dir.resolve("special_tokens_map.json");
        if (Files.exists(mapFile)) {
            for (Map.Entry<String, JsonElement> e : readObject(mapFile).entrySet()) {
                JsonElement value = e.getValue();
                if (value.isJsonObject()) {
                    JsonObject o = value.getAsJsonObject().deepCopy();
                    o.addProperty("special", true);
                    value = o;
                } else if (e.getKey().equals(ADDITIONAL) && value.isJsonArray()) {
                    JsonArray merged = kwargs.has(ADDITIONAL) && kwargs.get(ADDITIONAL).isJsonArray()
                            ? kwargs.getAsJsonArray(ADDITIONAL).deepCopy() : new JsonArray();
                    for (JsonElement t : value.getAsJsonArray()) {
                        JsonElement token = t;
                        if (t.isJsonObject()) {
                            JsonObject o = t.getAsJsonObject().deepCopy();
                            o.addProperty("special", true);
                            token = o;
                        }
                        if (!merged.contains(token)) {
                            merged.add(token);
                        }
                    }
                    value = merged;
                }
                kwargs.add(e.getKey(), value);
            }
        }
        Path addedFile = dir.resolve("added_tokens.json");
        if (Files.exists(addedFile)) {
            Set<String> specialTexts = new HashSet<>();
            for (String key : SPECIAL_KEYS) {
                JsonElement v = kwargs.get(key);
                if (v != null && !v.isJsonNull()) {
                    specialTexts.add(v.isJsonObject() ? v.getAsJsonObject().get("content").getAsString()
                            : v.getAsString());
                }
            }
            if (kwargs.has(ADDITIONAL) && kwargs.get(ADDITIONAL).isJsonArray()) {
                for (JsonElement v : kwargs.getAsJsonArray(ADDITIONAL)) {
                    specialTexts.add(v.isJsonObject() ? v.getAsJsonObject().get("content").getAsString()
                            : v.getAsString());
                }
            }
            for (Map.Entry<String, JsonElement> e : readObject(addedFile).entrySet()) {
                boolean special = specialTexts.contains(e.getKey());
                JsonElement id = e.getValue();
                if (!id.isJsonPrimitive() || !id.getAsJsonPrimitive().isNumber()) {
                    throw new IllegalArgumentException(addedFile + ": key '" + e.getKey() + "' has id " + id
                            + ", not an integer");
                }
                savedAdded.put(parseId(id.getAsString(), e.getKey(), addedFile), AddedToken.of(e.getKey(), special));
            }
        }
        if (tokenizerJson != null && tokenizerJson.has("added_tokens")) {
            for (JsonElement e : tokenizerJson.getAsJsonArray("added_tokens")) {
                JsonObject o = e.getAsJsonObject();
                savedAdded.put(o.get("id").getAsInt(), AddedToken.fromJson(o, false, tokenizerFile.toString()));
            }
        }
    }

    /** A token id written as {@code text} for {@code key} of {@code file}: an integer in [0, MAX_TOKEN_ID]. */
    private static int parseId(String text, String key, Path file) {
        int id;
        try {
            id = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": key '" + key + "' has id '" + text + "', which is not an "
                    + "integer id");
        }
        if (id < 0 || id > MAX_TOKEN_ID) {
            throw new IllegalArgumentException(file + ": key '" + key + "' has id " + id + ", outside [0, "
                    + MAX_TOKEN_ID + "]");
        }
        return id;
    }

    private static JsonObject bpeModel(JsonObject tokenizerJson, Path file) {
        JsonElement model = tokenizerJson.get("model");
        if (model == null || !model.isJsonObject()) {
            return null;
        }
        JsonElement type = model.getAsJsonObject().get("type");
        if (type != null && !type.getAsString().equals("BPE")) {
            throw new IllegalArgumentException(file + ": model type " + type + " is not BPE");
        }
        return model.getAsJsonObject();
    }

    private static Map<String, Integer> readVocab(JsonObject o, Path file) {
        Map<String, Integer> vocab = new LinkedHashMap<>(o.size() * 2);
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            if (!e.getValue().isJsonPrimitive() || !e.getValue().getAsJsonPrimitive().isNumber()) {
                throw new IllegalArgumentException(file + ": vocabulary entry '" + e.getKey() + "' has id "
                        + e.getValue() + ", not an integer");
            }
            vocab.put(e.getKey(), e.getValue().getAsInt());
        }
        if (vocab.isEmpty()) {
            throw new IllegalArgumentException(file + ": empty vocabulary");
        }
        return vocab;
    }

    /**
     * {@code merges.txt} as CLIPTokenizer reads it: whole text stripped, split on "\n", the first line (the
     * "#version" header) dropped, lines 1..48894 kept, each split on whitespace; a pair seen twice keeps its last rank.
     * Lines that are not two symbols never match a pair and are left out.
     */
    static List<String[]> readMerges(String text) {
        String[] lines = PythonUnicode.strip(text).split("\n", -1);
        Map<String, Integer> rank = new LinkedHashMap<>();
        Map<String, String[]> pairs = new LinkedHashMap<>();
        int end = Math.min(lines.length, MAX_MERGES + 1);
        for (int i = 1; i < end; i++) {
            List<String> parts = PythonUnicode.split(lines[i]);
            if (parts.size() != 2) {
                continue;
            }
            String key = parts.get(0) + " " + parts.get(1);
            rank.put(key, i);
            pairs.put(key, new String[] {parts.get(0), parts.get(1)});
        }
        List<String> keys = new ArrayList<>(rank.keySet());
        keys.sort(Comparator.comparingInt(rank::get));
        List<String[]> merges = new ArrayList<>(keys.size());
        for (String key : keys) {
            merges.add(pairs.get(key));
        }
        return merges;
    }

    private static List<String[]> mergesFromJson(JsonArray array, Path file) {
        StringBuilder text = new StringBuilder("#version: 0.2\n");
        for (JsonElement e : array) {
            if (e.isJsonArray() && e.getAsJsonArray().size() == 2) {
                text.append(e.getAsJsonArray().get(0).getAsString()).append(' ')
                        .append(e.getAsJsonArray().get(1).getAsString()).append('\n');
            } else if (e.isJsonPrimitive()) {
                text.append(e.getAsString()).append('\n');
            } else {
                throw new IllegalArgumentException(file + ": merge " + e + " is neither \"a b\" nor [a, b]");
            }
        }
        return readMerges(text.toString());
    }

    // ---- save_pretrained ----

    /** Writes vocab.json, merges.txt, tokenizer_config.json and special_tokens_map.json like save_pretrained. */
    void save(Path out) throws IOException {
        Files.createDirectories(out);
        TreeMap<String, Integer> sortedVocab = new TreeMap<>(PythonJson::compareCodePoints);
        sortedVocab.putAll(vocab);
        JsonObject v = new JsonObject();
        sortedVocab.forEach(v::addProperty);
        Files.writeString(out.resolve("vocab.json"), GSON.toJson(v) + "\n", StandardCharsets.UTF_8);

        StringBuilder m = new StringBuilder("#version: 0.2\n");
        for (String[] pair : merges) {
            m.append(pair[0]).append(' ').append(pair[1]).append('\n');
        }
        Files.writeString(out.resolve("merges.txt"), m.toString(), StandardCharsets.UTF_8);

        TreeMap<String, JsonElement> config = new TreeMap<>(PythonJson::compareCodePoints);
        for (Map.Entry<String, JsonElement> e : initKwargs.entrySet()) {
            config.put(e.getKey(), e.getValue());
        }
        for (String drop : List.of("tokenizer_file", "vocab_file", "merges_file", "special_tokens_map_file",
                "name_or_path", "added_tokens_decoder", "init_inputs", ADDITIONAL)) {
            config.remove(drop);
        }
        for (String key : SPECIAL_KEYS) {
            config.remove(key);
            Special s = specials.get(key);
            if (s != null) {
                config.put(key, new JsonPrimitive(s.content()));
            }
        }
        if (!additionalSpecials.isEmpty()) {
            JsonArray a = new JsonArray();
            additionalSpecials.forEach(s -> a.add(s.content()));
            config.put(ADDITIONAL, a);
        }
        config.put("model_max_length", new JsonPrimitive(modelMaxLength));
        config.put("clean_up_tokenization_spaces", new JsonPrimitive(cleanUpTokenizationSpaces));
        config.put("errors", new JsonPrimitive(errors));
        config.put("tokenizer_class", new JsonPrimitive("CLIPTokenizer"));
        JsonObject added = new JsonObject();
        new TreeMap<>(addedTokensDecoder).forEach((id, t) -> added.add(String.valueOf(id), t.toJson()));
        config.put("added_tokens_decoder", added);
        JsonObject c = new JsonObject();
        config.forEach(c::add);
        Files.writeString(out.resolve("tokenizer_config.json"), GSON.toJson(c) + "\n", StandardCharsets.UTF_8);

        TreeMap<String, JsonElement> map = new TreeMap<>();
        specials.forEach((key, s) -> map.put(key, s.toMapJson()));
        if (!additionalSpecials.isEmpty()) {
            JsonArray a = new JsonArray();
            additionalSpecials.forEach(s -> a.add(s.toMapJson()));
            map.put(ADDITIONAL, a);
        }
        JsonObject sm = new JsonObject();
        map.forEach(sm::add);
        Files.writeString(out.resolve("special_tokens_map.json"), GSON.toJson(sm) + "\n", StandardCharsets.UTF_8);
    }

    /** A JSON object file: size, nesting depth and kind checked (ConfigBase's reader), errors name the file. */
    private static JsonObject readObject(Path file) {
        return ConfigBase.parseJsonObject(readString(file), file.toString());
    }

    /** A regular file inside the folder, read whole; larger ones are refused (CLIP's tokenizer.json is about 2 MB). */
    private static String readString(Path file) {
        return ModelFiles.readString(file, MAX_FILE_BYTES, "tokenizer file");
    }

    /** "{@code <dir>/tokenizer_config.json: key 'KEY' WHAT}". */
    private static IllegalArgumentException configError(Path dir, String key, String what) {
        return new IllegalArgumentException(dir.resolve("tokenizer_config.json") + ": key '" + key + "' " + what);
    }
}
