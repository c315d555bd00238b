// Text values a PNG text chunk cannot hold (NUL, unpaired surrogates), written losslessly as a JSON-string chunk.
package io.diffusers4j.image;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.diffusers4j.utils.PythonJson;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PNG {@code tEXt}/{@code iTXt} text may not contain NUL (the chunk's separator), and UTF-8 cannot encode an
 * unpaired UTF-16 surrogate, yet a prompt may hold either (JSON's {@code "\u0000"}). Such a value {@code v} under
 * keyword {@code k} is written as two chunks:
 * <ul>
 *   <li>{@code k}: the display form, every NUL and unpaired surrogate replaced by U+FFFD (what image viewers and
 *       PIL's {@code Image.text} show; CLIP's tokenizer drops NUL and U+FFFD alike, so it reads the same);</li>
 *   <li>{@code k.json}: {@code v} as a JSON string literal with {@code \\uXXXX} escapes ({@code "a\u0000b"}), ASCII
 *       only, which {@link #unescape} (and any JSON parser) turns back into {@code v} exactly.</li>
 * </ul>
 * Values PNG text can hold are written as they are, with no second chunk. On reading, {@code k.json} replaces
 * {@code k} only when both are present and {@code k.json} is a JSON string; otherwise it is an ordinary entry.
 */
public final class PngTextEscaping {
    /** Keyword suffix of the lossless JSON-string chunk. */
    public static final String SUFFIX = ".json";
    private static final char REPLACEMENT = '\uFFFD';

    private PngTextEscaping() {
    }

    /** The chunks to write for {@code text}: each value as is, or as its display form plus a {@code .json} chunk. */
    public static Map<String, String> escape(Map<String, String> text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : text.entrySet()) {
            String value = e.getValue();
            if (value == null || representable(value)) {
                out.put(e.getKey(), value);
            } else {
                out.put(e.getKey(), displayForm(value));
                out.put(e.getKey() + SUFFIX, PythonJson.dumpsString(value, true));
            }
        }
        return out;
    }

    /** The values {@link #escape} was given, from the chunks it wrote (other entries unchanged, in order). */
    public static Map<String, String> unescape(Map<String, String> chunks) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : chunks.entrySet()) {
            String key = e.getKey();
            String original = escapedValue(chunks, key + SUFFIX);
            if (original != null) {
                out.put(key, original);
            } else if (!(key.endsWith(SUFFIX) && escapedValue(chunks, key) != null
                    && chunks.containsKey(key.substring(0, key.length() - SUFFIX.length())))) {
                out.put(key, e.getValue());
            }
        }
        return out;
    }

    /** Whether a PNG text chunk holds {@code s} exactly: no NUL, no unpaired surrogate. */
    public static boolean representable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\0') {
                return false;
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /** {@code s} with every NUL and unpaired surrogate replaced by U+FFFD. */
    static String displayForm(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                b.append(c).append(s.charAt(++i));
            } else {
                b.append(c == '\0' || Character.isSurrogate(c) ? REPLACEMENT : c);
            }
        }
        return b.toString();
    }

    /** The decoded JSON string stored under {@code key}, or null when there is none. */
    private static String escapedValue(Map<String, String> chunks, String key) {
        String json = chunks.get(key);
        if (json == null || !json.startsWith("\"")) {
            return null;
        }
        try {
            JsonElement parsed = JsonParser.parseString(json);
            return parsed.isJsonPrimitive() && parsed.getAsJsonPrimitive().isString() ? parsed.getAsString() : null;
        } catch (JsonParseException e) {
            return null;
        }
    }
}
