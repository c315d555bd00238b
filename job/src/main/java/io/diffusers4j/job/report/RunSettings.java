// The run report's settings table: what ran where, and the job-level defaults every row that omits a field gets.
package io.diffusers4j.job.report;

import io.diffusers4j.job.JobConfig;
import io.diffusers4j.job.input.PromptFormat;
import io.diffusers4j.job.rows.JobDefaults;
import org.apache.spark.SparkContext;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Label to value, in display order: the run (id, prompts, output, model, dtype, batching, mode, Spark), then the
 * job-level defaults under diffusers' argument names. A default the job leaves unset is the loaded pipeline's own
 * (each image records the value it got, in its caption and its Parquet row).
 */
public final class RunSettings {
    static final String PIPELINE_OWN = "the pipeline's own";

    private RunSettings() {
    }

    public static Map<String, String> of(JobConfig cfg, String runId, String model, PromptFormat format,
                                         int partitions, SparkContext sc) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("run id", runId);
        if (cfg.plan() != null) {
            settings.put("plan", cfg.plan() + (cfg.limit() > 0 ? " (the first " + cfg.limit() + " prompts)" : ""));
        } else {
            settings.put("prompts", cfg.prompts() + " (" + format.name().toLowerCase(Locale.ROOT) + ")");
        }
        settings.put("output", RunReport.display(sc.hadoopConfiguration(), cfg.output()));
        settings.put("model", model);
        settings.put("dtype", cfg.pipelineSpec(0).dtype());
        settings.put("batch size", Integer.toString(cfg.batchSize()));
        settings.put("partitions", Integer.toString(partitions));
        settings.put("mode", cfg.mode() + (cfg.resume() ? " (resume)" : ""));
        settings.put("Spark master", sc.master());
        settings.put("Spark application", sc.applicationId());
        settings.putAll(defaults(cfg.defaults(), cfg.pipelineSpec(0).scheduler()));
        return settings;
    }

    /** The job-level defaults: what a row that leaves a field out gets. */
    static Map<String, String> defaults(JobDefaults d, String scheduler) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("default negative_prompt", d.negativePrompt() == null ? "none" : "\"" + d.negativePrompt() + "\"");
        out.put("default num_inference_steps", orPipeline(d.numInferenceSteps()));
        out.put("default guidance_scale", orPipeline(d.guidanceScale()));
        out.put("default width", orPipeline(d.width()));
        out.put("default height", orPipeline(d.height()));
        out.put("default scheduler", scheduler == null ? "the checkpoint's" : scheduler);
        out.put("default num_images_per_prompt", Integer.toString(d.numImagesPerPrompt()));
        out.put("default max_sequence_length", orPipeline(d.maxSequenceLength()));
        out.put("job seed (rows without a seed)", Long.toString(d.jobSeed()));
        out.put("limits", "max-size " + d.maxSize() + ", max-steps " + d.maxSteps() + ", max-images-per-prompt "
                + d.maxImagesPerPrompt());
        return out;
    }

    private static String orPipeline(Object value) {
        return value == null ? PIPELINE_OWN : value.toString();
    }
}
