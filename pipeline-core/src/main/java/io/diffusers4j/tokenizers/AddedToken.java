// transformers.tokenization_utils_base.AddedToken (the fields a slow tokenizer reads and saves).
package io.diffusers4j.tokenizers;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/**
 * A token matched literally in the input before normalization (special tokens, textual-inversion tokens).
 * {@code lstrip}/{@code rstrip} make it swallow the whitespace on its left/right, {@code singleWord} glues it to
 * a neighbouring word (transformers' slow-tokenizer semantics), {@code normalized} and {@code special} are kept
 * for saving; a slow CLIP tokenizer does not lower-case added tokens.
 *
 * @param content the literal text
 * @param singleWord {@code single_word}
 * @param lstrip {@code lstrip}
 * @param rstrip {@code rstrip}
 * @param normalized {@code normalized}
 * @param special {@code special}
 */
record AddedToken(String content, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized,
                  boolean special) {

    AddedToken {
        if (content == null || content.isEmpty()) {
            throw new IllegalArgumentException("an added token needs a non-empty content, got '" + content + "'");
        }
    }

    /** {@code AddedToken(content, special=special)}: no stripping, {@code normalized = not special}. */
    static AddedToken of(String content, boolean special) {
        return new AddedToken(content, false, false, false, !special, special);
    }

    /**
     * {@code AddedToken(**dict)} from a JSON object with "content" and optional flags; a missing {@code normalized}
     * defaults to {@code not special} like transformers' constructor.
     */
    static AddedToken fromJson(JsonObject o, boolean forceSpecial, String where) {
        JsonElement content = o.get("content");
        if (content == null || !content.isJsonPrimitive() || !content.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException(where + ": added token without a string \"content\": " + o);
        }
        boolean special = forceSpecial || flag(o, "special", false, where);
        return new AddedToken(content.getAsString(), flag(o, "single_word", false, where),
                flag(o, "lstrip", false, where), flag(o, "rstrip", false, where), flag(o, "normalized", !special, where),
                special);
    }

    private static boolean flag(JsonObject o, String key, boolean fallback, String where) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new IllegalArgumentException(where + ": added token " + o.get("content") + ": \"" + key
                    + "\" must be true or false, got " + e);
        }
        return e.getAsBoolean();
    }

    /** The same token with {@code special = true} (what {@code _add_tokens(..., special_tokens=True)} does). */
    AddedToken asSpecial() {
        return special ? this : new AddedToken(content, singleWord, lstrip, rstrip, normalized, true);
    }

    /** {@code AddedToken.__getstate__()}: all six fields, as in {@code added_tokens_decoder}. */
    JsonObject toJson() {
        JsonObject o = toJsonWithoutSpecial();
        o.addProperty("special", special);
        return o;
    }

    /** The form {@code special_tokens_map.json} uses (no "special" field). */
    JsonObject toJsonWithoutSpecial() {
        JsonObject o = new JsonObject();
        o.addProperty("content", content);
        o.addProperty("lstrip", lstrip);
        o.addProperty("normalized", normalized);
        o.addProperty("rstrip", rstrip);
        o.addProperty("single_word", singleWord);
        return o;
    }
}
