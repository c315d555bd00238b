// Unit checks of the pieces behind CLIPTokenizer: Python string semantics, the added-token Trie, merges parsing.
package io.diffusers4j.tokenizers;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Expected values were printed by CPython 3.11.2 (str.lower/str.split) and by transformers' Trie.split. */
class TokenizerInternalsTest {

    @Test
    void pythonLowerIncludingFinalSigmaAndSpecialCasing() {
        assertEquals("\u03bf\u03b4\u03bf\u03c2", PythonUnicode.lower("\u039f\u0394\u039f\u03a3"));
        assertEquals("\u03c3\u03b1\u03c2 \u03c3", PythonUnicode.lower("\u03a3\u0391\u03a3 \u03a3"));
        assertEquals("i\u0307", PythonUnicode.lower("\u0130"));
        assertEquals("\u01c6", PythonUnicode.lower("\u01c5"));
        assertEquals("\u00df", PythonUnicode.lower("\u1e9e"));
        assertEquals("a\u03c2.", PythonUnicode.lower("A\u03a3."));
        assertEquals("\u03c3", PythonUnicode.lower("\u03a3"));
        assertEquals("\u1fb3", PythonUnicode.lower("\u1fbc"));
        assertEquals("\u03b1\u03c2\u0301", PythonUnicode.lower("\u0391\u03a3\u0301"));
        assertEquals("\u03b1\u03c3\u0301\u03b1", PythonUnicode.lower("\u0391\u03a3\u0301\u0391"));
        assertEquals("'\u03c3", PythonUnicode.lower("'\u03a3"));
        // Unicode 14 case pair that Java 17 does not know (U+2C2F GLAGOLITIC CAPITAL LETTER CAUDATE CHRIVI)
        assertEquals("\u2c5f", PythonUnicode.lower("\u2c2f"));
    }

    @Test
    void pythonSplitAndStrip() {
        assertEquals(List.of("a", "b", "c", "d", "e"), PythonUnicode.split("a\u2028b\u00a0c\u001cd\u3000e"));
        assertEquals(List.of(), PythonUnicode.split(" \t\n "));
        assertEquals("a b", PythonUnicode.strip("\u2029 a b\u00a0\n"));
        assertEquals("a ", PythonUnicode.lstrip("  a "));
        assertEquals("  a", PythonUnicode.rstrip("  a \u3000"));
    }

    @Test
    void characterClassesFollowUnicode14AndTheRegexModule() {
        assertTrue(PythonUnicode.isCategoryC(0x200B)); // ZERO WIDTH SPACE, Cf
        assertTrue(PythonUnicode.isCategoryC(0x1FA77)); // unassigned in Unicode 14 (pink heart is Unicode 15)
        assertFalse(PythonUnicode.isCategoryC(0x1FAE0)); // melting face, Unicode 14: So
        assertTrue(PythonUnicode.isZs(0xA0));
        assertFalse(PythonUnicode.isZs(0x2028));
        assertTrue(PythonUnicode.isPatternLetter('a'));
        assertTrue(PythonUnicode.isPatternNumber(0xBD)); // VULGAR FRACTION ONE HALF
        assertFalse(PythonUnicode.isPatternLetter(0x0301)); // combining acute: breaks letter runs
        assertTrue(PythonUnicode.isPatternOther(0x0301));
        assertFalse(PythonUnicode.isPatternOther(0x0345)); // no branch of CLIP's pattern matches U+0345
        assertFalse(PythonUnicode.isPatternLetter(0x0345));
    }

    @Test
    void basicTokenizerCleansSpacesCjkAndLowercases() {
        assertEquals(List.of("a", "b", "\u732b", "\u732b", "x"),
                BasicTokenizer.tokenize("A\u0000\u00a0B\u732b\u732b\u200bX"));
        assertEquals(List.of("caf\u00e9"), BasicTokenizer.tokenize("CAFE\u0301"));
        assertEquals(List.of("\u3072\u3089\u304c\u306a"), BasicTokenizer.tokenize("\u3072\u3089\u304c\u306a"));
    }

    @Test
    void clipPatternSplitsLikeTheRegex() {
        assertEquals(List.of("it", "'s", "a", "4", "2", "!!", "<|endoftext|>", "'\u017f"),
                ClipPattern.findAll("it's a 42!! <|endoftext|> '\u017f"));
        assertEquals(List.of("<", "|", "endoftext", "|>"), ClipPattern.findAll("< |endoftext|>"));
        assertEquals("\u0120\u00e2\u0122\u013b", ClipPattern.byteEncode(" \u2019"));
        assertArrayEquals(" \u2019".getBytes(StandardCharsets.UTF_8),
                ClipPattern.byteDecode("\u0120\u00e2\u0122\u013b"));
    }

    @Test
    void trieSplitsLikeTransformers() {
        assertEquals(List.of("[CLS]", " This is a ", "extra_id_100"),
                trie("[CLS] This is a extra_id_100", "[CLS]", "extra_id_1", "extra_id_100"));
        assertEquals(List.of("b", "lower"), trie("blower", "blowing", "lower"));
        assertEquals(List.of("AB", "C"), trie("ABC", "AB", "B", "C"));
        assertEquals(List.of("ABC", "D"), trie("ABCD", "ABC", "B", "CD"));
        assertEquals(List.of("A", "AB"), trie("AAB", "A", "AB"));
        assertEquals(List.of("hi", "!", "<|endoftext|>", "!", "!", "x"),
                trie("hi!<|endoftext|>!!x", "<|endoftext|>", "!"));
        assertEquals(List.of("ab", "cd"), trie("abcd", "ab", "bcd"));
        assertEquals(List.of("x", "abc", "dx"), trie("xabcdx", "abc", "bcd", "b"));
        assertEquals(List.of("plain"), trie("plain"));
        assertEquals(List.of(), trie("", "a"));
    }

    @Test
    void mergesParsingSkipsHeaderCapsAtCliPsCountAndKeepsLastRank() {
        List<String[]> merges = CLIPTokenizerFiles.readMerges("#version: 0.2\ni n\nt h\ni n\nbad\n\n");
        assertEquals(2, merges.size());
        assertArrayEquals(new String[] {"t", "h"}, merges.get(0));
        assertArrayEquals(new String[] {"i", "n"}, merges.get(1));
        StringBuilder many = new StringBuilder("#version: 0.2\n");
        for (int i = 0; i < CLIPTokenizerFiles.MAX_MERGES + 10; i++) {
            many.append("a").append(i).append(" b\n");
        }
        assertEquals(CLIPTokenizerFiles.MAX_MERGES, CLIPTokenizerFiles.readMerges(many.toString()).size());
    }

    private static List<String> trie(String text, String... tokens) {
        return new AddedTokenTrie(List.of(tokens)).split(text);
    }
}
