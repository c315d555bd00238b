// `job --plan`: plans expanded in Spark, the plan columns, stable ids with --resume, a 10^9 plan previewed quickly.
package io.diffusers4j.job;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.cli.Main;
import io.diffusers4j.job.plan.PlanFiles;
import io.diffusers4j.job.plan.PlanParser;
import io.diffusers4j.job.plan.PlanPreview;
import io.diffusers4j.job.rows.OutputSchema;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobPlanTest {
    @TempDir
    Path dir;

    private Path plan(String name, String json) throws Exception {
        return Files.writeString(dir.resolve(name), json);
    }

    private static JobSummary runPlan(Path plan, Path output, String... extra) {
        List<String> args = new ArrayList<>(List.of("--plan", plan.toString(), "--output",
                output.toString(), "--set", "diffusers4j.job.renderer=" + FakeRenderer.FACTORY,
                "--set", "diffusers4j.job.report.enabled=false"));
        args.addAll(List.of(extra));
        return JobHarness.run(args.toArray(new String[0]));
    }

    private static String animals(String values) {
        return "{\"seed\": 5, \"images_per_prompt\": 2, \"templates\": [{\"id\": \"pets\", \"prompt\": "
                + "\"a {animal}, {red|blue} light\", \"negative_prompt\": \"blurry\"}], \"slots\": {\"animal\": "
                + values + "}, \"sweep\": {\"num_inference_steps\": [2]}}";
    }

    @Test
    void everyCombinationIsRenderedWithTemplateSlotsCaptionAndTheImageStruct() throws Exception {
        Path out = dir.resolve("out");
        JobSummary s = runPlan(plan("p.json", animals("[\"cat\", \"dog\"]")), out);
        assertEquals(8, s.okImages());
        assertEquals(0, s.errorRows());
        List<Row> rows = JobHarness.rows(out);
        assertEquals(8, rows.size());
        Set<String> captions = new HashSet<>();
        for (Row r : rows) {
            assertEquals("ok", r.getAs("status"));
            assertEquals("pets", r.getAs("template_id"));
            assertEquals(r.<String>getAs("prompt"), r.getAs("caption"));
            assertEquals("blurry", r.getAs("negative_prompt"));
            assertEquals(2, (int) r.<Integer>getAs("num_inference_steps"));
            JsonObject slots = JsonParser.parseString(r.getAs("slots")).getAsJsonObject();
            assertEquals("a " + slots.get("animal").getAsString() + ", " + slots.get("{1}").getAsString() + " light",
                    r.getAs("caption"));
            Row image = r.getAs("image");
            assertEquals(r.getAs("id") + "-" + r.getAs("image_index") + ".png", image.getAs("path"));
            assertTrue(OutputSchema.png(image).length > 0);
            assertTrue(r.<String>getAs("source").startsWith("p.json:"), r.<String>getAs("source"));
            captions.add(r.getAs("caption"));
        }
        assertEquals(Set.of("a cat, red light", "a cat, blue light", "a dog, red light", "a dog, blue light"),
                captions);
        String card = Files.readString(out.resolve("README.md"));
        assertTrue(card.contains("  - name: image\n    dtype: image\n"), card);
        assertTrue(card.contains("| `pets` | a {animal}, {red\\|blue} light | 4 |"), card);
    }

    @Test
    void growingASlotListWithResumeRendersOnlyTheNewIds() throws Exception {
        Path out = dir.resolve("out");
        runPlan(plan("p.json", animals("[\"cat\", \"dog\"]")), out);
        List<Row> first = JobHarness.rows(out);
        JobSummary again = runPlan(plan("p.json", animals("[\"owl\", \"dog\", \"cat\"]")), out, "--resume");
        assertEquals(8, again.skipped(), "the old combinations keep their ids: already ok");
        assertEquals(4, again.okImages(), "owl x {red|blue} x 2 images");
        List<Row> all = JobHarness.rows(out);
        assertEquals(12, all.size());
        Set<String> firstIds = new HashSet<>();
        first.forEach(r -> firstIds.add(r.getAs("id")));
        for (Row r : all) {
            boolean isNew = r.<String>getAs("caption").contains("owl");
            assertEquals(!isNew, firstIds.contains(r.<String>getAs("id")), r.toString());
        }
    }

    @Test
    void aBillionCombinationPlanWithLimit8StartsInSeconds() throws Exception {
        StringBuilder values = new StringBuilder("[");
        for (int i = 0; i < 1000; i++) {
            values.append(i == 0 ? "" : ",").append("\"v").append(i).append('"');
        }
        values.append(']');
        Path p = plan("big.json", "{\"templates\": [{\"id\": \"big\", \"prompt\": \"{a} {b} {c}\"}], \"slots\": "
                + "{\"a\": " + values + ", \"b\": " + values + ", \"c\": " + values + "}}");
        SharedSpark.get();
        long t0 = System.nanoTime();
        JobSummary s = runPlan(p, dir.resolve("out"), "--limit", "8");
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(8, s.okImages());
        assertEquals(List.of("v0 v0 v0", "v0 v0 v1", "v0 v0 v2", "v0 v0 v3", "v0 v0 v4", "v0 v0 v5", "v0 v0 v6",
                "v0 v0 v7"), JobHarness.rows(dir.resolve("out")).stream().map(r -> (String) r.getAs("caption"))
                .sorted().toList());
        assertTrue(seconds < 60, "a 10^9 plan previewed in " + seconds + " s");
    }

    @Test
    void sampleModeRendersTheDrawsThePlanCommandShows() throws Exception {
        Path p = plan("s.json", "{\"seed\": 9, \"mode\": \"sample\", \"count\": 5, \"templates\": [{\"id\": \"t\", "
                + "\"prompt\": \"{x} {y}\"}], \"slots\": {\"x\": [\"a\", \"b\", \"c\"], "
                + "\"y\": [\"1\", \"2\", \"3\", \"4\"]}}");
        Path out = dir.resolve("out");
        assertEquals(5, runPlan(p, out).okImages());
        Set<String> expected = new HashSet<>();
        new PlanPreview(PlanParser.parse(new PlanFiles(new Configuration(), p.toString())), 5).rows()
                .forEach(r -> expected.add(r.id() + " " + r.prompt() + " " + r.seed()));
        Set<String> rendered = new HashSet<>();
        JobHarness.rows(out).forEach(r -> rendered.add(r.getAs("id") + " " + r.getAs("caption") + " "
                + r.getAs("seed")));
        assertEquals(expected, rendered);
    }

    @Test
    void aPlanValueTheJobsLimitsRefuseIsThatPromptsErrorRow() throws Exception {
        Path out = dir.resolve("out");
        JobSummary s = runPlan(plan("p.json", "{\"templates\": [{\"id\": \"t\", \"prompt\": \"{x}\"}], "
                + "\"slots\": {\"x\": [\"a\", \"b\"]}, \"sweep\": {\"num_inference_steps\": [2, 2000]}}"), out);
        assertEquals(2, s.okImages());
        assertEquals(2, s.errorRows());
        for (Row r : JobHarness.rows(out)) {
            if ("error".equals(r.getAs("status"))) {
                assertTrue(r.<String>getAs("error").contains("num_inference_steps"), r.<String>getAs("error"));
                assertTrue(r.<String>getAs("raw").contains("\"num_inference_steps\":2000"), r.<String>getAs("raw"));
                assertEquals("t", r.getAs("template_id"));
            }
        }
    }

    @Test
    void exportImagefolderWritesTheOkImagesWithMetadataJsonl() throws Exception {
        Path out = dir.resolve("out");
        Path folder = dir.resolve("folder");
        JobSummary s = runPlan(plan("p.json", animals("[\"cat\", \"[poison] dog\"]")), out, "--export",
                "imagefolder", folder.toString());
        assertEquals(4, s.okImages());
        assertEquals(4, s.errorRows());
        List<Path> pngs;
        List<String> lines = new ArrayList<>();
        try (Stream<Path> files = Files.walk(folder)) {
            List<Path> all = files.filter(Files::isRegularFile).toList();
            pngs = all.stream().filter(p -> p.toString().endsWith(".png")).toList();
            for (Path m : all.stream().filter(p -> p.getFileName().toString().equals("metadata.jsonl")).toList()) {
                for (String line : Files.readAllLines(m)) {
                    JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                    Path png = m.resolveSibling(o.get("file_name").getAsString());
                    assertTrue(Files.isRegularFile(png), png.toString());
                    assertTrue(o.get("caption").getAsString().startsWith("a cat, "), line);
                    assertEquals("cat", o.getAsJsonObject("slots").get("animal").getAsString());
                    lines.add(line);
                }
            }
        }
        assertEquals(4, pngs.size(), "the ok images only");
        assertEquals(4, lines.size());
    }

    @Test
    void theExamplePlanRendersOnTheEmbeddedDefaultModel() {
        Path out = dir.resolve("example");
        JobSummary s = JobHarness.run("--plan", Path.of("..", "conf", "plans", "example.json").toString(),
                "--output", out.toString(), "--limit", "3", "--set", "diffusers4j.job.report.enabled=false");
        assertEquals(3, s.okImages());
        assertEquals(0, s.errorRows());
        for (Row r : JobHarness.rows(out)) {
            assertEquals(64, JobHarness.png(r).getWidth());
            assertEquals("EulerDiscreteScheduler", r.getAs("scheduler"));
            assertEquals("animals", r.getAs("template_id"));
        }
    }

    @Test
    void aBadPlanIsOneLineNamingTheFileAndKeyWithExit2BeforeSpark() throws Exception {
        Path p = plan("bad.json", "{\"templates\": [{\"id\": \"t\", \"prompt\": \"{nope}\"}]}");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int rc;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            rc = Main.commandLine().setErr(new PrintWriter(err, true))
                    .execute("job", "--plan", p.toString(), "--output", dir.resolve("out").toString());
        } finally {
            System.setErr(old);
        }
        assertEquals(2, rc);
        assertEquals("diffusers4j job: error: plan " + p + ": templates[0].prompt: slot {nope} is not defined in slots "
                + "(defined: none)", err.toString(StandardCharsets.UTF_8).strip());
        assertTrue(!Files.exists(dir.resolve("out")));
    }
}
