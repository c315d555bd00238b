// What transformers' T5TokenizerFast.from_pretrained reads from a folder: tokenizer.json and tokenizer_config.json.
package io.diffusers4j.tokenizers;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.utils.ModelFiles;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The files of a T5 fast-tokenizer folder, resolved as transformers d6751d91 does: {@code tokenizer.json} (the Rust
 * tokenizer, run by DJL) and the call-time settings of {@code tokenizer_config.json} (or, for its special tokens,
 * {@code special_tokens_map.json}): the pad token and its id, {@code model_max_length},
 * {@code clean_up_tokenization_spaces}, the padding and truncation sides. The EOS that {@code add_special_tokens}
 * appends comes from the {@code tokenizer.json} post-processor, which must be T5's template {@code $A </s>}.
 *
 * <p>A folder with only the slow tokenizer's {@code spiece.model} is refused naming that file: converting it needs
 * transformers' sentencepiece converter, which is not ported.
 */
final class T5TokenizerFiles {
    /** Tokenizer files are read whole: larger ones are refused (T5's tokenizer.json is about 2.4 MB). */
    static final long MAX_FILE_BYTES = 64L << 20;
    /** Config files are small. */
    static final long MAX_CONFIG_BYTES = 4L << 20;
    /** transformers' VERY_LARGE_INTEGER ({@code int(1e30)}): "no model_max_length". */
    static final BigDecimal VERY_LARGE_INTEGER = new BigDecimal("1e30");

    final Path dir;
    final Path tokenizerJson;
    /** The text of {@code tokenizer.json}, handed to the Rust library as it is. */
    final String tokenizerJsonText;
    final int eosTokenId;
    final String eosToken;
    final int padTokenId;
    final String padToken;
    /** {@code len(tokenizer)}: the model's vocabulary plus the added tokens outside it. */
    final int vocabSize;
    /** {@code model_max_length}, {@link Integer#MAX_VALUE} when unset (transformers' VERY_LARGE_INTEGER). */
    final int modelMaxLength;
    final boolean cleanUpTokenizationSpaces;

    private T5TokenizerFiles(Path dir) {
        this.dir = dir;
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": tokenizer folder does not exist");
        }
        this.tokenizerJson = dir.resolve("tokenizer.json");
        if (!Files.exists(tokenizerJson)) {
            if (Files.exists(dir.resolve("spiece.model"))) {
                throw new IllegalArgumentException(dir + ": only spiece.model (the slow T5Tokenizer's sentencepiece "
                        + "model) is here, no tokenizer.json; T5TokenizerFast reads tokenizer.json. Convert it once "
                        + "in Python: T5TokenizerFast.from_pretrained(dir).save_pretrained(dir)");
            }
            throw new IllegalArgumentException(dir + ": no tokenizer.json (the T5TokenizerFast file) in the folder");
        }
        this.tokenizerJsonText = ModelFiles.readString(tokenizerJson, MAX_FILE_BYTES, "tokenizer file");
        JsonObject tokenizer = ConfigBase.parseJsonObject(tokenizerJsonText, tokenizerJson.toString());
        JsonObject config = optionalJson(dir.resolve("tokenizer_config.json"));
        JsonObject specialMap = optionalJson(dir.resolve("special_tokens_map.json"));

        JsonArray added = array(tokenizer, "added_tokens");
        JsonObject model = object(tokenizer, "model");
        this.vocabSize = vocabSize(model, added);
        JsonElement postProcessor = tokenizer.get("post_processor");
        this.eosToken = templateEos(postProcessor);
        JsonObject template = postProcessor.getAsJsonObject();
        this.eosTokenId = templateEosId(template, eosToken);

        this.padToken = specialToken(config, specialMap, "pad_token", "<pad>");
        Integer pad = tokenId(model, added, padToken);
        if (pad == null) {
            throw new IllegalArgumentException(tokenizerJson + ": the pad token '" + padToken + "' has no id");
        }
        this.padTokenId = pad;
        this.modelMaxLength = modelMaxLength(config.get("model_max_length"));
        JsonElement cleanUp = config.get("clean_up_tokenization_spaces");
        this.cleanUpTokenizationSpaces = cleanUp == null || cleanUp.isJsonNull()
                || bool(cleanUp, "clean_up_tokenization_spaces");
        side(config, "padding_side");
        side(config, "truncation_side");
    }

    /** Reads and checks the tokenizer folder {@code dir}. */
    static T5TokenizerFiles read(Path dir) {
        return new T5TokenizerFiles(dir);
    }

    private JsonObject optionalJson(Path file) {
        if (!Files.exists(file)) {
            return new JsonObject();
        }
        return ConfigBase.parseJsonObject(ModelFiles.readString(file, MAX_CONFIG_BYTES, "tokenizer config"),
                file.toString());
    }

    /** The special token {@code key}: tokenizer_config.json, else special_tokens_map.json, else T5's default. */
    private String specialToken(JsonObject config, JsonObject specialMap, String key, String fallback) {
        JsonElement e = config.has(key) ? config.get(key) : specialMap.get(key);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            return e.getAsString();
        }
        if (e.isJsonObject() && e.getAsJsonObject().has("content")
                && e.getAsJsonObject().get("content").isJsonPrimitive()) {
            return e.getAsJsonObject().get("content").getAsString(); // an AddedToken written as a dict
        }
        throw configError(key, "is " + e + ", not a token");
    }

    /** The EOS of T5's post-processor: a TemplateProcessing whose single template is {@code $A <eos>}. */
    private String templateEos(JsonElement postProcessor) {
        String expected = "must be T5's TemplateProcessing whose single template is [$A, </s>] (found "
                + abbreviate(postProcessor) + ")";
        if (postProcessor == null || !postProcessor.isJsonObject()
                || !"TemplateProcessing".equals(string(postProcessor.getAsJsonObject(), "type"))) {
            throw new IllegalArgumentException(tokenizerJson + ": post_processor " + expected);
        }
        JsonObject template = postProcessor.getAsJsonObject();
        JsonArray single = array(template, "single");
        if (single.size() != 2 || !single.get(0).isJsonObject() || !single.get(1).isJsonObject()) {
            throw new IllegalArgumentException(tokenizerJson + ": post_processor " + expected);
        }
        JsonObject first = single.get(0).getAsJsonObject();
        JsonObject second = single.get(1).getAsJsonObject();
        if (!first.has("Sequence") || !first.get("Sequence").isJsonObject()
                || !"A".equals(string(first.getAsJsonObject("Sequence"), "id"))
                || !second.has("SpecialToken") || !second.get("SpecialToken").isJsonObject()) {
            throw new IllegalArgumentException(tokenizerJson + ": post_processor " + expected);
        }
        return string(second.getAsJsonObject("SpecialToken"), "id");
    }

    private int templateEosId(JsonObject template, String eos) {
        JsonObject specials = object(template, "special_tokens");
        JsonElement entry = specials.get(eos);
        if (entry == null || !entry.isJsonObject()) {
            throw new IllegalArgumentException(tokenizerJson + ": post_processor.special_tokens has no entry for '"
                    + eos + "'");
        }
        JsonArray ids = array(entry.getAsJsonObject(), "ids");
        if (ids.size() != 1 || !ids.get(0).isJsonPrimitive() || !ids.get(0).getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException(tokenizerJson + ": post_processor.special_tokens['" + eos
                    + "'].ids must be one id, got " + ids);
        }
        return tokenIdValue(ids.get(0), "post_processor.special_tokens['" + eos + "'].ids");
    }

    /** The id of {@code token}: an added token's, else the model vocabulary's (Unigram: its index). */
    private Integer tokenId(JsonObject model, JsonArray added, String token) {
        for (JsonElement e : added) {
            if (e.isJsonObject() && token.equals(string(e.getAsJsonObject(), "content"))) {
                return tokenIdValue(e.getAsJsonObject().get("id"), "added_tokens id of '" + token + "'");
            }
        }
        JsonElement vocab = model.get("vocab");
        if (vocab != null && vocab.isJsonArray()) { // Unigram: [[piece, score], ...]
            JsonArray pieces = vocab.getAsJsonArray();
            for (int i = 0; i < pieces.size(); i++) {
                JsonElement p = pieces.get(i);
                if (p.isJsonArray() && p.getAsJsonArray().size() > 0 && p.getAsJsonArray().get(0).isJsonPrimitive()
                        && token.equals(p.getAsJsonArray().get(0).getAsString())) {
                    return i;
                }
            }
        } else if (vocab != null && vocab.isJsonObject() && vocab.getAsJsonObject().has(token)) {
            return tokenIdValue(vocab.getAsJsonObject().get(token), "model.vocab['" + token + "']");
        }
        return null;
    }

    /** {@code get_vocab_size(with_added_tokens=True)}: the model's vocabulary plus added tokens beyond it. */
    private int vocabSize(JsonObject model, JsonArray added) {
        JsonElement vocab = model.get("vocab");
        int size = vocab == null ? 0 : vocab.isJsonArray() ? vocab.getAsJsonArray().size()
                : vocab.isJsonObject() ? vocab.getAsJsonObject().size() : 0;
        int out = size;
        for (JsonElement e : added) {
            if (e.isJsonObject()) {
                int id = tokenIdValue(e.getAsJsonObject().get("id"), "added_tokens id");
                if (id >= size) {
                    out++;
                }
            }
        }
        return out;
    }

    private int modelMaxLength(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return Integer.MAX_VALUE;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw configError("model_max_length", "is " + e + ", not a number");
        }
        BigDecimal v = e.getAsBigDecimal();
        if (v.compareTo(VERY_LARGE_INTEGER) >= 0 || v.compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) >= 0) {
            return Integer.MAX_VALUE;
        }
        if (v.signum() <= 0 || v.stripTrailingZeros().scale() > 0) {
            throw configError("model_max_length", "is " + e + ", not a positive integer");
        }
        return v.intValue();
    }

    /** Only right padding and truncation are supported (T5's; transformers' default). */
    private void side(JsonObject config, String key) {
        JsonElement e = config.get(key);
        if (e == null || e.isJsonNull()) {
            return;
        }
        if (!e.isJsonPrimitive() || !"right".equals(e.getAsString())) {
            throw configError(key, "is " + e + "; only \"right\" (T5's) is supported");
        }
    }

    private boolean bool(JsonElement e, String key) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw configError(key, "is " + e + ", not true or false");
        }
        return e.getAsBoolean();
    }

    private int tokenIdValue(JsonElement e, String what) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException(tokenizerJson + ": " + what + " is " + e + ", not a token id");
        }
        BigDecimal v = e.getAsBigDecimal();
        if (v.signum() < 0 || v.stripTrailingZeros().scale() > 0 || v.compareTo(BigDecimal.valueOf(1 << 30)) > 0) {
            throw new IllegalArgumentException(tokenizerJson + ": " + what + " is " + e + ", not a token id");
        }
        return v.intValue();
    }

    private JsonObject object(JsonObject parent, String key) {
        JsonElement e = parent.get(key);
        if (e == null || !e.isJsonObject()) {
            throw new IllegalArgumentException(tokenizerJson + ": key '" + key + "' is " + e + ", not an object");
        }
        return e.getAsJsonObject();
    }

    private JsonArray array(JsonObject parent, String key) {
        JsonElement e = parent.get(key);
        if (e == null || !e.isJsonArray()) {
            throw new IllegalArgumentException(tokenizerJson + ": key '" + key + "' is " + e + ", not a list");
        }
        return e.getAsJsonArray();
    }

    private static String string(JsonObject parent, String key) {
        JsonElement e = parent.get(key);
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() ? e.getAsString() : null;
    }

    private static String abbreviate(JsonElement e) {
        String s = String.valueOf(e);
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    private IllegalArgumentException configError(String key, String problem) {
        return new IllegalArgumentException(dir.resolve("tokenizer_config.json") + ": key '" + key + "' " + problem);
    }
}
