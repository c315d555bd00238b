// Test helper: write an input, run the job on the shared SparkSession, read the output back.
package io.diffusers4j.job;

import io.diffusers4j.job.output.OutputFolder;
import io.diffusers4j.job.rows.OutputSchema;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.SdxlArguments;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.schedulers.Schedulers;
import org.apache.spark.sql.Row;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntFunction;

import static org.apache.spark.sql.functions.col;

/** Runs the job in-process with the fake renderer unless told otherwise. */
final class JobHarness {
    private JobHarness() {
    }

    static Path write(Path dir, String name, String... lines) {
        try {
            Path p = dir.resolve(name);
            Files.writeString(p, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path write(Path dir, String name, List<String> lines) {
        return write(dir, name, lines.toArray(new String[0]));
    }

    /**
     * {@code n} JSONL prompt rows {@code {"id": "<idPrefix>i", "prompt": "<prompt(i)>", "seed": i}} (the texts go in
     * as they are, unescaped), in a list the caller may extend.
     */
    static List<String> promptLines(int n, String idPrefix, IntFunction<String> prompt) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            lines.add("{\"id\": \"" + idPrefix + i + "\", \"prompt\": \"" + prompt.apply(i) + "\", \"seed\": " + i
                    + "}");
        }
        return lines;
    }

    /** Runs the job with the fake renderer; extra args are job flags. */
    static JobSummary runFake(Path prompts, Path output, String... extra) {
        List<String> args = new ArrayList<>(List.of("--prompts", prompts.toString(), "--output", output.toString(),
                "--set", "diffusers4j.job.renderer=" + FakeRenderer.FACTORY));
        args.addAll(List.of(extra));
        return run(args.toArray(new String[0]));
    }

    static JobSummary run(String... args) {
        JobConfig cfg = JobCommand.parse(args).toConfig();
        return DiffusionJob.run(SharedSpark.get(), cfg);
    }

    /** Every output row, sorted by (source, id, image_index). */
    static List<Row> rows(Path output) {
        List<Row> rows = new ArrayList<>(OutputFolder.reader(SharedSpark.get()).parquet(output.toString())
                .orderBy(col("source"), col("id"), col("image_index")).collectAsList());
        rows.sort(Comparator.comparing((Row r) -> String.valueOf((Object) r.getAs("source")))
                .thenComparing(r -> (String) r.getAs("id")).thenComparing(r -> (Integer) r.getAs("image_index")));
        return rows;
    }

    static BufferedImage png(Row r) {
        byte[] bytes = OutputSchema.png(r.getAs("image"));
        try {
            return ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The largest difference of one RGB channel between two images of the same size, in 1/255 steps. */
    static int maxChannelDiff(BufferedImage a, BufferedImage b) {
        int worst = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                int p = a.getRGB(x, y);
                int q = b.getRGB(x, y);
                for (int shift = 0; shift <= 16; shift += 8) {
                    worst = Math.max(worst, Math.abs(((p >> shift) & 0xff) - ((q >> shift) & 0xff)));
                }
            }
        }
        return worst;
    }

    /**
     * The library call an output row's image must equal: its prompt(s), negative prompt(s), seed, steps, guidance,
     * size, scheduler (when not the pipeline's), custom sigmas and Stable Diffusion 3's third prompts and
     * {@code max_sequence_length}, as the row records them.
     */
    static PipelineCall libraryCall(DiffusionPipeline sd, Row r) {
        PipelineCall call = new PipelineCall()
                .prompt((String) r.getAs("prompt"))
                .numInferenceSteps(r.getAs("num_inference_steps"))
                .guidanceScale(r.getAs("guidance_scale"))
                .width(r.getAs("width"))
                .height(r.getAs("height"))
                .seed(r.getAs("seed"));
        if (r.getAs("negative_prompt") != null) {
            call.negativePrompt((String) r.getAs("negative_prompt"));
        }
        if (!r.getAs("scheduler").equals(sd.scheduler().className())) {
            call.scheduler(Schedulers.create(r.getAs("scheduler"), sd.scheduler().config()));
        }
        if (r.getAs("sigmas") != null) {
            call.sigmas(r.<Double>getList(r.fieldIndex("sigmas")).stream().mapToDouble(Double::doubleValue)
                    .toArray());
        }
        SdxlArguments sdxl = new SdxlArguments();
        if (r.getAs("prompt_2") != null) {
            sdxl.prompt2((String) r.getAs("prompt_2"));
        }
        if (r.getAs("negative_prompt_2") != null) {
            sdxl.negativePrompt2((String) r.getAs("negative_prompt_2"));
        }
        call.sdxl(sdxl);
        if (r.getAs("prompt_3") != null || r.getAs("negative_prompt_3") != null) {
            call.prompt3(Collections.singletonList(r.getAs("prompt_3")))
                    .negativePrompt3(Collections.singletonList(r.getAs("negative_prompt_3")));
        }
        return call.maxSequenceLength(r.getAs("max_sequence_length"));
    }
}
