// The job uses each pipeline's own call defaults and takes SDXL's prompt_2 and custom schedules, like the library.
package io.diffusers4j.job;

import io.diffusers4j.image.Png;
import io.diffusers4j.job.rows.OutputSchema;
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
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real pipelines on the tiny checkpoints: a row that sets neither steps nor guidance gets the loaded pipeline's
 * diffusers defaults (StableDiffusionPipeline 50 / 7.5, StableDiffusionXLPipeline 50 / 5.0,
 * LatentConsistencyModelPipeline 4 / 8.5), recorded in its output row, and its image is the library call with those
 * values; {@code prompt_2} / {@code negative_prompt_2} and custom {@code sigmas} reach the call; what a pipeline or
 * scheduler refuses (SD-1.5: Stable Diffusion 3's {@code prompt_3} and {@code max_sequence_length} too) is an error
 * row that leaves the partition's other rows alone.
 */
class JobPipelineDefaultsTest {
    private static final Path REFERENCE = Path.of("..", "pipeline-core", "src", "test", "resources", "reference")
            .toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void stableDiffusionDefaultsCustomSigmasAndRefusals() {
        Map<String, Row> rows = run(Fixtures.tinySd(),
                "{\"id\": \"d\", \"prompt\": \"a photo of a cat\", \"seed\": 1, \"width\": 16, \"height\": 16}",
                "{\"id\": \"sig\", \"prompt\": \"a dog\", \"seed\": 2, \"width\": 32, \"height\": 32,"
                        + " \"scheduler\": \"EulerDiscreteScheduler\", \"sigmas\": [14.0, 6.0, 2.0, 0.0]}",
                "{\"id\": \"ts\", \"prompt\": \"a dog\", \"seed\": 3, \"width\": 32, \"height\": 32,"
                        + " \"scheduler\": \"PNDMScheduler\", \"timesteps\": [900, 500, 100]}",
                "{\"id\": \"p2\", \"prompt\": \"a dog\", \"seed\": 4, \"prompt_2\": \"a cat\"}",
                "{\"id\": \"o\", \"prompt\": \"a boat\", \"seed\": 5, \"num_inference_steps\": 2, \"width\": 32,"
                        + " \"height\": 32}",
                "{\"id\": \"msl\", \"prompt\": \"a dog\", \"seed\": 6, \"max_sequence_length\": 77}",
                "{\"id\": \"p3\", \"prompt\": \"a dog\", \"seed\": 7, \"negative_prompt_3\": \"blurry\"}");
        assertEquals(50, (int) rows.get("d").getAs("num_inference_steps"));
        assertEquals(7.5, (double) rows.get("d").getAs("guidance_scale"));
        assertEquals(3, (int) rows.get("sig").getAs("num_inference_steps"), "4 sigmas = 3 steps");
        assertEquals(List.of(14.0, 6.0, 2.0, 0.0), rows.get("sig").getList(rows.get("sig").fieldIndex("sigmas")));
        assertEquals("14,6,2,0", pngText(rows.get("sig")).get("sigmas"), "the schedule is in the PNG text too");
        assertError(rows.get("ts"), "PNDMScheduler", "does not support custom timestep schedules");
        assertError(rows.get("p2"), "StableDiffusionPipeline does not take prompt_2");
        assertEquals("a cat", rows.get("p2").getAs("prompt_2"));
        assertError(rows.get("msl"), "StableDiffusionPipeline does not take max_sequence_length (its diffusers "
                + "__call__ has no such argument)");
        assertEquals(77, (int) rows.get("msl").getAs("max_sequence_length"), "the value the row asked for");
        assertError(rows.get("p3"), "StableDiffusionPipeline does not take negative_prompt_3");
        assertEquals("blurry", rows.get("p3").getAs("negative_prompt_3"));
        assertNull(rows.get("d").getAs("max_sequence_length"), "no T5 encoder: none used");
        assertEquals(3, rows.values().stream().filter(r -> "ok".equals(r.getAs("status"))).count());
        assertSameAsLibrary(Fixtures.tinySd(), rows, List.of("d", "sig", "o"));
    }

    @Test
    void latentConsistencyModelDefaults() {
        Path lcm = REFERENCE.resolve("tiny-lcm");
        Map<String, Row> rows = run(lcm, "{\"id\": \"d\", \"prompt\": \"an astronaut\", \"seed\": 100}");
        assertEquals(4, (int) rows.get("d").getAs("num_inference_steps"));
        assertEquals(8.5, (double) rows.get("d").getAs("guidance_scale"));
        assertSameAsLibrary(lcm, rows, List.of("d"));
    }

    @Test
    void sdxlDefaultsAndSecondPrompts() {
        Path sdxl = Fixtures.referenceSdxl().resolve("tiny-sdxl");
        Map<String, Row> rows = run(sdxl,
                "{\"id\": \"d\", \"prompt\": \"a photo of a cat\", \"seed\": 1, \"width\": 16, \"height\": 16}",
                "{\"id\": \"p2\", \"prompt\": \"a dog\", \"seed\": 2, \"prompt_2\": \"a red car\", \"negative_prompt\":"
                        + " \"ugly\", \"negative_prompt_2\": \"blurry\", \"num_inference_steps\": 2}",
                "{\"id\": \"q\", \"prompt\": \"a boat\", \"seed\": 3, \"negative_prompt\": \"ugly\","
                        + " \"num_inference_steps\": 2}");
        assertEquals(50, (int) rows.get("d").getAs("num_inference_steps"));
        assertEquals(5.0, (double) rows.get("d").getAs("guidance_scale"));
        assertEquals(5.0, (double) rows.get("p2").getAs("guidance_scale"));
        assertEquals("a red car", rows.get("p2").getAs("prompt_2"));
        assertEquals("a red car", pngText(rows.get("p2")).get("prompt_2"));
        assertEquals("blurry", pngText(rows.get("p2")).get("negative_prompt_2"));
        assertEquals(2, (int) rows.get("p2").getAs("batch_size"), "p2 and q share a call");
        assertSameAsLibrary(sdxl, rows, List.of("d", "p2", "q"));
    }

    private Map<String, Row> run(Path model, String... lines) {
        Path in = JobHarness.write(dir, "prompts.jsonl", lines);
        Path out = dir.resolve("out");
        JobHarness.run("--prompts", in.toString(), "--output", out.toString(), "--model", model.toString(),
                "--batch-size", "4", "--partitions", "1");
        return JobHarness.rows(out).stream().collect(Collectors.toMap(r -> r.getAs("id"), Function.identity()));
    }

    private static Map<String, String> pngText(Row r) {
        return Png.readText(OutputSchema.png(r.getAs("image")));
    }

    private static void assertError(Row r, String... parts) {
        assertEquals("error", r.getAs("status"));
        assertNull(r.getAs("image"));
        for (String part : parts) {
            String error = r.getAs("error");
            assertTrue(error.contains(part), error);
        }
    }

    /** Each row's image equals the library call with the parameters its output row records (batched: 1/255). */
    private static void assertSameAsLibrary(Path model, Map<String, Row> rows, List<String> ids) {
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(model.toString(), new PipelineOptions())) {
            AbstractStableDiffusionPipeline sd = (AbstractStableDiffusionPipeline) p;
            for (String id : ids) {
                Row r = rows.get(id);
                assertEquals("ok", r.getAs("status"), id + ": " + r.getAs("error"));
                BufferedImage expected = sd.call(JobHarness.libraryCall(sd, r)).images().get(0);
                int worst = JobHarness.maxChannelDiff(expected, JobHarness.png(r));
                assertTrue(worst <= 1, id + " differs by " + worst + "/255 from the library call");
            }
        }
    }
}
