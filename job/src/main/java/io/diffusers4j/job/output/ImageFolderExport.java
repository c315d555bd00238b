// --export imagefolder DIR: a run's ok images as PNG files with metadata.jsonl, written by the executors.
package io.diffusers4j.job.output;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.job.rows.OutputSchema;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

/**
 * The {@code imagefolder} layout Hugging Face {@code datasets} (and most training scripts) load: each task writes
 * its share of the run's ok images into its own folder {@code DIR/<run>-part-NNNNN/} as {@code <id>-<index>.png}
 * (the {@code image} column's {@code path}) with a {@code metadata.jsonl} beside them ({@code file_name},
 * {@code caption}, the parameters, a plan's {@code template_id} and {@code slots}). Nothing is collected on the
 * driver. A retried task rewrites the same files with the same bytes; later runs add folders of their own.
 */
public final class ImageFolderExport {
    public static final String FORMAT = "imagefolder";
    static final String METADATA = "metadata.jsonl";
    private static final String[] COLUMNS = {"id", "image_index", "caption", "prompt", "negative_prompt", "seed",
        "num_inference_steps", "guidance_scale", "width", "height", "scheduler", "model", "template_id"};

    private ImageFolderExport() {
    }

    /** Writes run {@code runId}'s ok images of {@code output} into {@code dir}; returns the images written. */
    public static long write(SparkSession spark, String output, String runId, String dir) {
        Map<String, String> conf = new HashMap<>();
        spark.sparkContext().hadoopConfiguration().forEach(e -> conf.put(e.getKey(), e.getValue()));
        String prefix = runId.substring(0, Math.min(8, runId.length()));
        Dataset<Row> ok = OutputFolder.read(spark, output)
                .where(col("run_id").equalTo(lit(runId)).and(col("status").equalTo(lit(OutputSchema.OK))));
        ok.javaRDD().foreachPartition(rows -> writePartition(rows, conf, dir, prefix));
        return ok.count();
    }

    private static void writePartition(Iterator<Row> rows, Map<String, String> settings, String dir, String run) {
        if (!rows.hasNext()) {
            return;
        }
        Configuration conf = new Configuration(false);
        settings.forEach(conf::set);
        Path folder = new Path(dir, String.format("%s-part-%05d", run, TaskContext.getPartitionId()));
        StringBuilder metadata = new StringBuilder();
        try {
            FileSystem fs = folder.getFileSystem(conf);
            while (rows.hasNext()) {
                Row r = rows.next();
                Row image = r.getAs("image");
                String name = image.getAs("path");
                try (FSDataOutputStream out = fs.create(new Path(folder, name), true)) {
                    out.write(OutputSchema.png(image));
                }
                metadata.append(line(r, name)).append('\n');
            }
            try (FSDataOutputStream out = fs.create(new Path(folder, METADATA), true)) {
                out.write(metadata.toString().getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the imagefolder export " + folder, e);
        }
    }

    private static String line(Row r, String fileName) {
        JsonObject o = new JsonObject();
        o.addProperty("file_name", fileName);
        for (String c : COLUMNS) {
            Object v = r.getAs(c);
            if (v instanceof Number n) {
                o.addProperty(c, n);
            } else {
                o.addProperty(c, v == null ? null : v.toString());
            }
        }
        String slots = r.getAs("slots");
        o.add("slots", slots == null ? null : JsonParser.parseString(slots));
        return new GsonBuilder().serializeNulls().disableHtmlEscaping().create().toJson(o);
    }
}
