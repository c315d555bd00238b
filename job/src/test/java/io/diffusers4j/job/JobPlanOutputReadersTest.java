// The output read by other tools: parquet-hadoop's own reader (struct image, INT64 timestamps, the datasets
// features in the footer) and, where a Python with `datasets` exists, load_dataset itself.
package io.diffusers4j.job;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.image.Png;
import io.diffusers4j.job.output.HfWriteSupport;
import io.diffusers4j.job.rows.OutputSchema;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.FileMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobPlanOutputReadersTest {
    @TempDir
    static java.nio.file.Path dir;
    private static java.nio.file.Path out;

    @BeforeAll
    static void render() throws IOException {
        java.nio.file.Path plan = Files.writeString(dir.resolve("p.json"), "{\"templates\": [{\"id\": \"t\", "
                + "\"prompt\": \"a {x}\"}], \"slots\": {\"x\": [\"cat\", \"dog\", \"[poison] owl\"]}}");
        out = dir.resolve("out");
        JobHarness.run("--plan", plan.toString(), "--output", out.toString(), "--set",
                "diffusers4j.job.renderer=" + FakeRenderer.FACTORY, "--set", "diffusers4j.job.report.enabled=false");
    }

    private static List<java.nio.file.Path> parquetFiles() throws IOException {
        try (Stream<java.nio.file.Path> files = Files.list(out)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
        }
    }

    @Test
    void parquetHadoopReadsTheImageStructTimestampsAndFooterFeatures() throws IOException {
        Configuration conf = new Configuration();
        int ok = 0;
        int errors = 0;
        for (java.nio.file.Path file : parquetFiles()) {
            try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(file.toString()),
                    conf))) {
                FileMetaData meta = reader.getFooter().getFileMetaData();
                MessageType schema = meta.getSchema();
                PrimitiveType created = schema.getType("created_at").asPrimitiveType();
                assertEquals(PrimitiveType.PrimitiveTypeName.INT64, created.getPrimitiveTypeName(), "not INT96");
                assertEquals(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MICROS),
                        created.getLogicalTypeAnnotation());
                GroupType image = schema.getType("image").asGroupType();
                assertEquals(List.of("bytes", "path"), image.getFields().stream().map(f -> f.getName()).toList());
                JsonObject features = JsonParser.parseString(meta.getKeyValueMetaData().get(HfWriteSupport.FOOTER_KEY))
                        .getAsJsonObject().getAsJsonObject("info").getAsJsonObject("features");
                assertEquals("Image", features.getAsJsonObject("image").get("_type").getAsString());
                assertEquals("timestamp[us, tz=UTC]", features.getAsJsonObject("created_at").get("dtype")
                        .getAsString());
                assertEquals(OutputSchema.COLUMNS, List.copyOf(features.keySet()), "every column, in file order");
            }
            try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(),
                    new Path(file.toString())).withConf(conf).build()) {
                for (Group g = reader.read(); g != null; g = reader.read()) {
                    if (g.getString("status", 0).equals("ok")) {
                        Group image = g.getGroup("image", 0);
                        byte[] png = image.getBinary("bytes", 0).getBytes();
                        assertEquals(g.getString("id", 0) + "-0.png", image.getString("path", 0));
                        assertEquals(g.getString("caption", 0), Png.read(png).text().get("prompt"));
                        assertEquals("t", g.getString("template_id", 0));
                        ok++;
                    } else {
                        assertEquals(0, g.getFieldRepetitionCount("image"), "an error row has no image");
                        errors++;
                    }
                }
            }
        }
        assertEquals(2, ok);
        assertEquals(1, errors);
    }

    @Test
    void theDatasetCardDeclaresEveryColumnsFeature() throws IOException {
        String card = Files.readString(out.resolve("README.md"));
        assertTrue(card.startsWith("---\n"), card);
        for (String column : OutputSchema.COLUMNS) {
            assertTrue(card.contains("  - name: " + column + "\n"), column);
        }
        assertTrue(card.contains("    path: \"*.parquet\"\n"), card);
        assertTrue(card.contains("    dtype: \"timestamp[us, tz=UTC]\"\n"), card);
        assertTrue(card.contains("  - name: timesteps\n    sequence: float64\n"), card);
    }

    /** Runs only where a Python with datasets and Pillow exists; otherwise skipped, saying so. */
    @Test
    void huggingFaceDatasetsLoadsPilImagesWithoutACast() throws Exception {
        String python = System.getenv().getOrDefault("DIFFUSERS4J_PYTHON", "python3");
        boolean available;
        try {
            Process p = new ProcessBuilder(python, "-c", "import datasets, PIL, pyarrow").redirectErrorStream(true)
                    .start();
            available = p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            available = false;
        }
        if (!available) {
            String why = "SKIPPED: no Python with datasets, Pillow and pyarrow (" + python + "; set DIFFUSERS4J_PYTHON)"
                    + ": datasets.load_dataset was not run on the job's output";
            System.err.println(why);
            Assumptions.abort(why);
        }
        String script = String.join("\n",
                "import glob, sys, PIL.Image, pyarrow.parquet as pq",
                "from datasets import load_dataset",
                "out = sys.argv[1]",
                "files = sorted(glob.glob(out + '/*.parquet'))",
                "for ds in (load_dataset('parquet', data_files=files, split='train'),",
                "           load_dataset(out, split='train')):",
                "    ok = [r for r in ds if r['status'] == 'ok']",
                "    assert len(ok) == 2, len(ok)",
                "    assert all(isinstance(r['image'], PIL.Image.Image) for r in ok), type(ok[0]['image'])",
                "    assert all(r['caption'].startswith('a ') for r in ok)",
                "t = pq.read_table(files)",
                "assert t.num_rows == 3",
                "print('datasets ok')");
        java.nio.file.Path py = Files.writeString(dir.resolve("read.py"), script);
        Process p = new ProcessBuilder(python, py.toString(), out.toString()).redirectErrorStream(true).start();
        boolean done = p.waitFor(600, TimeUnit.SECONDS);
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(done, "load_dataset timed out");
        assertEquals(0, p.exitValue(), output);
        assertFalse(output.isBlank());
    }
}
