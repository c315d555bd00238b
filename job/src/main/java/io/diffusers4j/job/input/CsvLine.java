// An RFC 4180 field splitter for one CSV line.
package io.diffusers4j.job.input;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits one CSV line into fields: comma-separated, fields optionally in double quotes, a doubled quote inside
 * quotes is a literal quote. A record must fit on one line (a quoted field may not contain a line break).
 * Throws {@link IllegalArgumentException} with the column for an unterminated quote or text after a closing quote.
 */
public final class CsvLine {
    private CsvLine() {
    }

    public static List<String> split(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int i = 0;
        int n = line.length();
        while (true) {
            if (i < n && line.charAt(i) == '"') {
                int open = i;
                i++;
                while (true) {
                    if (i >= n) {
                        throw new IllegalArgumentException("unterminated quoted field starting at column " + (open + 1));
                    }
                    char c = line.charAt(i);
                    if (c == '"') {
                        if (i + 1 < n && line.charAt(i + 1) == '"') {
                            cur.append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    cur.append(c);
                    i++;
                }
                if (i < n && line.charAt(i) != ',') {
                    throw new IllegalArgumentException("unexpected character '" + line.charAt(i) + "' after a closing "
                            + "quote at column " + (i + 1));
                }
            } else {
                while (i < n && line.charAt(i) != ',') {
                    char c = line.charAt(i);
                    if (c == '"') {
                        throw new IllegalArgumentException("quote inside an unquoted field at column " + (i + 1));
                    }
                    cur.append(c);
                    i++;
                }
            }
            fields.add(cur.toString());
            cur.setLength(0);
            if (i >= n) {
                return fields;
            }
            i++; // the comma
        }
    }
}
