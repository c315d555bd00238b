// HF_TOKEN never reaches the job's logs, exceptions, Parquet data or metadata, or its report.
package io.diffusers4j.job;

import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A driver JVM ({@code JobMain}, local mode) runs with {@code HF_TOKEN} in its environment and the token also
 * given as a Spark property; one row makes the renderer throw a message quoting the token (as a library error
 * quoting a URL with credentials might). Afterwards the token must appear in none of: the driver's stdout (the
 * run summary / report) and stderr (logs), the error column or any other value of the Parquet output, the
 * Parquet footers' key-value metadata, or any file under the output folder (reports included) or the run's
 * folder. The error row keeps its message, with the token replaced by "***".
 */
class JobSecretsTest {
    @TempDir
    Path dir;

    @Test
    void theHubTokenAppearsNowhere() throws Exception {
        String token = "hf_SecretsTest" + Long.toHexString(System.nanoTime()) + "Zq";
        Path in = JobHarness.write(dir, "p.jsonl",
                "{\"id\": \"ok1\", \"prompt\": \"a cat\", \"seed\": 1}",
                "{\"id\": \"leak\", \"prompt\": \"a dog [leak]\", \"seed\": 2}",
                "{\"id\": \"bad\", \"prompt\": \"x\", \"seed\": \"nope\"}",
                "{\"id\": \"ok2\", \"prompt\": \"a bird\", \"seed\": 3}");
        Path out = dir.resolve("out");
        Path log = dir.resolve("driver.log");
        Process p = DriverProcess.start(List.of("--master", "local[2]", "--prompts", in.toString(), "--output",
                out.toString(), "--set", "diffusers4j.job.renderer=" + FakeRenderer.FACTORY,
                "--spark-conf", "spark.executorEnv.HF_TOKEN=" + token), List.of(), Map.of("HF_TOKEN", token), log);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), DriverProcess.log(log));
        String console = DriverProcess.log(log);
        assertEquals(0, p.exitValue(), console);
        assertTrue(console.contains("ok images: 2, error rows: 2"), console);
        assertFalse(console.contains(token), "token in the driver's output:\n" + console);

        List<Row> rows = JobHarness.rows(out);
        assertEquals(4, rows.size());
        Row leak = JobFormatsTest.find(rows, "leak", 0);
        String why = leak.getAs("error");
        assertTrue(why.contains("Bearer ***") && why.contains("user:***@"), why);
        for (Row r : rows) {
            for (int i = 0; i < r.length(); i++) {
                Object v = r.get(i);
                if (v instanceof String s) {
                    assertFalse(s.contains(token), r.schema().fields()[i].name() + " of " + r.getAs("id"));
                }
            }
        }
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.filter(Files::isRegularFile).forEach(files::add);
        }
        int footers = 0;
        for (Path f : files) {
            String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
            assertFalse(bytes.contains(token), "token in " + f);
            if (f.getFileName().toString().endsWith(".parquet")) {
                try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(
                        new org.apache.hadoop.fs.Path(f.toUri()), new Configuration()))) {
                    Map<String, String> kv = r.getFooter().getFileMetaData().getKeyValueMetaData();
                    assertFalse(kv.isEmpty());
                    kv.forEach((k, v) -> assertFalse(k.contains(token) || v.contains(token), "footer key " + k));
                    footers++;
                }
            }
        }
        assertTrue(footers > 0, "parquet footers were checked: " + files);
        // the run report (with its error rows and settings) was among the files scanned
        assertTrue(files.contains(out.resolve("_report").resolve("index.html")), "run report written: " + files);
    }
}
