// Bounds checked before JSON text reaches a parser: file size and nesting depth (hostile configs, headers, indexes).
package io.diffusers4j.utils;

/**
 * A recursive parser's stack grows with the nesting of its input and a file is read whole, so every JSON reader of
 * untrusted files (configs, safetensors headers, shard indexes) bounds both first. Callers turn a violation into
 * their own error type and message.
 */
public final class JsonLimits {
    private JsonLimits() {
    }

    /**
     * True when {@code json} opens more than {@code maxDepth} nested objects/arrays at some point (brackets inside
     * strings, escapes included, do not count). A plain scan: nothing is parsed.
     */
    public static boolean nestedDeeperThan(String json, int maxDepth) {
        int depth = 0;
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                if (++depth > maxDepth) {
                    return true;
                }
            } else if (c == '}' || c == ']') {
                depth--;
            }
        }
        return false;
    }
}
