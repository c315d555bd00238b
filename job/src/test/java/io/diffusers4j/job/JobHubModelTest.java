// `diffusers4j job --model ORG/NAME` as its own driver JVM against a Hub on 127.0.0.1: unreachable, or pinned.
package io.diffusers4j.job;

import io.diffusers4j.hub.FakeHub;
import io.diffusers4j.image.GenerationMetadata;
import io.diffusers4j.image.Png;
import io.diffusers4j.job.rows.OutputSchema;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Hub settings come from the environment of the driver JVM ({@code HF_ENDPOINT}, {@code HF_HUB_CACHE}), as a
 * user sets them; the Hub is a closed port or a {@link FakeHub} on 127.0.0.1, never the internet.
 */
class JobHubModelTest {
    private static final String REPO = "org/tiny-sd";
    private static final String COMMIT = "e".repeat(40);

    @TempDir
    Path tmp;

    private Process job(String endpoint, Path output, Path log) {
        Path prompts = JobHarness.write(tmp, "prompts.txt", "a cat", "a dog");
        return DriverProcess.start(List.of("--prompts", prompts.toString(), "--output", output.toString(),
                "--model", REPO, "--master", "local[2]", "--steps", "1", "--width", "32", "--height", "32"),
                List.of(), Map.of("HF_ENDPOINT", endpoint, "HF_HUB_CACHE", tmp.resolve("hub").toString(),
                        "HF_HOME", tmp.resolve("hf-home").toString()), log);
    }

    @Test
    void anUnreachableHubEndsTheJobOnTheDriverWithGeneratesMessageAndExitCode2() throws Exception {
        String endpoint;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            endpoint = "http://127.0.0.1:" + socket.getLocalPort(); // closed when the job starts
        }
        Path output = tmp.resolve("out");
        Path log = tmp.resolve("driver.log");
        Process driver = job(endpoint, output, log);
        assertTrue(driver.waitFor(4, TimeUnit.MINUTES), DriverProcess.log(log));
        String text = DriverProcess.log(log);
        assertEquals(2, driver.exitValue(), text);
        List<String> lines = text.lines().filter(l -> l.startsWith("diffusers4j job:")).toList();
        assertEquals(1, lines.size(), text);
        String line = lines.get(0);
        assertTrue(line.startsWith("diffusers4j job: error: repo '" + REPO + "' at revision 'main': cannot reach "
                + "127.0.0.1") && line.endsWith("; and no cached snapshot in " + tmp.resolve("hub")), line);
        assertFalse(text.contains("UnresolvedAddressException"), text);
        assertFalse(Files.exists(output), "nothing written: refused before Spark started");
    }

    @Test
    void theExecutorsRenderTheCommitTheDriverResolvedWithoutAskingTheHubAgain() throws Exception {
        try (FakeHub hub = new FakeHub()) {
            hub.repo(REPO).commit(COMMIT, DriverModelTest.tinySdFiles(), "main");
            Path output = tmp.resolve("out");
            Path log = tmp.resolve("driver.log");
            Process driver = job(hub.url(), output, log);
            assertTrue(driver.waitFor(4, TimeUnit.MINUTES), DriverProcess.log(log));
            assertEquals(0, driver.exitValue(), DriverProcess.log(log));
            List<Row> rows = JobHarness.rows(output);
            assertEquals(2, rows.size());
            for (Row r : rows) {
                assertEquals("ok", r.getAs("status"), r.toString());
                assertEquals(REPO, r.getAs("model"));
                byte[] png = OutputSchema.png(r.getAs("image"));
                assertEquals(COMMIT, GenerationMetadata.fromPngText(Png.read(png).text()).revision(),
                        "the commit is recorded in the image's parameters");
            }
            assertEquals(1, hub.requests("GET", "/api/models/").size(), "the driver resolved the revision once");
            assertEquals(1, hub.requests("GET", "unet/diffusion_pytorch_model.safetensors").size(),
                    "the weights were downloaded once");
        }
    }
}
