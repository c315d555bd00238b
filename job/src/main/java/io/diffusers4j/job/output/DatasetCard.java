// The dataset card (README.md) next to the output: a YAML header declaring the features, and what the run was.
package io.diffusers4j.job.output;

import com.google.gson.Gson;
import io.diffusers4j.job.JobSummary;
import io.diffusers4j.job.plan.DatasetPlan;
import io.diffusers4j.job.rows.OutputSchema;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code <output>/README.md}, a Hugging Face dataset card: its YAML header names the Parquet files as the
 * {@code train} split and declares every column's feature ({@code image: Image}), so {@code load_dataset(DIR)}
 * gives PIL images; its body lists the plan (templates, counts, sweep), the model and the run. Rewritten by each
 * run (the Parquet output is the history; the card describes the latest run). A card that cannot be written is
 * logged: the committed output is complete either way.
 */
public final class DatasetCard {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetCard.class);
    public static final String FILE = "README.md";
    private static final Gson GSON = new Gson();

    private DatasetCard() {
    }

    public static void write(Configuration conf, String output, String partitionBy, DatasetPlan plan,
                             JobSummary summary, String model) {
        try {
            Path p = new Path(output, FILE);
            FileSystem fs = p.getFileSystem(conf);
            try (FSDataOutputStream out = fs.create(p, true)) {
                out.write(text(output, partitionBy, plan, summary, model).getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("the dataset card {}/{} was not written: {}", output, FILE, e.toString());
        }
    }

    static String text(String output, String partitionBy, DatasetPlan plan, JobSummary summary, String model) {
        String name = plan != null ? plan.name() : "diffusers4j renders";
        List<String> lines = new ArrayList<>();
        lines.add("---");
        lines.add("pretty_name: " + GSON.toJson(name));
        lines.add("tags:");
        lines.add("- diffusers4j");
        lines.add("- synthetic");
        lines.add("- text-to-image");
        lines.add("configs:");
        lines.add("- config_name: default");
        lines.add("  data_files:");
        lines.add("  - split: train");
        lines.add("    path: \"" + (partitionBy == null ? "*.parquet" : "**/*.parquet") + "\"");
        lines.add("dataset_info:");
        lines.add("  features:");
        lines.addAll(HfFeatures.cardYaml(OutputSchema.SCHEMA, partitionBy == null ? List.of() : List.of(partitionBy)));
        lines.add("---");
        lines.add("");
        lines.add("# " + name);
        lines.add("");
        lines.add("Images rendered by Diffusers4J (`diffusers4j job`), one row per image: the PNG "
                + "in `image` (the `datasets` Image layout: `bytes` and `path`), the prompt in `prompt` and `caption`, "
                + "every generation parameter, `status` (`ok`, or `error` with the reason in `error`).");
        lines.add("");
        lines.add("| | |");
        lines.add("| --- | --- |");
        lines.add("| model | `" + model + "` |");
        lines.add("| run id | `" + summary.runId() + "` |");
        lines.add("| this run | " + summary.okImages() + " ok images, " + summary.errorRows() + " error rows"
                + (summary.skipped() > 0 ? ", " + summary.skipped() + " skipped (already ok)" : "") + " |");
        if (plan != null) {
            lines.add("| plan | `" + plan.file() + "`: " + plan.mode().key() + " mode, seed " + plan.seed() + ", "
                    + plan.prompts() + " prompts of " + plan.combinations() + " combinations x "
                    + plan.imagesPerPrompt() + " image(s) = " + plan.images() + " images |");
            lines.add("");
            lines.add("| template | prompt | combinations |");
            lines.add("| --- | --- | --- |");
            Map<String, Long> counts = plan.combinationsPerTemplate();
            plan.templatePrompts().forEach((id, prompt) -> lines.add("| `" + id + "` | "
                    + prompt.replace("|", "\\|") + " | " + counts.get(id) + " |"));
            if (!plan.sweepValues().isEmpty()) {
                lines.add("");
                lines.add("Sweep: " + plan.sweepValues());
            }
            lines.add("");
            lines.add("Plan rows also have `template_id` and `slots` (a JSON object: slot name -> chosen value).");
        }
        lines.add("");
        lines.add("## Load");
        lines.add("");
        lines.add("```python");
        lines.add("from datasets import load_dataset");
        lines.add("ds = load_dataset(\"" + output.replace("\"", "\\\"") + "\", split=\"train\")");
        lines.add("ok = ds.filter(lambda r: r[\"status\"] == \"ok\")");
        lines.add("ok[0][\"image\"]  # a PIL image");
        lines.add("```");
        lines.add("");
        return String.join("\n", lines);
    }
}
