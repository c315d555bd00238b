// A job image equals the library pipeline's image for the same row (tiny-sd and tiny-sdxl checkpoints).
package io.diffusers4j.job;

import io.diffusers4j.pipelines.AbstractStableDiffusionPipeline;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.testing.Fixtures;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed contract end to end: output image i of a row with seed s is the library call
 * {@code prompt=<row prompt>, seed=s+i} alone, whatever micro-batch and partition it ran in. With batch size 1
 * the job makes exactly that call, so pixels must be identical; batched, each image still has its own generator
 * and may differ from the single call only by float reassociation in batched kernels (at most 1/255 per channel).
 */
class JobImageParityTest {
    private static final String[] ROWS = {
        "{\"id\": \"cat\", \"prompt\": \"a photo of a cat\", \"seed\": 0, \"num_inference_steps\": 3}",
        "{\"id\": \"dog\", \"prompt\": \"a photo of a dog\", \"seed\": 9, \"num_inference_steps\": 3,"
                + " \"negative_prompt\": \"ugly\"}",
        "{\"id\": \"horse\", \"prompt\": \"an astronaut riding a horse, 4k!\", \"seed\": 42,"
                + " \"num_inference_steps\": 3, \"negative_prompt\": \"blurry\", \"guidance_scale\": 5.0}",
        "{\"id\": \"two\", \"prompt\": \"a red car\", \"seed\": 7, \"num_inference_steps\": 3,"
                + " \"num_images_per_prompt\": 2}",
        "{\"id\": \"wide\", \"prompt\": \"a lighthouse\", \"seed\": 3, \"num_inference_steps\": 3, \"width\": 48,"
                + " \"height\": 32}",
        "{\"id\": \"nocfg\", \"prompt\": \"a lighthouse\", \"seed\": 5, \"num_inference_steps\": 3,"
                + " \"guidance_scale\": 1.0}",
        // diffusers' prompt-free baseline: the unconditional embedding
        "{\"id\": \"empty\", \"prompt\": \"\", \"seed\": 11, \"num_inference_steps\": 3}",
        // CLIP's tokenizer drops NUL (transformers' BasicTokenizer drops control characters)
        "{\"id\": \"nul\", \"prompt\": \"a\\u0000 cat\", \"seed\": 12, \"num_inference_steps\": 3}",
    };

    @TempDir
    Path dir;

    @Test
    void jobImageEqualsPipelineImageForTheSameRow() {
        compare(1, 0);
    }

    @Test
    void batchedJobImagesMatchSingleCalls() {
        compare(Fixtures.tinySd(), 4, 1);
    }

    /**
     * The same on an SDXL checkpoint: its micro-batches mix rows with and without a negative prompt, which SDXL
     * conditions differently (zeros for None, the encoded "" otherwise), so the renderer splits them.
     */
    @Test
    void sdxlBatchedJobImagesMatchSingleCalls() {
        compare(Fixtures.referenceSdxl().resolve("tiny-sdxl"), 4, 1);
    }

    private void compare(int batchSize, int tolerance) {
        compare(Fixtures.tinySd(), batchSize, tolerance);
    }

    private void compare(Path model, int batchSize, int tolerance) {
        Path in = JobHarness.write(dir, "prompts.jsonl", ROWS);
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.run("--prompts", in.toString(), "--output", out.toString(), "--model",
                model.toString(), "--batch-size", Integer.toString(batchSize), "--partitions", "2");
        List<Row> rows = JobHarness.rows(out);
        assertEquals(9, rows.size());
        assertEquals(9, s.okImages(), () -> rows.stream().map(r -> r.getAs("id") + ": " + r.getAs("error")).toList()
                .toString());
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(model.toString(), new PipelineOptions())) {
            AbstractStableDiffusionPipeline sd = (AbstractStableDiffusionPipeline) p;
            for (Row r : rows) {
                BufferedImage expected = sd.call(JobHarness.libraryCall(sd, r)).images().get(0);
                BufferedImage actual = JobHarness.png(r);
                assertEquals(expected.getWidth(), actual.getWidth());
                assertEquals(expected.getHeight(), actual.getHeight());
                int worst = JobHarness.maxChannelDiff(expected, actual);
                assertTrue(worst <= tolerance, r.getAs("id") + "#" + r.getAs("image_index") + " (batch "
                        + r.getAs("batch_size") + ") differs by " + worst + "/255 from the single call");
            }
        }
        assertEquals(List.of(7L, 8L), rows.stream().filter(r -> "two".equals(r.getAs("id")))
                .map(r -> (Long) r.getAs("seed")).toList(), "image i of seed 7 records 7 + i");
    }
}
