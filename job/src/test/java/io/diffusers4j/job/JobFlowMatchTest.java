// The job on the tiny Stable Diffusion 3 / FLUX checkpoints: resolved columns, library parity, refusals, T5 left out.
package io.diffusers4j.job;

import io.diffusers4j.cli.Main;
import io.diffusers4j.job.input.RawRecord;
import io.diffusers4j.job.render.PipelineSpec;
import io.diffusers4j.job.rows.JobDefaults;
import io.diffusers4j.job.rows.RowValidator;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.ImagePipelineOutput;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.testing.Fixtures;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real pipelines on {@code reference-flow/tiny-sd3} and {@code tiny-flux} (the shared SparkSession): rows that leave
 * steps, guidance and {@code max_sequence_length} out get the pipeline's (SD3 28 / 7.0 / 256, FLUX.1-schnell style
 * 4 / 0.0 / 256) and record them; every ok image equals the library's single call with the row's values (batched:
 * within 1/255); what the pipeline refuses (FLUX: a negative prompt) and a scheduler of the other family (checked
 * with the checkpoint's scheduler config from the driver) are error rows beside rendered ones; the job-wide
 * {@code --without-component} builds SD3 without T5 as the library does, and a bad one is one line, exit 2, as is a
 * job-wide scheduler of the other family.
 */
class JobFlowMatchTest {
    @TempDir
    Path dir;

    private static Path sd3() {
        return Fixtures.referenceFlow().resolve("tiny-sd3");
    }

    private static Path flux() {
        return Fixtures.referenceFlow().resolve("tiny-flux");
    }

    /** Runs the job on {@code model} with {@code lines} (JSONL) and {@code flags}; the output rows by id. */
    private Map<String, Row> run(Path model, List<String> flags, String... lines) {
        Path in = JobHarness.write(dir, "prompts.jsonl", lines);
        Path out = dir.resolve("out");
        List<String> args = new ArrayList<>(List.of("--prompts", in.toString(), "--output", out.toString(),
                "--model", model.toString(), "--batch-size", "4", "--partitions", "1"));
        args.addAll(flags);
        JobHarness.run(args.toArray(new String[0]));
        return JobHarness.rows(out).stream().collect(Collectors.toMap(r -> r.getAs("id"), Function.identity()));
    }

    @Test
    void sd3RowsRecordWhatRanAndEqualTheLibrarysSingleCalls() {
        Map<String, Row> rows = run(sd3(), List.of(),
                "{\"id\": \"p3\", \"prompt\": \"a lighthouse\", \"prompt_3\": \"a lighthouse at dusk, oil painting\","
                        + " \"seed\": 1}",
                "{\"id\": \"msl\", \"prompt\": \"a red car\", \"max_sequence_length\": 32, \"seed\": 2}",
                "{\"id\": \"plain\", \"prompt\": \"a bowl of fruit\", \"seed\": 3}",
                "{\"id\": \"euler\", \"prompt\": \"a cat\", \"scheduler\": \"Euler\", \"num_inference_steps\": 2,"
                        + " \"seed\": 4}",
                "{\"id\": \"dpm\", \"prompt\": \"a cat\", \"scheduler\": \"DPM++ 2M\", \"seed\": 5}");
        for (String id : List.of("p3", "msl", "plain")) {
            Row r = rows.get(id);
            assertEquals("ok", r.getAs("status"), id + ": " + r.getAs("error"));
            assertEquals(28, (int) r.getAs("num_inference_steps"), id);
            assertEquals(7.0, (double) r.getAs("guidance_scale"), id);
        }
        assertEquals(256, (int) rows.get("p3").getAs("max_sequence_length"));
        assertEquals(32, (int) rows.get("msl").getAs("max_sequence_length"));
        assertEquals(256, (int) rows.get("plain").getAs("max_sequence_length"));
        assertEquals("a lighthouse at dusk, oil painting", rows.get("p3").getAs("prompt_3"));
        assertNull(rows.get("plain").getAs("prompt_3"));
        assertEquals(2, (int) rows.get("p3").getAs("batch_size"), "p3 and plain share a call");
        assertEquals("ok", rows.get("euler").getAs("status"), "Euler is the flow-matching Euler here");
        assertError(rows.get("dpm"), "scheduler 'DPM++ 2M' is not supported on this flow-matching checkpoint: "
                + "DPMSolverMultistepScheduler is not a flow-matching scheduler");
        assertSameAsLibrary(sd3(), new PipelineOptions(), rows, List.of("p3", "msl", "plain", "euler"));
    }

    @Test
    void aFluxRowWithANegativePromptIsAnErrorRowBesideRenderedOnes() {
        Map<String, Row> rows = run(flux(), List.of(),
                "{\"id\": \"neg\", \"prompt\": \"a red car\", \"negative_prompt\": \"blurry\", \"seed\": 1,"
                        + " \"width\": 64, \"height\": 64}",
                "{\"id\": \"a\", \"prompt\": \"a red car\", \"seed\": 2, \"width\": 64, \"height\": 64}",
                "{\"id\": \"b\", \"prompt\": \"a lighthouse\", \"seed\": 3, \"width\": 64, \"height\": 64,"
                        + " \"max_sequence_length\": 64}");
        assertError(rows.get("neg"), "FluxPipeline does not take negative_prompt");
        assertEquals(List.of(4, 0.0, 256), List.of(rows.get("a").getAs("num_inference_steps"),
                rows.get("a").getAs("guidance_scale"), rows.get("a").getAs("max_sequence_length")));
        assertEquals(64, (int) rows.get("b").getAs("max_sequence_length"));
        assertSameAsLibrary(flux(), new PipelineOptions(), rows, List.of("a", "b"));
    }

    @Test
    void sd3WithoutT5RendersAsTheLibraryWithoutThoseComponents() {
        Map<String, Row> rows = run(sd3(), List.of("--without-component", "text_encoder_3", "--without-component",
                        "tokenizer_3", "--steps", "2"),
                "{\"id\": \"a\", \"prompt\": \"a red car in the rain\", \"seed\": 1}",
                "{\"id\": \"b\", \"prompt\": \"a bowl of fruit, still life\", \"seed\": 2}");
        PipelineOptions without = new PipelineOptions().component("text_encoder_3", PipelineOptions.NONE)
                .component("tokenizer_3", PipelineOptions.NONE);
        assertSameAsLibrary(sd3(), without, rows, List.of("a", "b"));
    }

    @Test
    void withoutComponentIsAPipelineOptionFromFlagsAndConfigKeys() {
        PipelineSpec flags = JobCommand.parse("--prompts", "p.jsonl", "--output", "o", "--without-component",
                "text_encoder_3", "--without-component", "tokenizer_3").toConfig().pipelineSpec(0);
        assertEquals(List.of("text_encoder_3", "tokenizer_3"), flags.withoutComponents());
        PipelineSpec set = JobCommand.parse("--prompts", "p.jsonl", "--output", "o", "--set",
                "diffusers4j.pipeline.without-component=text_encoder_3").toConfig().pipelineSpec(0);
        assertEquals(List.of("text_encoder_3"), set.withoutComponents());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> JobCommand.parse(
                "--prompts", "p.jsonl", "--output", "o", "--without-component", "a,b").toConfig());
        assertEquals("without-component 'a,b' is not a component name (a model_index.json key such as "
                + "text_encoder_3)", bad.getMessage());
    }

    @Test
    void aComponentTheModelLacksOrASchedulerOfTheOtherFamilyIsOneLineBeforeSpark() {
        String line = refused("--model", sd3().toString(), "--without-component", "nope");
        assertTrue(line.contains("model_index.json has no component 'nope' to leave out (its components: "), line);
        String scheduler = refused("--model", sd3().toString(), "--scheduler", "DPM++ 2M");
        assertTrue(scheduler.contains("scheduler 'DPM++ 2M' is not supported on this flow-matching checkpoint"),
                scheduler);
        String flowOnSd = refused("--model", Fixtures.tinySd().toString(), "--scheduler",
                "FlowMatchEulerDiscreteScheduler");
        assertTrue(flowOnSd.contains("FlowMatchEulerDiscreteScheduler is a flow-matching scheduler"), flowOnSd);
    }

    @Test
    void theRowValidatorKnowsTheCheckpointsSchedulerFamilyFromTheDriver() {
        Map<String, Object> dpm = Map.of("prompt", "a cat", "scheduler", "DPM++ 2M");
        RowValidator sd3 = DriverModel.rowValidator(PipelineSpec.embeddedDefault().withModel(sd3().toString()),
                JobDefaults.diffusers());
        assertTrue(sd3.validate(RawRecord.parsed("p.jsonl", 1, "raw", dpm)).error().contains("flow-matching"));
        RowValidator sd = DriverModel.rowValidator(PipelineSpec.embeddedDefault().withModel(
                Fixtures.tinySd().toString()), JobDefaults.diffusers());
        assertNull(sd.validate(RawRecord.parsed("p.jsonl", 1, "raw", dpm)).error());
    }

    /** {@code diffusers4j job} with {@code flags}: exit 2 and one line on stderr, no output; the line. */
    private String refused(String... flags) {
        Path out = dir.resolve("refused");
        List<String> args = new ArrayList<>(List.of("job", "--prompts",
                JobHarness.write(dir, "one.jsonl", "{\"prompt\": \"a cat\"}").toString(), "--output",
                out.toString()));
        args.addAll(List.of(flags));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int rc;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            rc = Main.commandLine().setErr(new PrintWriter(err, true)).execute(args.toArray(new String[0]));
        } finally {
            System.setErr(old);
        }
        List<String> lines = err.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> !l.matches("^\\d\\d:\\d\\d:\\d\\d.*")).toList();
        assertEquals(2, rc, lines.toString());
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("diffusers4j job: error: "), lines.get(0));
        assertTrue(!Files.exists(out), "nothing written");
        return lines.get(0);
    }

    private static void assertError(Row r, String message) {
        assertEquals("error", r.getAs("status"));
        assertNull(r.getAs("image"));
        String error = r.getAs("error");
        assertTrue(error.contains(message), error);
    }

    /** Each row's image equals the library call with the values its output row records (batched: 1/255). */
    private static void assertSameAsLibrary(Path model, PipelineOptions options, Map<String, Row> rows,
                                            List<String> ids) {
        try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(model.toString(), options)) {
            for (String id : ids) {
                Row r = rows.get(id);
                assertEquals("ok", r.getAs("status"), id + ": " + r.getAs("error"));
                BufferedImage expected = ((ImagePipelineOutput) pipe.call(JobHarness.libraryCall(pipe, r)))
                        .images().get(0);
                int worst = JobHarness.maxChannelDiff(expected, JobHarness.png(r));
                assertTrue(worst <= 1, id + " differs by " + worst + "/255 from the library call");
            }
        }
    }
}
