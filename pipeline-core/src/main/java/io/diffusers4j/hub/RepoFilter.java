// Port of huggingface_hub.utils._paths.filter_repo_objects with Python's fnmatch (POSIX: case-sensitive).
package io.diffusers4j.hub;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Allow/ignore filtering of repo file names with fnmatch globs: {@code *} matches anything including {@code /},
 * {@code ?} one character, {@code [seq]} / {@code [!seq]} a character class; a pattern ending in {@code /} means
 * everything below that folder.
 */
public final class RepoFilter {
    private RepoFilter() {
    }

    /** Files matching at least one allow pattern (all when null) and no ignore pattern. */
    public static List<String> filter(Collection<String> files, List<String> allowPatterns,
                                      List<String> ignorePatterns) {
        List<Pattern> allow = allowPatterns == null ? null : compile(allowPatterns);
        List<Pattern> ignore = ignorePatterns == null ? List.of() : compile(ignorePatterns);
        List<String> out = new ArrayList<>();
        for (String f : files) {
            if (allow != null && allow.stream().noneMatch(p -> p.matcher(f).matches())) {
                continue;
            }
            if (ignore.stream().anyMatch(p -> p.matcher(f).matches())) {
                continue;
            }
            out.add(f);
        }
        return out;
    }

    /** True when {@code name} matches the fnmatch {@code pattern}. */
    public static boolean fnmatch(String name, String pattern) {
        return Pattern.compile(translate(pattern), Pattern.DOTALL).matcher(name).matches();
    }

    private static List<Pattern> compile(List<String> patterns) {
        List<Pattern> out = new ArrayList<>();
        for (String p : patterns) {
            String withWildcard = p.endsWith("/") ? p + "*" : p;
            out.add(Pattern.compile(translate(withWildcard), Pattern.DOTALL));
        }
        return out;
    }

    /** fnmatch.translate. */
    static String translate(String pat) {
        StringBuilder re = new StringBuilder();
        int i = 0;
        int n = pat.length();
        while (i < n) {
            char c = pat.charAt(i++);
            if (c == '*') {
                while (i < n && pat.charAt(i) == '*') {
                    i++;
                }
                re.append(".*");
            } else if (c == '?') {
                re.append('.');
            } else if (c == '[') {
                int j = i;
                if (j < n && pat.charAt(j) == '!') {
                    j++;
                }
                if (j < n && pat.charAt(j) == ']') {
                    j++;
                }
                while (j < n && pat.charAt(j) != ']') {
                    j++;
                }
                if (j >= n) {
                    re.append("\\[");
                } else {
                    String stuff = pat.substring(i, j);
                    i = j + 1;
                    StringBuilder cls = new StringBuilder("[");
                    int k = 0;
                    if (stuff.startsWith("!")) {
                        cls.append('^');
                        k = 1;
                    } else if (stuff.startsWith("^")) {
                        cls.append("\\^");
                        k = 1;
                    }
                    for (; k < stuff.length(); k++) {
                        char x = stuff.charAt(k);
                        if (x == '\\' || x == '[' || x == ']' || x == '&' || x == '~' || x == '|') {
                            cls.append('\\');
                        }
                        cls.append(x);
                    }
                    re.append(cls).append(']');
                }
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return re.toString();
    }
}
