// The prompt dataset formats and how a path's format is told from its extension.
package io.diffusers4j.job.input;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * JSONL (one JSON object a line), CSV (a header line, then one row a line), Parquet, or plain text (one prompt a
 * line). {@code auto} picks by extension ({@code .jsonl .ndjson .json / .csv / .parquet / .txt .text}, also
 * behind {@code .gz .bz2 .deflate}); for a folder, by the extension of its first visible file.
 */
public enum PromptFormat {
    JSONL, CSV, PARQUET, TEXT;

    /** "jsonl", "csv", "parquet", "text" (case-insensitive); anything else is refused with the accepted names. */
    public static PromptFormat parse(String name) {
        for (PromptFormat f : values()) {
            if (f.name().equalsIgnoreCase(name.trim())) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown prompt format '" + name + "' (expected one of jsonl, csv, "
                + "parquet, text)");
    }

    /** The reader of this format. */
    public PromptReader reader() {
        return switch (this) {
            case JSONL -> new JsonlPromptReader();
            case CSV -> new CsvPromptReader();
            case PARQUET -> new ParquetPromptReader();
            case TEXT -> new TextPromptReader();
        };
    }

    /** The format of a file name by its extension, if it has a known one. */
    public static Optional<PromptFormat> byExtension(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        for (String compressed : new String[] {".gz", ".bz2", ".deflate"}) {
            if (n.endsWith(compressed)) {
                n = n.substring(0, n.length() - compressed.length());
            }
        }
        if (n.endsWith(".jsonl") || n.endsWith(".ndjson") || n.endsWith(".json")) {
            return Optional.of(JSONL);
        }
        if (n.endsWith(".csv")) {
            return Optional.of(CSV);
        }
        if (n.endsWith(".parquet")) {
            return Optional.of(PARQUET);
        }
        if (n.endsWith(".txt") || n.endsWith(".text")) {
            return Optional.of(TEXT);
        }
        return Optional.empty();
    }

    /** Detects the format of {@code path} (a file or a folder) from extensions; refuses when it cannot tell. */
    public static PromptFormat detect(Configuration conf, String path) {
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(conf);
            if (!fs.exists(p)) {
                throw new IllegalArgumentException("prompts path " + path + " does not exist");
            }
            Optional<PromptFormat> own = byExtension(p.getName());
            if (own.isPresent()) {
                return own.get();
            }
            if (fs.getFileStatus(p).isDirectory()) {
                FileStatus[] children = fs.listStatus(p);
                Arrays.sort(children);
                for (FileStatus c : children) {
                    String name = c.getPath().getName();
                    if (c.isFile() && !name.startsWith("_") && !name.startsWith(".")) {
                        Optional<PromptFormat> f = byExtension(name);
                        if (f.isPresent()) {
                            return f.get();
                        }
                    }
                }
            }
            throw new IllegalArgumentException("cannot tell the format of " + path + " from its extension; pass "
                    + "--format jsonl|csv|parquet|text");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read prompts path " + path, e);
        }
    }
}
