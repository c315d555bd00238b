// The template syntax: {slot}, {a|b|c} inline alternatives, __wildcard__ files, {{ and }} for literal braces.
package io.diffusers4j.job.plan;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses one text (a template's prompt, a slot value, a wildcard file's line):
 * <ul>
 *   <li>{@code {name}}: the slot {@code name} (letters, digits, {@code _}, {@code -});</li>
 *   <li>{@code {a|b|c}}: inline alternatives, each one a text itself (may nest {@code {x|y}}, slots, wildcards;
 *       an empty alternative is the empty string);</li>
 *   <li>{@code __name__}: the wildcard file {@code name.txt} beside the plan (Dynamic Prompts' syntax; a name may
 *       hold {@code /} for a subfolder); anything else between double underscores is literal text;</li>
 *   <li>{@code {{} and {@code }}}: a literal brace. Inside an inline group {@code }} closes the group (so groups nest)
 *       and {@code |} separates alternatives; literal braces go outside groups.</li>
 * </ul>
 * A malformed text (an unclosed or unmatched brace, {@code {}}, {@code {two words}}, the same alternative twice) is a
 * {@link PlanException} naming the plan key.
 */
final class TemplateParser {
    static final Pattern SLOT_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]*");
    private static final Pattern WILDCARD_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_/-]*");

    private final String planFile;
    private final String where;
    private final String s;
    private int pos;
    private int groups;
    private int depth;

    private TemplateParser(String planFile, String where, String source) {
        this.planFile = planFile;
        this.where = where;
        this.s = source;
    }

    /** Parses {@code source}; {@code where} is the plan key it came from (for errors). */
    static Text parse(String planFile, String where, String source) {
        if (source.length() > PlanLimits.MAX_TEXT_CHARS) {
            throw new PlanException(planFile, where, "text of " + source.length() + " characters (at most "
                    + PlanLimits.MAX_TEXT_CHARS + ")");
        }
        TemplateParser p = new TemplateParser(planFile, where, source);
        Text t = p.text(false);
        return t;
    }

    private PlanException error(String message) {
        return new PlanException(planFile, where, message + " at character " + (pos + 1) + " of \"" + s + "\"");
    }

    /** Parses up to the end, or (in a group) up to the next top-level {@code |} or {@code }}. */
    private Text text(boolean inGroup) {
        int start = pos;
        List<Text.Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == '{') {
                if (at("{{")) {
                    literal.append('{');
                    pos += 2;
                    continue;
                }
                flush(literal, parts);
                parts.add(group());
            } else if (c == '}') {
                if (inGroup) {
                    break;
                }
                if (!at("}}")) {
                    throw error("unmatched } (write }} for a literal brace)");
                }
                literal.append('}');
                pos += 2;
            } else if (c == '|' && inGroup) {
                break;
            } else if (c == '_' && at("__")) {
                Text.Ref wildcard = wildcard();
                if (wildcard == null) {
                    literal.append("__");
                    pos += 2;
                } else {
                    flush(literal, parts);
                    parts.add(wildcard);
                }
            } else {
                literal.append(c);
                pos++;
            }
        }
        flush(literal, parts);
        return new Text(s.substring(start, pos), parts);
    }

    private boolean at(String token) {
        return s.startsWith(token, pos);
    }

    private static void flush(StringBuilder literal, List<Text.Part> parts) {
        if (literal.length() > 0) {
            parts.add(new Text.Literal(literal.toString()));
            literal.setLength(0);
        }
    }

    /** {@code {name}} or {@code {a|b|...}}, at an opening brace. */
    private Text.Part group() {
        int open = pos;
        pos++;
        // top-level groups are numbered {1}, {2}, ... (their keys in the slots column); nested ones are not keys
        String key = depth == 0 ? "{" + (++groups) + "}" : "{" + groups + "." + open + "}";
        List<Text> alternatives = new ArrayList<>();
        depth++;
        while (true) {
            alternatives.add(text(true));
            if (pos >= s.length()) {
                pos = open;
                throw error("unclosed { (write {{ for a literal brace)");
            }
            char c = s.charAt(pos++);
            if (c == '}') {
                break;
            }
            // c == '|': the next alternative
        }
        depth--;
        if (alternatives.size() == 1) {
            if (depth == 0) {
                groups--;
            }
            String name = alternatives.get(0).source;
            if (name.isEmpty()) {
                pos = open;
                throw error("empty {} (write {{}} for literal braces)");
            }
            if (!SLOT_NAME.matcher(name).matches()) {
                pos = open;
                throw error("{" + name + "} is neither a slot name (letters, digits, _ and -) nor {a|b} "
                        + "alternatives (write {{ and }} for literal braces)");
            }
            return new Text.Ref(name, Text.Kind.SLOT, null);
        }
        List<Choice.Option> options = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Text t : alternatives) {
            if (!seen.add(t.source)) {
                pos = open;
                throw error("the alternative \"" + t.source + "\" appears twice in one {a|b} group");
            }
            options.add(new Choice.Option(t.source, t, 1.0));
        }
        return new Text.Ref(key, Text.Kind.INLINE, new Choice(key, where, options));
    }

    /** {@code __name__} at a double underscore, or null when what follows is not a wildcard name. */
    private Text.Ref wildcard() {
        int end = s.indexOf("__", pos + 3);
        if (end < 0) {
            return null;
        }
        String name = s.substring(pos + 2, end);
        if (!WILDCARD_NAME.matcher(name).matches() || name.contains("//") || name.endsWith("/")
                || name.endsWith("-")) {
            return null;
        }
        pos = end + 2;
        return new Text.Ref("__" + name + "__", Text.Kind.WILDCARD, null);
    }
}
