// Rows that make the REAL pipeline (tiny-sd) throw or diverge cost only themselves, never their partition.
package io.diffusers4j.job;

import io.diffusers4j.job.progress.JobMetrics;
import io.diffusers4j.job.render.PipelineSpec;
import io.diffusers4j.job.rows.OutputSchema;
import io.diffusers4j.job.rows.WorkSchema;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.StableDiffusionPipeline;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.testing.ModelCopies;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The production renderer ({@code StableDiffusionPipeline} on the tiny-sd fixture), not the fake:
 * <ul>
 *   <li>rows that pass the job's validation but that the pipeline refuses (an unknown scheduler class, more
 *       steps than the scheduler's num_train_timesteps) become error rows with the pipeline's message; the other
 *       rows of the same partition are rendered by the same pipeline build;</li>
 *   <li>a NaN / infinite / beyond-float32 guidance that slipped past validation (work rows built directly, as a
 *       validation bug would let through) is refused by the pipeline: an error row, not a black image;</li>
 *   <li>a checkpoint whose numbers diverge (VAE bias poisoned with NaN) yields error rows saying so, never an
 *       ok row with a black PNG (which is what the 8-bit conversion of NaN gives, in diffusers too).</li>
 * </ul>
 */
class JobPipelineRowFaultsTest {
    @TempDir
    Path dir;

    @Test
    void rowsThePipelineRefusesCostOnlyThemselves() {
        Path in = JobHarness.write(dir, "p.jsonl",
                "{\"id\": \"a\", \"prompt\": \"a cat\", \"seed\": 1}",
                "{\"id\": \"sched\", \"prompt\": \"a cat\", \"seed\": 2, \"scheduler\": \"NoSuchScheduler\"}",
                "{\"id\": \"steps\", \"prompt\": \"a cat\", \"seed\": 3, \"num_inference_steps\": 1001}",
                "{\"id\": \"b\", \"prompt\": \"a dog\", \"seed\": 4}",
                "{\"id\": \"c\", \"prompt\": \"a bird\", \"seed\": 5, \"negative_prompt\": \"blurry\"}");
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.run("--prompts", in.toString(), "--output", out.toString(), "--model",
                Fixtures.tinySd().toString(), "--partitions", "1", "--batch-size", "4", "--steps", "2",
                "--set", "diffusers4j.job.max-steps=5000");
        List<Row> rows = JobHarness.rows(out);
        assertEquals(5, rows.size());
        assertEquals(3, s.okImages());
        assertEquals(2, s.errorRows());
        assertError(JobFormatsTest.find(rows, "sched", 0), "NoSuchScheduler");
        assertError(JobFormatsTest.find(rows, "steps", 0), "1001", "num_train_timesteps");
        for (String id : List.of("a", "b", "c")) {
            Row r = JobFormatsTest.find(rows, id, 0);
            assertEquals("ok", r.getAs("status"), id + ": " + r.getAs("error"));
            assertNotNull(JobHarness.png(r));
        }
        assertEquals(1, rows.stream().map(r -> (String) r.getAs("pipeline_instance_id")).filter(x -> x != null)
                .distinct().count(), "one pipeline build served the whole partition");
    }

    @Test
    void nonFiniteGuidanceThatSlipsPastValidationCostsOnlyItsRow() {
        List<Row> work = List.of(
                workRow("a", 7.5, 11),
                workRow("nan", Double.NaN, 12),
                workRow("inf", Double.POSITIVE_INFINITY, 13),
                workRow("huge", 1e300, 14), // finite as a double, inf in the pipeline's float32
                workRow("b", 7.5, 15));
        PipelineSpec spec = new PipelineSpec(Fixtures.tinySd().toString(), null, null, "float32", "cpu", null,
                Map.of(), null, 0);
        Broadcast<PipelineSpec> b = JavaSparkContext.fromSparkContext(SharedSpark.get().sparkContext())
                .broadcast(spec);
        List<Row> rows = SharedSpark.get().createDataFrame(SharedSpark.get().createDataFrame(work,
                WorkSchema.SCHEMA).repartition(1).javaRDD().mapPartitions(new PartitionGenerator(b, 8,
                "slipped-run", JobMetrics.register(SharedSpark.get().sparkContext()))), OutputSchema.SCHEMA).collectAsList();
        Map<String, Row> byId = new HashMap<>();
        rows.forEach(r -> byId.put(r.getString(0), r));
        assertEquals(5, byId.size());
        assertError(byId.get("nan"), "guidance_scale must be a finite float32 number, got NaN");
        assertError(byId.get("inf"), "got Infinity");
        assertError(byId.get("huge"), "got 1.0E300");
        for (String id : List.of("a", "b")) {
            assertEquals("ok", byId.get(id).getAs("status"), String.valueOf((Object) byId.get(id).getAs("error")));
            assertTrue(OutputSchema.png(byId.get(id).getAs("image")).length > 0);
        }
    }

    @Test
    void divergingLatentsGiveErrorRowsNotBlackImages() {
        Path model = ModelCopies.tinySd(dir.resolve("nan-vae"), "vae");
        ModelCopies.fillTensor(model.resolve("vae/diffusion_pytorch_model.safetensors"), "decoder.conv_out.bias",
                Float.NaN);
        // what the library returns, like diffusers: NaN pixels (an 8-bit conversion makes them black)
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(model.toString(), new PipelineOptions())) {
            float[] px = ((StableDiffusionPipeline) p).call(new PipelineCall().prompt("a cat").seed(0)
                    .numInferenceSteps(1).outputType("np")).data();
            assertTrue(Float.isNaN(px[0]));
        }
        Path in = JobHarness.write(dir, "p.jsonl", "{\"id\": \"x\", \"prompt\": \"a cat\", \"seed\": 1}",
                "{\"id\": \"y\", \"prompt\": \"a dog\", \"seed\": 2}");
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.run("--prompts", in.toString(), "--output", out.toString(), "--model",
                model.toString(), "--partitions", "1", "--steps", "1");
        assertEquals(0, s.okImages());
        for (Row r : JobHarness.rows(out)) {
            assertError(r, "non-finite (NaN) pixel values", "seeds [" + r.getAs("seed") + "]");
        }
    }

    private static Row workRow(String id, double guidance, long seed) {
        return RowFactory.create(id, "a photo of a " + id, null, seed, 2, guidance, null, null, null, null, null,
                null, null, null, null, null, null, null, 0,
                WorkSchema.PENDING, null, "{\"id\": \"" + id + "\"}", "test:" + id, null, null, null);
    }

    private static void assertError(Row r, String... fragments) {
        assertEquals("error", r.getAs("status"));
        assertNull(r.getAs("image"));
        String why = r.getAs("error");
        for (String f : fragments) {
            assertTrue(why != null && why.contains(f), "expected '" + f + "' in: " + why);
        }
    }
}
