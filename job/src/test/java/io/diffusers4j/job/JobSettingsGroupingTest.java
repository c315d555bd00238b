// Steps/guidance/max_sequence_length resolution (row, job flag, else the pipeline's) and grouping by the values used.
package io.diffusers4j.job;

import io.diffusers4j.image.Png;
import io.diffusers4j.job.render.RenderSettings;
import io.diffusers4j.job.rows.OutputSchema;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** On the fake renderer, whose pipeline defaults are StableDiffusionPipeline's 50 / 7.5. */
class JobSettingsGroupingTest extends FakeJobTest {
    private static final String[] ROWS = {
        "{\"id\": \"a\", \"prompt\": \"p\", \"seed\": 1}",
        "{\"id\": \"b\", \"prompt\": \"p\", \"seed\": 2, \"num_inference_steps\": 50, \"guidance_scale\": 7.5}",
        "{\"id\": \"c\", \"prompt\": \"p\", \"seed\": 3, \"guidance_scale\": 2}",
        "{\"id\": \"s1\", \"prompt\": \"p\", \"seed\": 4, \"sigmas\": [3, 1, 0]}",
        "{\"id\": \"s2\", \"prompt\": \"p\", \"seed\": 5, \"sigmas\": \"3, 2, 0\"}",
        "{\"id\": \"t\", \"prompt\": \"p\", \"seed\": 6, \"timesteps\": [900, 10]}",
        "{\"id\": \"bad\", \"prompt\": \"p\", \"seed\": 7, \"num_inference_steps\": 0}",
        "{\"id\": \"m1\", \"prompt\": \"p\", \"seed\": 8, \"max_sequence_length\": 77}",
        "{\"id\": \"m2\", \"prompt\": \"p\", \"seed\": 9, \"max_sequence_length\": 77}",
        "{\"id\": \"p3\", \"prompt\": \"p\", \"seed\": 10, \"max_sequence_length\": 77, \"prompt_3\": \"t5 p\","
            + " \"negative_prompt_3\": \"t5 n\"}",
        "{\"id\": \"m3\", \"prompt\": \"p\", \"seed\": 11, \"max_sequence_length\": 256}",
        "{\"id\": \"badmsl\", \"prompt\": \"p\", \"seed\": 12, \"max_sequence_length\": 513}",
    };

    @Test
    void rowsWithoutSettingsGetThePipelinesAndShareBatchesOnlyWithEqualValues() {
        Map<String, Row> rows = run();
        assertEquals(50, (int) rows.get("a").getAs("num_inference_steps"));
        assertEquals(7.5, (double) rows.get("a").getAs("guidance_scale"));
        assertEquals(2, (int) rows.get("a").getAs("batch_size"), "a resolves to b's explicit values");
        assertEquals(2.0, (double) rows.get("c").getAs("guidance_scale"));
        assertEquals(2, (int) rows.get("s1").getAs("num_inference_steps"));
        assertEquals(2, (int) rows.get("t").getAs("num_inference_steps"));
        for (String id : List.of("c", "s1", "s2", "t")) {
            assertEquals(1, (int) rows.get(id).getAs("batch_size"), id + " has settings of its own");
        }
        assertEquals("error", rows.get("bad").getAs("status"));
        assertEquals("num_inference_steps 0 is below 1", rows.get("bad").getAs("error"));
        List<List<Double>> sigmas = FakeRenderer.BATCH_SETTINGS.stream().map(RenderSettings::sigmas)
                .filter(s -> s != null).toList();
        assertTrue(sigmas.containsAll(List.of(List.of(3.0, 1.0, 0.0), List.of(3.0, 2.0, 0.0))), sigmas.toString());
    }

    @Test
    void maxSequenceLengthIsPartOfTheBatchKeyAndThirdPromptsArePerImage() {
        Map<String, Row> rows = run();
        assertNull(rows.get("a").getAs("max_sequence_length"), "the (fake) pipeline's own: none");
        for (String id : List.of("m1", "m2", "p3")) {
            assertEquals(77, (int) rows.get(id).getAs("max_sequence_length"), id);
            assertEquals(3, (int) rows.get(id).getAs("batch_size"), id + ": one call for max_sequence_length 77, "
                    + "with and without prompt_3");
        }
        assertEquals(256, (int) rows.get("m3").getAs("max_sequence_length"));
        assertEquals(1, (int) rows.get("m3").getAs("batch_size"), "another max_sequence_length, another call");
        assertEquals(2, (int) rows.get("a").getAs("batch_size"), "a and b only");
        assertEquals("t5 p", rows.get("p3").getAs("prompt_3"));
        assertEquals("t5 n", rows.get("p3").getAs("negative_prompt_3"));
        assertNull(rows.get("m1").getAs("prompt_3"));
        Map<String, String> text = Png.readText(OutputSchema.png(rows.get("p3").getAs("image")));
        assertEquals("t5 p", text.get("prompt_3"));
        assertEquals("t5 n", text.get("negative_prompt_3"));
        assertEquals("77", text.get("max_sequence_length"));
        assertFalse(Png.readText(OutputSchema.png(rows.get("a").getAs("image"))).containsKey("max_sequence_length"));
        assertEquals("error", rows.get("badmsl").getAs("status"));
        assertEquals("max_sequence_length 513 exceeds the T5 limit 512", rows.get("badmsl").getAs("error"));
        assertTrue(FakeRenderer.BATCH_SETTINGS.stream().noneMatch(s -> Integer.valueOf(513).equals(
                s.maxSequenceLength())), "a refused value never reaches the pipeline");
    }

    @Test
    void jobFlagsOverrideEveryRowWithoutTheField() {
        Map<String, Row> rows = run("--steps", "3", "--guidance-scale", "1.5");
        assertEquals(3, (int) rows.get("a").getAs("num_inference_steps"));
        assertEquals(1.5, (double) rows.get("a").getAs("guidance_scale"));
        assertEquals(50, (int) rows.get("b").getAs("num_inference_steps"), "the row's own value wins");
        assertEquals(2, (int) rows.get("t").getAs("num_inference_steps"), "a custom schedule counts its steps");
        assertEquals("error", rows.get("bad").getAs("status"));
    }

    @Test
    void theJobWideMaxSequenceLengthReachesEveryRowWithoutOne() {
        Map<String, Row> rows = run("--max-sequence-length", "128");
        for (String id : List.of("a", "b", "c", "t")) {
            assertEquals(128, (int) rows.get(id).getAs("max_sequence_length"), id);
        }
        assertEquals(77, (int) rows.get("m1").getAs("max_sequence_length"), "the row's own value wins");
        assertEquals(2, (int) rows.get("a").getAs("batch_size"), "a and b still share a call");
        assertEquals("128", Png.readText(OutputSchema.png(rows.get("a").getAs("image"))).get("max_sequence_length"));
    }

    private Map<String, Row> run(String... flags) {
        Path in = JobHarness.write(dir, "prompts.jsonl", ROWS);
        Path out = dir.resolve("out");
        String[] args = Stream.concat(Stream.of("--batch-size", "4", "--partitions", "1"), Stream.of(flags))
                .toArray(String[]::new);
        JobHarness.runFake(in, out, args);
        return JobHarness.rows(out).stream().collect(Collectors.toMap(r -> r.getAs("id"), Function.identity()));
    }
}
