// CLIP's word pattern and byte-to-unicode table (transformers.models.clip.tokenization_clip: pat, bytes_to_unicode).
package io.diffusers4j.tokenizers;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The words BPE runs on: {@code regex.findall(pat, text)} with CLIP's pattern, compiled with {@code re.IGNORECASE},
 * <pre>{@code <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+}</pre>
 * written out as a scanner (alternatives tried in order at each position, greedy runs, unmatched characters skipped),
 * and the byte-level mapping that turns each word's UTF-8 bytes into printable characters.
 *
 * <p>IGNORECASE matters for the literal branches: they match upper case and the simple case-fold equivalents
 * ({@code 's} also matches {@code 'ſ}, U+017F). The classes come from the regex module's tables
 * ({@link PythonUnicode}), so, for example, each digit is its own word and combining marks break letter runs.
 */
final class ClipPattern {
    private static final String[] LITERALS = {
        "<|startoftext|>", "<|endoftext|>", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d",
    };

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[0x200];

    static {
        // bytes_to_unicode: printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100 + n in byte order
        Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ClipPattern() {
    }

    /** {@code re.findall(pat, text)}; the text is what {@link BasicTokenizer} produced, joined by spaces. */
    static List<String> findAll(String text) {
        int[] cps = text.codePoints().toArray();
        List<String> words = new ArrayList<>();
        int i = 0;
        while (i < cps.length) {
            int literal = matchLiteral(cps, i);
            if (literal > 0) {
                words.add(new String(cps, i, literal));
                i += literal;
                continue;
            }
            int cp = cps[i];
            if (PythonUnicode.isPatternLetter(cp)) {
                int j = i + 1;
                while (j < cps.length && PythonUnicode.isPatternLetter(cps[j])) {
                    j++;
                }
                words.add(new String(cps, i, j - i));
                i = j;
            } else if (PythonUnicode.isPatternNumber(cp)) {
                words.add(new String(cps, i, 1));
                i++;
            } else if (PythonUnicode.isPatternOther(cp)) {
                int j = i + 1;
                while (j < cps.length && PythonUnicode.isPatternOther(cps[j])) {
                    j++;
                }
                words.add(new String(cps, i, j - i));
                i = j;
            } else {
                i++; // whitespace, or a character no branch matches: findall moves on
            }
        }
        return words;
    }

    /** Length in code points of the first literal alternative matching at {@code at}, or 0. */
    private static int matchLiteral(int[] cps, int at) {
        for (String literal : LITERALS) {
            if (at + literal.length() > cps.length) {
                continue;
            }
            boolean match = true;
            for (int k = 0; k < literal.length() && match; k++) {
                match = sameIgnoringCase(literal.charAt(k), cps[at + k]);
            }
            if (match) {
                return literal.length();
            }
        }
        return 0;
    }

    // regex IGNORECASE (simple case folding) for the ASCII characters of the literals
    private static boolean sameIgnoringCase(char patternChar, int cp) {
        if (cp == patternChar) {
            return true;
        }
        if (patternChar >= 'a' && patternChar <= 'z') {
            return cp == Character.toUpperCase(patternChar) || (patternChar == 's' && cp == 0x17F)
                    || (patternChar == 'k' && cp == 0x212A);
        }
        return false;
    }

    /** The byte-level form of a word: each UTF-8 byte replaced by its bytes_to_unicode character. */
    static String byteEncode(String word) {
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /** Inverse of {@link #byteEncode}: the bytes behind byte-level characters. */
    static byte[] byteDecode(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) {
                throw new IllegalArgumentException(
                        "character U+" + String.format("%04X", (int) c) + " of token text '" + text
                                + "' is not a byte-level BPE character");
            }
            out.write(b);
        }
        return out.toByteArray();
    }
}
