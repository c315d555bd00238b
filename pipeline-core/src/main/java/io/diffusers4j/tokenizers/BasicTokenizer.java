// Port of transformers.models.clip.tokenization_clip.BasicTokenizer as CLIPTokenizer builds it without ftfy.
package io.diffusers4j.tokenizers;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The text cleanup transformers' slow {@code CLIPTokenizer} runs when {@code ftfy} is not installed (the default
 * install): {@code BasicTokenizer(do_lower_case=True, tokenize_chinese_chars=True, strip_accents=False,
 * do_split_on_punc=False)}. Steps, in transformers' order:
 * <ol>
 *   <li>{@code _clean_text}: drop U+0000, U+FFFD and every category-C character except tab, LF and CR (so zero-width
 *       spaces, joiners, BOM, soft hyphen, private-use and unassigned code points vanish); turn space, tab, LF, CR and
 *       every Zs character (NBSP, ideographic space, ...) into a space;</li>
 *   <li>{@code _tokenize_chinese_chars}: put spaces around CJK ideographs (the exact BERT code point ranges: not kana,
 *       not Hangul, not CJK punctuation);</li>
 *   <li>NFC normalization, then {@code str.split()} on Python whitespace;</li>
 *   <li>{@code str.lower()} of each piece (accents are kept; no punctuation split);</li>
 *   <li>split again on whitespace.</li>
 * </ol>
 * The caller joins the pieces with single spaces. Unicode classes follow CPython 3.11 ({@link PythonUnicode}).
 */
final class BasicTokenizer {
    private BasicTokenizer() {
    }

    /** {@code BasicTokenizer.tokenize(text)} for CLIP's configuration. */
    static List<String> tokenize(String text) {
        String cleaned = cleanText(text);
        String spaced = tokenizeChineseChars(cleaned);
        String normalized = Normalizer.normalize(spaced, Normalizer.Form.NFC);
        List<String> lowered = new ArrayList<>();
        for (String token : whitespaceTokenize(normalized)) {
            lowered.add(PythonUnicode.lower(token));
        }
        return whitespaceTokenize(String.join(" ", lowered));
    }

    /** {@code whitespace_tokenize}: strip, then split on whitespace. */
    static List<String> whitespaceTokenize(String text) {
        return PythonUnicode.split(PythonUnicode.strip(text));
    }

    /** {@code _clean_text}. */
    static String cleanText(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                return;
            }
            if (isWhitespace(cp)) {
                out.append(' ');
            } else {
                out.appendCodePoint(cp);
            }
        });
        return out.toString();
    }

    /** {@code _tokenize_chinese_chars}. */
    static String tokenizeChineseChars(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (isChineseChar(cp)) {
                out.append(' ').appendCodePoint(cp).append(' ');
            } else {
                out.appendCodePoint(cp);
            }
        });
        return out.toString();
    }

    /** transformers {@code _is_whitespace}: space, tab, LF, CR or category Zs. */
    static boolean isWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || PythonUnicode.isZs(cp);
    }

    /** transformers {@code _is_control}: category C* except tab, LF and CR. */
    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        return PythonUnicode.isCategoryC(cp);
    }

    /** BERT's {@code _is_chinese_char}: the CJK Unified Ideographs blocks and extensions A-E, plus compatibility blocks. */
    static boolean isChineseChar(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF)
                || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
