// One input record (a line of a JSONL/CSV/text file or a Parquet row) before validation.
package io.diffusers4j.job.input;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A record as read, with where it came from: the file's base name and the 1-based line (or row) number within
 * that file, the raw text (the line itself; for Parquet the row as JSON), and either the parsed field values
 * (String, Long, Double, Boolean, a List of numbers for an array of them, or a {@link NonScalar} marker; absent
 * keys are missing fields) or the reason the record could not be parsed at all.
 */
public final class RawRecord implements Serializable {
    private static final long serialVersionUID = 1L;

    /** A value that is neither text, a number nor a boolean (a JSON object/array, a Parquet struct...). */
    public record NonScalar(String kind) implements Serializable {
        @Override
        public String toString() {
            return kind;
        }
    }

    private final String source;
    private final long position;
    private final String raw;
    private final Map<String, Object> fields;
    private final String malformed;

    private RawRecord(String source, long position, String raw, Map<String, Object> fields, String malformed) {
        this.source = source;
        this.position = position;
        this.raw = raw;
        this.fields = fields;
        this.malformed = malformed;
    }

    public static RawRecord parsed(String source, long position, String raw, Map<String, Object> fields) {
        return new RawRecord(source, position, raw, Collections.unmodifiableMap(new LinkedHashMap<>(fields)), null);
    }

    public static RawRecord malformed(String source, long position, String raw, String reason) {
        return new RawRecord(source, position, raw, null, reason);
    }

    /** The input file's base name ("prompts.jsonl"). */
    public String source() {
        return source;
    }

    /** 1-based line number (text formats) or row number (Parquet) within {@link #source()}. */
    public long position() {
        return position;
    }

    /** "prompts.jsonl:17". */
    public String location() {
        return source + ":" + position;
    }

    public String raw() {
        return raw;
    }

    /** The parsed fields, or null when {@link #isMalformed()}. */
    public Map<String, Object> fields() {
        return fields;
    }

    public boolean isMalformed() {
        return malformed != null;
    }

    /** Why the record could not be parsed (null when it was). */
    public String malformedReason() {
        return malformed;
    }

    @Override
    public String toString() {
        return location() + (isMalformed() ? " malformed: " + malformed : " " + fields);
    }
}
