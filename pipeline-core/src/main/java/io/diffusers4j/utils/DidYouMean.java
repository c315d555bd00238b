// "Did you mean ...?" suggestions for a mistyped name: the closest known names by edit distance.
package io.diffusers4j.utils;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Picks the known names closest to a given one, ignoring case and surrounding or repeated whitespace: those at the
 * smallest Levenshtein distance when it is small for the name's length (at most 2, or a quarter of its length), else
 * the known names that start with it (3 characters at least). Used in error messages; never to pick a value.
 */
public final class DidYouMean {
    /** The most suggestions one message names. */
    public static final int MOST = 3;

    private DidYouMean() {
    }

    /** Lower case, trimmed, inner whitespace runs made one space. */
    public static String normalize(String name) {
        return name.strip().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }

    /** The closest of {@code known} (their own spelling, in their order), at most {@link #MOST}; empty if none. */
    public static List<String> suggest(String given, Collection<String> known) {
        String key = normalize(given);
        int best = Math.max(2, key.length() / 4);
        List<String> closest = new ArrayList<>();
        for (String name : known) {
            int distance = distance(key, normalize(name));
            if (distance > best) {
                continue;
            }
            if (distance < best) {
                best = distance;
                closest.clear();
            }
            if (distance == best && closest.size() < MOST) {
                closest.add(name);
            }
        }
        if (closest.isEmpty() && key.length() >= 3) {
            for (String name : known) {
                if (normalize(name).startsWith(key) && closest.size() < MOST) {
                    closest.add(name);
                }
            }
        }
        return closest;
    }

    /** {@code " Did you mean 'a' or 'b'?"} for the suggestions, or "" when there are none. */
    public static String clause(String given, Collection<String> known) {
        List<String> names = suggest(given, known);
        if (names.isEmpty()) {
            return "";
        }
        StringBuilder text = new StringBuilder(" Did you mean ");
        for (int i = 0; i < names.size(); i++) {
            text.append(i == 0 ? "" : i == names.size() - 1 ? " or " : ", ").append('\'').append(names.get(i))
                    .append('\'');
        }
        return text.append('?').toString();
    }

    /** Levenshtein distance: the fewest single-character insertions, deletions and substitutions. */
    static int distance(String from, String to) {
        int[] previous = new int[to.length() + 1];
        int[] current = new int[to.length() + 1];
        for (int j = 0; j <= to.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= from.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= to.length(); j++) {
                int substitution = previous[j - 1] + (from.charAt(i - 1) == to.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[to.length()];
    }
}
