// Writes the run report next to the Parquet output: <output>/_report/index.html and a few sample PNGs.
package io.diffusers4j.job.report;

import io.diffusers4j.job.JobSummary;
import io.diffusers4j.job.output.OutputFolder;
import io.diffusers4j.job.rows.OutputSchema;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

/**
 * The run report: {@code <output>/_report/index.html} (one self-contained page, {@link RunReportHtml}) and
 * {@code <output>/_report/samples/<id>-<image_index>.png} (the first few ok images, byte for byte as in the
 * Parquet, text chunks included; {@code .wav} for the clips of an audio pipeline, which the page plays with an
 * {@code <audio>} element). Spark's readers skip {@code _}-prefixed paths, so the folder does not disturb
 * {@code spark.read().parquet(output)}; an overwrite run replaces it, an appending run rewrites it for its own run.
 *
 * <p>Driver-side work is bounded: the figures come from {@link JobSummary} (one aggregation), error rows are read
 * with a {@code limit} over small columns, and only {@code thumbnails} images are read back (a {@code limit}
 * scans the first files until it has them), never the whole image column.
 */
public final class RunReport {
    /** The folder under the output (Spark ignores paths starting with "_"). */
    public static final String DIR = "_report";
    /** Largest side of a contact-sheet thumbnail, in pixels. */
    static final int THUMB_SIZE = 160;
    /** Largest WAV embedded in the page (larger clips are in the samples folder and the Parquet only). */
    static final int MAX_EMBEDDED_AUDIO = 2 << 20;

    /** How much the report reads back: thumbnails, sample PNG files (taken from the thumbnails), error rows. */
    public record Limits(int thumbnails, int samples, int errors) {
        public Limits {
            if (thumbnails < 0 || samples < 0 || errors < 0) {
                throw new IllegalArgumentException("report limits must be >= 0, got thumbnails=" + thumbnails
                        + " samples=" + samples + " errors=" + errors);
            }
        }
    }

    private RunReport() {
    }

    /** Gathers the report's content for run {@code summary.runId()} of {@code output}. */
    public static ReportData collect(SparkSession spark, String output, JobSummary summary,
                                     Map<String, String> settings, Limits limits) {
        Dataset<Row> mine = OutputFolder.read(spark, output)
                .where(col("run_id").equalTo(lit(summary.runId())));
        List<ReportData.Thumbnail> thumbs = new ArrayList<>();
        int wanted = Math.max(limits.thumbnails(), limits.samples());
        if (wanted > 0 && summary.okImages() > 0) {
            for (Row r : mine.where(col("status").equalTo(OutputSchema.OK)).select("id", "image_index", "prompt",
                    "negative_prompt", "seed", "num_inference_steps", "guidance_scale", "width", "height",
                    "scheduler", "prompt_2", "negative_prompt_2", "prompt_3", "negative_prompt_3",
                    "max_sequence_length", "timesteps", "sigmas", "loras", "textual_inversions",
                    "model", "executor_id", "duration_ms", "image", "audio", "sample_rate", "audio_length_s")
                    .limit(wanted).collectAsList()) {
                byte[] png = OutputSchema.png(r.getAs("image"));
                ReportData.Audio audio = audio(r);
                thumbs.add(new ReportData.Thumbnail(r.getAs("id"), r.<Integer>getAs("image_index"),
                        r.getAs("prompt"), r.getAs("negative_prompt"), r.getAs("seed"),
                        r.getAs("num_inference_steps"), r.getAs("guidance_scale"), r.getAs("width"),
                        r.getAs("height"), r.getAs("scheduler"), r.getAs("prompt_2"), r.getAs("negative_prompt_2"),
                        r.getAs("prompt_3"), r.getAs("negative_prompt_3"), r.getAs("max_sequence_length"),
                        numbers(r, "timesteps"), numbers(r, "sigmas"), adapters(r, "loras", "scale"),
                        adapters(r, "textual_inversions", "token"), r.getAs("model"), r.getAs("executor_id"),
                        r.getAs("duration_ms"), png == null ? null : Thumbnails.dataUri(png, THUMB_SIZE), png,
                        audio));
            }
            thumbs.sort(Comparator.comparing(ReportData.Thumbnail::id)
                    .thenComparingInt(ReportData.Thumbnail::imageIndex));
        }
        List<ReportData.ErrorRow> errors = new ArrayList<>();
        if (limits.errors() > 0 && summary.errorRows() > 0) {
            for (Row r : mine.where(col("status").equalTo(OutputSchema.ERROR))
                    .select("id", "image_index", "source", "prompt", "error", "raw").limit(limits.errors())
                    .collectAsList()) {
                errors.add(new ReportData.ErrorRow(r.getAs("id"), r.<Integer>getAs("image_index"),
                        r.getAs("source"), r.getAs("prompt"), r.getAs("error"), clip(r.getAs("raw"), 300)));
            }
            errors.sort(Comparator.comparing((ReportData.ErrorRow e) -> String.valueOf(e.source()))
                    .thenComparing(e -> String.valueOf(e.id())).thenComparingInt(ReportData.ErrorRow::imageIndex));
        }
        String now = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS)
                .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        List<ReportData.Thumbnail> sheet = thumbs.subList(0, Math.min(limits.thumbnails(), thumbs.size()));
        return new ReportData(summary, settings, new ArrayList<>(sheet), errors, now).withSamplesFrom(thumbs,
                limits.samples());
    }

    /** Writes index.html and the sample PNGs under {@code <output>/_report}; returns their display paths. */
    public static JobSummary.ReportFiles write(Configuration hadoop, String output, ReportData data) {
        Path dir = new Path(output, DIR);
        try {
            FileSystem fs = dir.getFileSystem(hadoop);
            if (fs instanceof LocalFileSystem local) {
                fs = local.getRawFileSystem(); // no .crc side files next to the page
            }
            if (fs.exists(dir)) {
                fs.delete(dir, true);
            }
            List<String> samples = new ArrayList<>();
            Set<String> names = new HashSet<>();
            for (ReportData.Thumbnail t : data.samples()) {
                Path p = new Path(new Path(dir, "samples"), unique(fileName(t.id(), t.imageIndex(),
                        t.extension()), names));
                writeBytes(fs, p, t.file());
                samples.add(display(fs, p));
            }
            Path index = new Path(dir, "index.html");
            writeBytes(fs, index, RunReportHtml.render(data).getBytes(StandardCharsets.UTF_8));
            return new JobSummary.ReportFiles(display(fs, index), samples);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the run report under " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The clip of an audio row (its WAV embedded when small enough), or null for an image row. */
    private static ReportData.Audio audio(Row r) {
        int i = r.fieldIndex("audio");
        if (r.isNullAt(i) || r.getStruct(i).isNullAt(0)) {
            return null;
        }
        byte[] wav = r.getStruct(i).getAs("bytes");
        String uri = wav.length <= MAX_EMBEDDED_AUDIO
                ? "data:audio/wav;base64," + Base64.getEncoder().encodeToString(wav) : null;
        return new ReportData.Audio(wav, r.getAs("sample_rate"), r.getAs("audio_length_s"), uri);
    }

    private static void writeBytes(FileSystem fs, Path p, byte[] bytes) throws IOException {
        try (FSDataOutputStream out = fs.create(p, true)) {
            out.write(bytes);
        }
    }

    private static List<Double> numbers(Row r, String column) {
        int i = r.fieldIndex(column);
        return r.isNullAt(i) ? null : List.copyOf(r.<Double>getList(i));
    }

    private static String clip(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }

    /** A file name from a row id: safe characters only, at most 80 of them, then "-<image_index>.png". */
    static String fileName(String id, int imageIndex) {
        return fileName(id, imageIndex, "png");
    }

    /** As {@link #fileName(String, int)} with another extension (wav for audio rows). */
    static String fileName(String id, int imageIndex, String extension) {
        String safe = String.valueOf(id).replaceAll("[^A-Za-z0-9._-]", "_");
        if (safe.isEmpty() || safe.startsWith(".") || safe.startsWith("_")) {
            safe = "row" + safe;
        }
        if (safe.length() > 80) {
            safe = safe.substring(0, 80);
        }
        return safe + "-" + imageIndex + "." + extension;
    }

    /**
     * {@code name}, or {@code name} with "-2", "-3"... before its extension (".png", ".wav") when an earlier sample
     * took it (ids that differ only in characters a file name cannot hold, "a/b" and "a_b"); adds the result to
     * {@code taken}.
     */
    static String unique(String name, Set<String> taken) {
        int dot = name.lastIndexOf('.');
        String stem = name.substring(0, dot);
        String extension = name.substring(dot);
        String candidate = name;
        for (int n = 2; !taken.add(candidate); n++) {
            candidate = stem + "-" + n + extension;
        }
        return candidate;
    }

    /** A local path for file: URIs (what a user can open), else the full URI. */
    public static String display(Configuration hadoop, String path) {
        try {
            Path p = new Path(path);
            return display(p.getFileSystem(hadoop), p);
        } catch (IOException e) {
            return path;
        }
    }

    private static String display(FileSystem fs, Path p) {
        URI u = fs.makeQualified(p).toUri();
        return "file".equals(u.getScheme()) ? new File(u).getPath() : u.toString();
    }

    /** An adapter column as "name:scale, ..." ("name:token", "name" without a token), or null. */
    private static String adapters(Row r, String column, String second) {
        if (r.isNullAt(r.fieldIndex(column))) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (Row a : r.<Row>getList(r.fieldIndex(column))) {
            Object v = a.getAs(second);
            out.add(a.getAs("name") + (v == null ? "" : ":" + v));
        }
        return String.join(", ", out);
    }
}
