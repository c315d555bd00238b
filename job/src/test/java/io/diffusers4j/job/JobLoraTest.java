// The job with LoRAs and textual inversions: one base pipeline, adapter sets per micro-batch, diffusers' images.
package io.diffusers4j.job;

import io.diffusers4j.image.Png;
import io.diffusers4j.job.rows.OutputSchema;
import io.diffusers4j.loaders.LoraLoader;
import io.diffusers4j.testing.Fixtures;
import io.diffusers4j.utils.Npy;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rows with different adapter sets in one partition (tiny-sd, the reference-lora adapters, EulerDiscreteScheduler,
 * 4 steps, 64x64): every ok image equals diffusers' fresh pipeline with exactly that row's adapters (reference-lora
 * cases, up to 8-bit rounding), all from one pipeline build; the output records each adapter with its file's
 * SHA-256; missing, malformed, pickle and unfitting adapter files and bad scales are error rows naming the file,
 * and the job goes on.
 */
class JobLoraTest {
    private static final String COMMON = "\"prompt\": \"a photo of an astronaut riding a horse on mars\", "
            + "\"negative_prompt\": \"low quality, blurry\", \"seed\": 7, \"num_inference_steps\": 4, \"width\": 64, "
            + "\"height\": 64, \"scheduler\": \"EulerDiscreteScheduler\"";

    @TempDir
    Path dir;

    private static String adapter(String name) {
        return Fixtures.referenceLora().resolve("adapters").resolve(name).toString();
    }

    @Test
    void adapterSetsPerRowOnOnePipeline() throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.safetensors"), "not a safetensors file");
        String missing = dir.resolve("missing.safetensors").toString();
        Path in = JobHarness.write(dir, "p.jsonl",
                "{\"id\": \"two\", " + COMMON + ", \"loras\": [{\"name\": \"" + adapter("sd_peft.safetensors")
                        + "\", \"scale\": 0.8}, {\"name\": \"" + adapter("sd_kohya.safetensors") + "\", \"scale\": 0.5}]}",
                "{\"id\": \"base\", " + COMMON + "}",
                "{\"id\": \"kohya\", " + COMMON + ", \"loras\": [\"" + adapter("sd_kohya.safetensors") + ":1\"]}",
                "{\"id\": \"tri\", \"prompt\": \"a <tri> painting of a horse\", \"negative_prompt\": \"blurry <tri>\", "
                        + "\"seed\": 9, \"num_inference_steps\": 4, \"width\": 64, \"height\": 64, "
                        + "\"scheduler\": \"EulerDiscreteScheduler\", \"textual_inversions\": [{\"name\": \""
                        + adapter("ti_three_a1111.safetensors") + "\", \"token\": \"<tri>\"}]}",
                "{\"id\": \"missing\", " + COMMON + ", \"loras\": [{\"name\": \"" + missing + "\"}]}",
                "{\"id\": \"broken\", " + COMMON + ", \"loras\": [{\"name\": \"" + broken + "\"}]}",
                "{\"id\": \"pickle\", " + COMMON + ", \"loras\": [\"style.ckpt\"]}",
                "{\"id\": \"scale\", " + COMMON + ", \"loras\": [{\"name\": \"" + adapter("sd_kohya.safetensors")
                        + "\", \"scale\": \"strong\"}]}",
                // a readable safetensors file that is no LoRA: known only when the executor loads it
                "{\"id\": \"nofit\", " + COMMON + ", \"loras\": [{\"name\": \"" + adapter("ti_one.safetensors")
                        + "\"}]}");
        Path out = dir.resolve("out");
        JobSummary s = JobHarness.run("--prompts", in.toString(), "--output", out.toString(), "--model",
                Fixtures.tinySd().toString(), "--partitions", "1", "--batch-size", "4", "--lora-cache-size", "2");
        List<Row> rows = JobHarness.rows(out);
        assertEquals(9, rows.size());
        assertEquals(4, s.okImages(), () -> rows.stream().map(r -> r.getAs("id") + ": " + r.getAs("error")).toList()
                .toString());

        assertCase(JobFormatsTest.find(rows, "two", 0), "lora_two_adapters");
        assertCase(JobFormatsTest.find(rows, "base", 0), "sd_base");
        assertCase(JobFormatsTest.find(rows, "kohya", 0), "lora_kohya");
        assertCase(JobFormatsTest.find(rows, "tri", 0), "ti_three");
        Set<Object> builds = rows.stream().filter(r -> "ok".equals(r.getAs("status")))
                .map(r -> r.getAs("pipeline_instance_id")).collect(Collectors.toSet());
        assertEquals(1, builds.size(), "one base pipeline for every adapter set: " + builds);

        Row two = JobFormatsTest.find(rows, "two", 0);
        List<Row> loras = two.getList(two.fieldIndex("loras"));
        assertEquals(adapter("sd_peft.safetensors"), loras.get(0).getAs("name"));
        assertEquals(0.8, (double) loras.get(0).getAs("scale"));
        assertEquals(LoraLoader.sha256(Path.of(adapter("sd_kohya.safetensors"))), loras.get(1).getAs("sha256"));
        assertNull(two.getAs("textual_inversions"));
        assertNull(JobFormatsTest.find(rows, "base", 0).getAs("loras"));
        Row tri = JobFormatsTest.find(rows, "tri", 0);
        Row embedding = tri.<Row>getList(tri.fieldIndex("textual_inversions")).get(0);
        assertEquals("<tri>", embedding.getAs("token"));
        assertEquals(LoraLoader.sha256(Path.of(adapter("ti_three_a1111.safetensors"))), embedding.getAs("sha256"));
        String parameters = Png.read(OutputSchema.png(two.getAs("image"))).text().get("parameters");
        assertTrue(parameters.startsWith("a photo of an astronaut riding a horse on mars <lora:sd_peft:0.8> "
                + "<lora:sd_kohya:0.5>\n"), parameters);

        assertError(rows, "missing", missing, "no such file");
        assertError(rows, "broken", broken.toString());
        assertError(rows, "pickle", "style.ckpt", "pickle");
        assertError(rows, "scale", "scale \"strong\" is not a finite float32 number");
        assertError(rows, "nofit", "ti_one.safetensors");
        Row nofit = JobFormatsTest.find(rows, "nofit", 0);
        assertEquals(adapter("ti_one.safetensors"), nofit.<Row>getList(nofit.fieldIndex("loras")).get(0)
                .getAs("name"), "an error row still says what it asked for");
    }

    private static void assertError(List<Row> rows, String id, String... fragments) {
        Row r = JobFormatsTest.find(rows, id, 0);
        assertEquals("error", r.getAs("status"), id);
        assertNull(r.getAs("image"));
        String why = r.getAs("error");
        for (String f : fragments) {
            assertTrue(why != null && why.contains(f), id + ": expected '" + f + "' in: " + why);
        }
    }

    private static void assertCase(Row r, String refCase) throws Exception {
        assertEquals("ok", r.getAs("status"), r.getAs("id") + ": " + r.getAs("error"));
        BufferedImage img = JobHarness.png(r);
        float[] want = Npy.read(Fixtures.referenceLora().resolve(refCase + "/image.npy")).floats();
        double diff = 0;
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                int rgb = img.getRGB(x, y);
                for (int ch = 0; ch < 3; ch++) {
                    int v = (rgb >> (16 - 8 * ch)) & 0xFF;
                    diff = Math.max(diff, Math.abs(v / 255.0 - want[(y * 64 + x) * 3 + ch]));
                }
            }
        }
        assertTrue(diff <= 1.0 / 255 + 1e-3, r.getAs("id") + " vs diffusers' " + refCase + ": max |diff| " + diff);
    }
}
