// Every input format (by extension and by --format) through the whole job, with the fake renderer.
package io.diffusers4j.job;

import io.diffusers4j.job.render.PipelineSpec;
import io.diffusers4j.job.rows.SeedDeriver;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobFormatsTest extends FakeJobTest {
    @Test
    void jsonlRowsTakeTheirFieldsAndDefaultsFillTheRest() {
        Path in = JobHarness.write(dir, "prompts.jsonl",
                "{\"id\": \"a\", \"prompt\": \"a cat\", \"seed\": 5, \"num_inference_steps\": 3}",
                "{\"prompt\": \"a dog\", \"num_images_per_prompt\": 2, \"width\": 16, \"height\": 8}",
                "{\"id\": 7, \"prompt\": \"x\", \"negative_prompt\": \"blurry\", \"guidance_scale\": 2,"
                        + " \"scheduler\": \"EulerDiscreteScheduler\"}");
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.runFake(in, out, "--seed", "99");
        assertEquals(4, s.okImages());
        assertEquals(0, s.errorRows());

        List<Row> rows = JobHarness.rows(out);
        assertEquals(4, rows.size());
        Row a = find(rows, "a", 0);
        assertEquals(5L, (long) a.getAs("seed"));
        assertEquals(3, (int) a.getAs("num_inference_steps"));
        assertEquals(7.5, (double) a.getAs("guidance_scale"));
        assertEquals(32, (int) a.getAs("width"));   // the pipeline's default size
        assertEquals(24, (int) a.getAs("height"));
        assertEquals("FakeScheduler", a.getAs("scheduler"));
        assertEquals(PipelineSpec.EMBEDDED_MODEL, a.getAs("model"));
        assertEquals("prompts.jsonl:1", a.getAs("source"));
        assertNull(a.getAs("negative_prompt"));
        assertNull(a.getAs("error"));

        Row seven = find(rows, "7", 0);
        assertEquals("blurry", seven.getAs("negative_prompt"));
        assertEquals(2.0, (double) seven.getAs("guidance_scale"));
        assertEquals("EulerDiscreteScheduler", seven.getAs("scheduler"));
        assertEquals(SeedDeriver.deriveSeed(99, "7"), (long) seven.getAs("seed"));

        String dogId = SeedDeriver.deriveId("prompts.jsonl", 2,
                "{\"prompt\": \"a dog\", \"num_images_per_prompt\": 2, \"width\": 16, \"height\": 8}");
        long dogSeed = SeedDeriver.deriveSeed(99, dogId);
        assertEquals(dogSeed, (long) find(rows, dogId, 0).getAs("seed"));
        assertEquals(dogSeed + 1, (long) find(rows, dogId, 1).getAs("seed"));
        assertEquals(16, (int) find(rows, dogId, 1).getAs("width"));

        for (Row r : rows) {
            assertEquals("ok", r.getAs("status"));
            BufferedImage img = JobHarness.png(r);
            assertEquals((int) r.getAs("width"), img.getWidth());
            assertEquals((int) r.getAs("height"), img.getHeight());
            // the picture encodes the seed, prompt and steps it was rendered with: its own row's
            assertEquals((long) r.getAs("seed") & 0xFFFFFF, img.getRGB(0, 0) & 0xFFFFFF);
            assertEquals(FakeRenderer.hash(r.getAs("prompt")) & 0xFFFFFF, img.getRGB(1, 0) & 0xFFFFFF);
            assertEquals((int) r.getAs("num_inference_steps"), img.getRGB(2, 0) & 0xFFFFFF);
            assertEquals(r.getAs("raw").toString().contains("\"x\"") ? "blurry" : null,
                    r.getAs("negative_prompt"));
        }
        // one pipeline build served every partition of the run in this JVM
        assertEquals(1, rows.stream().map(r -> r.getAs("pipeline_instance_id")).distinct().count());
        assertEquals(Set.of("driver"), rows.stream().map(r -> (String) r.getAs("executor_id"))
                .collect(Collectors.toSet()));
    }

    @Test
    void csvWithQuotedFieldsAndAnyColumnOrder() {
        Path in = JobHarness.write(dir, "prompts.csv",
                "seed,prompt,id,num_inference_steps,timesteps,prompt_2",
                "11,\"a cat, sitting\",b,4,,",
                "12,\"say \"\"hi\"\"\",c,,\"900, 500\",a dog",
                "",
                ",plain,d,2,,");
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.runFake(in, out);
        assertEquals(2, s.okImages());
        List<Row> rows = JobHarness.rows(out);
        assertEquals("a cat, sitting", find(rows, "b", 0).getAs("prompt"));
        assertEquals(11L, (long) find(rows, "b", 0).getAs("seed"));
        assertEquals(4, (int) find(rows, "b", 0).getAs("num_inference_steps"));
        assertEquals("say \"hi\"", find(rows, "c", 0).getAs("prompt"));
        assertEquals(2, (int) find(rows, "c", 0).getAs("num_inference_steps"), "the custom schedule's 2 steps");
        assertEquals(List.of(900.0, 500.0), find(rows, "c", 0).getList(find(rows, "c", 0).fieldIndex("timesteps")));
        assertEquals("error", find(rows, "c", 0).getAs("status"), "prompt_2 on a non-SDXL pipeline");
        assertEquals(SeedDeriver.deriveSeed(0, "d"), (long) find(rows, "d", 0).getAs("seed"));
        assertEquals("prompts.csv:5", find(rows, "d", 0).getAs("source"));
    }

    @Test
    void textOneLinePerPromptWithStableDerivedIds() {
        Path in = JobHarness.write(dir, "prompts.txt", "a cat", "", "   ", "a cat", "  a dog  ");
        Path out = dir.resolve("out");
        JobHarness.runFake(in, out);
        List<Row> rows = JobHarness.rows(out);
        assertEquals(3, rows.size());
        Set<String> ids = rows.stream().map(r -> (String) r.getAs("id")).collect(Collectors.toSet());
        assertEquals(3, ids.size(), "identical prompts on different lines get different ids");
        assertTrue(ids.contains(SeedDeriver.deriveId("prompts.txt", 1, "a cat")));
        assertTrue(ids.contains(SeedDeriver.deriveId("prompts.txt", 4, "a cat")));
        assertTrue(rows.stream().anyMatch(r -> r.getAs("prompt").equals("a dog")));

        Path again = dir.resolve("again");
        JobHarness.runFake(in, again, "--partitions", "3");
        assertEquals(ids, JobHarness.rows(again).stream().map(r -> (String) r.getAs("id"))
                .collect(Collectors.toSet()), "ids do not depend on the run or the partitioning");
    }

    @Test
    void parquetRowsWithTypedColumns() {
        StructType schema = new StructType()
                .add("id", DataTypes.StringType)
                .add("prompt", DataTypes.StringType)
                .add("seed", DataTypes.LongType)
                .add("num_inference_steps", DataTypes.IntegerType)
                .add("guidance_scale", DataTypes.FloatType)
                .add("tag", DataTypes.StringType)
                .add("sigmas", DataTypes.createArrayType(DataTypes.FloatType));
        Path in = dir.resolve("prompts.parquet");
        SharedSpark.get().createDataFrame(List.of(
                RowFactory.create("p1", "a cat", 3L, 2, 1.5f, "x", null),
                RowFactory.create("p2", "a dog", null, null, null, "y", new float[] {5f, 0.5f, 0f}),
                RowFactory.create(null, "a cow", 4L, 5, null, null, null)), schema)
                .coalesce(1).write().parquet(in.toString());
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.runFake(in, out);
        assertEquals(3, s.okImages());
        List<Row> rows = JobHarness.rows(out);
        Row p1 = find(rows, "p1", 0);
        assertEquals(3L, (long) p1.getAs("seed"));
        assertEquals(2, (int) p1.getAs("num_inference_steps"));
        assertEquals(1.5, (double) p1.getAs("guidance_scale"));
        Row p2 = find(rows, "p2", 0);
        assertEquals(List.of(5.0, 0.5, 0.0), p2.getList(p2.fieldIndex("sigmas")), "an array column");
        assertEquals(2, (int) p2.getAs("num_inference_steps"));
        String raw = p1.getAs("raw");
        assertTrue(raw.contains("\"prompt\":\"a cat\""), raw);
        String source = p1.getAs("source");
        assertTrue(source.matches("part-.*\\.parquet:1"), source);
        Row cow = rows.stream().filter(r -> r.getAs("prompt").equals("a cow")).findFirst().orElseThrow();
        assertTrue(cow.<String>getAs("id").startsWith("row-"));
        assertEquals(4L, (long) cow.getAs("seed"));
    }

    @Test
    void formatFlagOverridesTheExtensionAndUnknownExtensionsAreRefused() {
        Path in = JobHarness.write(dir, "prompts.data", "{\"id\": \"q\", \"prompt\": \"a cat\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JobHarness.runFake(in, dir.resolve("x")));
        assertTrue(e.getMessage().contains("--format"), e.getMessage());

        Path out = dir.resolve("out");
        JobHarness.runFake(in, out, "--format", "jsonl");
        assertEquals("a cat", find(JobHarness.rows(out), "q", 0).getAs("prompt"));

        Path asText = dir.resolve("as-text");
        JobHarness.runFake(in, asText, "--format", "text");
        assertEquals("{\"id\": \"q\", \"prompt\": \"a cat\"}", JobHarness.rows(asText).get(0).getAs("prompt"));
    }

    @Test
    void folderOfJsonlFilesNumbersLinesPerFile() {
        Path folder = dir.resolve("in");
        folder.toFile().mkdirs();
        JobHarness.write(folder, "a.jsonl", "{\"prompt\": \"one\"}", "{\"prompt\": \"two\"}");
        JobHarness.write(folder, "b.jsonl", "{\"prompt\": \"three\"}");
        Path out = dir.resolve("out");
        JobHarness.runFake(folder, out);
        Set<String> sources = JobHarness.rows(out).stream().map(r -> (String) r.getAs("source"))
                .collect(Collectors.toSet());
        assertEquals(Set.of("a.jsonl:1", "a.jsonl:2", "b.jsonl:1"), sources);
    }

    static Row find(List<Row> rows, String id, int imageIndex) {
        return rows.stream().filter(r -> r.getAs("id").equals(id) && (int) r.getAs("image_index") == imageIndex)
                .findFirst().orElseThrow(() -> new AssertionError("no row " + id + "#" + imageIndex + " in " + rows));
    }
}
