// The Unicode behaviour transformers' slow tokenizers inherit from CPython 3.11 (unicodedata 14.0.0) and the regex module.
package io.diffusers4j.tokenizers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Character classes and string operations exactly as CPython 3.11 computes them, independent of the JVM's own Unicode
 * version (Java 17 knows Unicode 13, CPython 3.11 knows 14.0; the regex module ships its own tables).
 *
 * <p>The tables live in {@code python-unicode-tables.txt} next to this class, written by {@code gen_unicode_tables.py}
 * (test resources) with the interpreter the reference outputs were made with: {@code unicodedata.category} starting
 * with "C" and equal to "Zs", {@code str.isspace}, {@code str.lower} per code point, the Cased / Case_Ignorable
 * properties behind {@code str.lower}'s Final_Sigma rule, and the classes of CLIP's pattern compiled with
 * {@code regex.IGNORECASE} ({@code [\p{L}]}, {@code [\p{N}]}, {@code \s}, and the characters no branch matches).
 */
final class PythonUnicode {
    private static final String RESOURCE = "python-unicode-tables.txt";

    private static final RangeSet CONTROL;
    private static final RangeSet ZS;
    private static final RangeSet PY_SPACE;
    private static final RangeSet LETTER;
    private static final RangeSet NUMBER;
    private static final RangeSet RE_SPACE;
    private static final RangeSet NO_MATCH;
    private static final RangeSet CASE_IGNORABLE;
    private static final RangeSet CASED;
    private static final Map<Integer, int[]> LOWER;

    static {
        Map<String, String> lines = new HashMap<>();
        try (InputStream in = PythonUnicode.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE + " missing next to " + PythonUnicode.class);
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int space = line.indexOf(' ');
                lines.put(space < 0 ? line : line.substring(0, space), space < 0 ? "" : line.substring(space + 1));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        CONTROL = RangeSet.parse(table(lines, "control"));
        ZS = RangeSet.parse(table(lines, "zs"));
        PY_SPACE = RangeSet.parse(table(lines, "pyspace"));
        LETTER = RangeSet.parse(table(lines, "letter"));
        NUMBER = RangeSet.parse(table(lines, "number"));
        RE_SPACE = RangeSet.parse(table(lines, "respace"));
        NO_MATCH = RangeSet.parse(table(lines, "nomatch"));
        CASE_IGNORABLE = RangeSet.parse(table(lines, "caseignorable"));
        CASED = RangeSet.parse(table(lines, "cased"));
        Map<Integer, int[]> lower = new HashMap<>();
        for (String entry : table(lines, "lower").split(" ")) {
            int colon = entry.indexOf(':');
            String[] to = entry.substring(colon + 1).split(",");
            int[] mapped = new int[to.length];
            for (int i = 0; i < to.length; i++) {
                mapped[i] = Integer.parseInt(to[i], 16);
            }
            lower.put(Integer.parseInt(entry.substring(0, colon), 16), mapped);
        }
        LOWER = lower;
    }

    private PythonUnicode() {
    }

    private static String table(Map<String, String> lines, String name) {
        String value = lines.get(name);
        if (value == null) {
            throw new IllegalStateException("table '" + name + "' missing in " + RESOURCE);
        }
        return value;
    }

    /** {@code unicodedata.category(ch).startswith("C")}: Cc, Cf, Cs, Co and Cn (unassigned in Unicode 14). */
    static boolean isCategoryC(int cp) {
        return CONTROL.contains(cp);
    }

    /** {@code unicodedata.category(ch) == "Zs"}. */
    static boolean isZs(int cp) {
        return ZS.contains(cp);
    }

    /** {@code str.isspace()} of one code point: what {@code str.split()} and {@code str.strip()} cut on. */
    static boolean isSpace(int cp) {
        return PY_SPACE.contains(cp);
    }

    /** {@code [\p{L}]} of the regex module with IGNORECASE. */
    static boolean isPatternLetter(int cp) {
        return LETTER.contains(cp);
    }

    /** {@code [\p{N}]} of the regex module with IGNORECASE. */
    static boolean isPatternNumber(int cp) {
        return NUMBER.contains(cp);
    }

    /** {@code \s} of the regex module. */
    static boolean isPatternSpace(int cp) {
        return RE_SPACE.contains(cp);
    }

    /** {@code [^\s\p{L}\p{N}]} of the regex module with IGNORECASE (U+0345 is in no class at all). */
    static boolean isPatternOther(int cp) {
        return !LETTER.contains(cp) && !NUMBER.contains(cp) && !RE_SPACE.contains(cp) && !NO_MATCH.contains(cp);
    }

    /** {@code str.strip()} with no argument. */
    static String strip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end) {
            int cp = s.codePointAt(start);
            if (!isSpace(cp)) {
                break;
            }
            start += Character.charCount(cp);
        }
        while (end > start) {
            int cp = s.codePointBefore(end);
            if (!isSpace(cp)) {
                break;
            }
            end -= Character.charCount(cp);
        }
        return s.substring(start, end);
    }

    /** {@code str.lstrip()} with no argument. */
    static String lstrip(String s) {
        int start = 0;
        while (start < s.length()) {
            int cp = s.codePointAt(start);
            if (!isSpace(cp)) {
                break;
            }
            start += Character.charCount(cp);
        }
        return s.substring(start);
    }

    /** {@code str.rstrip()} with no argument. */
    static String rstrip(String s) {
        int end = s.length();
        while (end > 0) {
            int cp = s.codePointBefore(end);
            if (!isSpace(cp)) {
                break;
            }
            end -= Character.charCount(cp);
        }
        return s.substring(0, end);
    }

    /** {@code str.split()} with no argument: runs of whitespace separate, no empty strings. */
    static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && isSpace(s.codePointAt(i))) {
                i += Character.charCount(s.codePointAt(i));
            }
            int start = i;
            while (i < n && !isSpace(s.codePointAt(i))) {
                i += Character.charCount(s.codePointAt(i));
            }
            if (i > start) {
                out.add(s.substring(start, i));
            }
        }
        return out;
    }

    /**
     * {@code str.lower()}: full lower-case mapping per code point (U+0130 becomes "i" + U+0307) and CPython's
     * Final_Sigma rule for U+03A3 (the context is the whole string).
     */
    static String lower(String s) {
        int[] cps = s.codePoints().toArray();
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < cps.length; i++) {
            int cp = cps[i];
            if (cp == 0x3A3) {
                out.appendCodePoint(finalSigma(cps, i) ? 0x3C2 : 0x3C3);
                continue;
            }
            int[] mapped = LOWER.get(cp);
            if (mapped == null) {
                out.appendCodePoint(cp);
            } else {
                for (int m : mapped) {
                    out.appendCodePoint(m);
                }
            }
        }
        return out.toString();
    }

    // CPython unicodeobject.c handle_capital_sigma: \p{cased} \p{case-ignorable}* U+03A3 !(\p{case-ignorable}* \p{cased})
    private static boolean finalSigma(int[] cps, int i) {
        int j = i - 1;
        while (j >= 0 && CASE_IGNORABLE.contains(cps[j])) {
            j--;
        }
        boolean finalSigma = j >= 0 && CASED.contains(cps[j]);
        if (finalSigma && i + 1 < cps.length) {
            j = i + 1;
            while (j < cps.length && CASE_IGNORABLE.contains(cps[j])) {
                j++;
            }
            finalSigma = j == cps.length || !CASED.contains(cps[j]);
        }
        return finalSigma;
    }

    /** Sorted disjoint inclusive code point ranges, searched by bisection. */
    private static final class RangeSet {
        private final int[] starts;
        private final int[] ends;

        private RangeSet(int[] starts, int[] ends) {
            this.starts = starts;
            this.ends = ends;
        }

        static RangeSet parse(String spec) {
            String[] parts = spec.isEmpty() ? new String[0] : spec.split(" ");
            int[] starts = new int[parts.length];
            int[] ends = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                int dash = parts[i].indexOf('-');
                starts[i] = Integer.parseInt(dash < 0 ? parts[i] : parts[i].substring(0, dash), 16);
                ends[i] = dash < 0 ? starts[i] : Integer.parseInt(parts[i].substring(dash + 1), 16);
                if (i > 0 && starts[i] <= ends[i - 1]) {
                    throw new IllegalStateException("unsorted range " + parts[i] + " in " + RESOURCE);
                }
            }
            return new RangeSet(starts, ends);
        }

        boolean contains(int cp) {
            int k = Arrays.binarySearch(starts, cp);
            if (k >= 0) {
                return true;
            }
            int before = -k - 2;
            return before >= 0 && cp <= ends[before];
        }
    }
}
