// Hub failure modes beyond HubDownloadTest: which statuses are retried (with growing, capped backoff) and which are
// not; two JVMs downloading one file into one cache; a downloader killed mid-transfer.
package io.diffusers4j.hub;

import io.diffusers4j.config.ModelIndex;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HubFailureModesTest {
    private static final String UNET = "unet/diffusion_pytorch_model.safetensors";

    @TempDir
    Path tmp;
    FakeHub hub;

    @BeforeEach
    void start() throws Exception {
        hub = TinyRepo.hub(0);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private HubOptions.Builder opts() {
        return HubOptions.builder().endpoint(hub.url()).cacheDir(tmp.resolve("hub"))
                .environment(HubEnvironment.of(Map.of(), tmp.resolve("home")))
                .maxRetries(3).retryDelay(Duration.ofMillis(40), Duration.ofSeconds(2));
    }

    private static void assertContains(String message, String... fragments) {
        for (String f : fragments) {
            assertTrue(message.contains(f), "expected '" + f + "' in: " + message);
        }
    }

    @Test
    void clientErrorsFailAtOnceWithAClearMessage() {
        Object[][] cases = {
            {401, HubException.Kind.UNAUTHORIZED, new String[] {"401", "HF_TOKEN"}},
            {403, HubException.Kind.FORBIDDEN, new String[] {"403", "private or gated", "HF_TOKEN"}},
            {404, HubException.Kind.NOT_FOUND, new String[] {"404", "does not exist"}},
            {400, HubException.Kind.BAD_RESPONSE, new String[] {"400"}},
        };
        for (Object[] c : cases) {
            int status = (int) c[0];
            int before = hub.requests.size();
            hub.failNext("/unet/config.json", status, 10);
            HubException e = assertThrows(HubException.class,
                    () -> new HubDownloader(opts().build()).download("org/tiny", "unet/config.json"));
            assertEquals(c[1], e.kind(), e.getMessage());
            assertEquals(status, e.status());
            assertContains(e.getMessage(), (String[]) c[2]);
            assertContains(e.getMessage(), "unet/config.json", "org/tiny");
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertFalse(e.isTransient(), status + " is not worth retrying");
            assertEquals(1, hub.requests.size() - before, status + " was not retried");
            hub.failures.clear();
        }
    }

    @Test
    void serverErrorsAndRateLimitsBackOffExponentiallyAndHonourRetryAfterUpToTheCap() throws Exception {
        // 503 three times, no Retry-After: waits of about 40, 80, 160 ms, then success
        hub.retryAfter = null;
        hub.failNext("/unet/config.json", 503, 3);
        new HubDownloader(opts().build()).download("org/tiny", "unet/config.json");
        List<Long> gaps = gaps(hub.requests("HEAD", "/unet/config.json"));
        assertEquals(3, gaps.size(), gaps.toString());
        for (int i = 0; i < 3; i++) {
            long nominal = 40L << i;
            assertTrue(gaps.get(i) >= nominal * 9 / 10 && gaps.get(i) < nominal + 1500, "gap " + i + ": " + gaps);
        }
        assertTrue(gaps.get(2) > gaps.get(0), "the backoff grows: " + gaps);

        // 429 with Retry-After: 1 second is honoured ...
        hub.retryAfter = "1";
        hub.failNext("/vae/config.json", 429, 1);
        new HubDownloader(opts().build()).download("org/tiny", "vae/config.json");
        long waited = gaps(hub.requests("HEAD", "/vae/config.json")).get(0);
        assertTrue(waited >= 950 && waited < 2500, waited + " ms");
        // ... but never beyond the configured maximum delay
        hub.retryAfter = "3600";
        hub.failNext("/text_encoder/config.json", 429, 1);
        new HubDownloader(opts().retryDelay(Duration.ofMillis(40), Duration.ofMillis(300)).build())
                .download("org/tiny", "text_encoder/config.json");
        waited = gaps(hub.requests("HEAD", "/text_encoder/config.json")).get(0);
        assertTrue(waited >= 270 && waited < 1500, waited + " ms");

        // a rate limit that never ends gives up after maxRetries + 1 attempts, saying so
        hub.retryAfter = "0";
        hub.failNext("/scheduler/scheduler_config.json", 429, 100);
        HubException e = assertThrows(HubException.class, () -> new HubDownloader(opts().maxRetries(2).build())
                .download("org/tiny", "scheduler/scheduler_config.json"));
        assertEquals(HubException.Kind.RATE_LIMITED, e.kind());
        assertTrue(e.isTransient());
        assertContains(e.getMessage(), "429", "after 3 attempts");
        assertEquals(3, hub.requests("HEAD", "/scheduler/scheduler_config.json").size());
    }

    private static List<Long> gaps(List<FakeHub.Request> rs) {
        List<Long> out = new ArrayList<>();
        for (int i = 1; i < rs.size(); i++) {
            out.add((rs.get(i).nanos() - rs.get(i - 1).nanos()) / 1_000_000);
        }
        return out;
    }

    @Test
    void twoJvmsDownloadingOneFileMakeOneTransferAndNoTornBlob() throws Exception {
        hub.close();
        hub = TinyRepo.hub(500_000); // 2 MB
        hub.bodyDelayMs = 60; // ~32 chunks: about 2 s
        byte[] expected = TinyRepo.files(500_000).get(UNET);
        Path blobs = tmp.resolve("hub/models--org--tiny/blobs");
        AtomicBoolean torn = new AtomicBoolean();
        AtomicBoolean watching = new AtomicBoolean(true);
        Thread watcher = new Thread(() -> {
            // any visible blob (not *.incomplete) must be complete and correct at every instant
            while (watching.get()) {
                try (Stream<Path> s = Files.exists(blobs) ? Files.list(blobs) : Stream.empty()) {
                    for (Path p : (Iterable<Path>) s::iterator) {
                        if (!p.getFileName().toString().endsWith(".incomplete")
                                && !Arrays.equals(expected, Files.readAllBytes(p))) {
                            torn.set(true);
                        }
                    }
                } catch (IOException e) {
                    // listed while renamed: look again
                }
            }
        });
        watcher.start();
        Path log = tmp.resolve("child.log");
        Process child = child(UNET, log);
        try {
            waitFor(() -> !hub.requests("GET", UNET).isEmpty(), child, log);
            Path mine = new HubDownloader(opts().build()).download("org/tiny", UNET); // waits on the lock
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, child.exitValue(), Files.readString(log));
            assertTrue(Files.readString(log).contains("DONE " + mine), Files.readString(log));
            assertArrayEquals(expected, Files.readAllBytes(mine));
        } finally {
            child.destroyForcibly();
            watching.set(false);
            watcher.join();
        }
        assertFalse(torn.get(), "a reader saw a partial blob");
        assertEquals(1, hub.blobGets.get(), "one transfer for two processes");
        try (Stream<Path> s = Files.list(blobs)) {
            assertEquals(List.of(sha256(expected)), s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void aDownloaderKilledMidTransferLeavesNoBlobAndTheNextOneResumes() throws Exception {
        hub.close();
        hub = TinyRepo.hub(500_000);
        hub.bodyDelayMs = 60;
        byte[] expected = TinyRepo.files(500_000).get(UNET);
        Path partial = tmp.resolve("hub/models--org--tiny/blobs/" + sha256(expected) + ".incomplete");
        Path log = tmp.resolve("child.log");
        Process child = child(UNET, log);
        try {
            waitFor(() -> sizeOf(partial) > 300_000, child, log);
            child.destroyForcibly(); // SIGKILL mid-transfer, holding the download lock
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        } finally {
            child.destroyForcibly();
        }
        long kept = sizeOf(partial);
        assertTrue(kept > 300_000 && kept < expected.length, kept + " bytes");
        assertFalse(Files.exists(partial.resolveSibling(sha256(expected))), "no blob from a killed transfer");
        assertFalse(Files.exists(tmp.resolve("hub/models--org--tiny/snapshots/" + TinyRepo.COMMIT_MAIN + "/"
                + UNET)), "no pointer to a missing blob");
        hub.bodyDelayMs = 0;
        Path p = new HubDownloader(opts().build()).download("org/tiny", UNET); // the OS released the lock
        assertArrayEquals(expected, Files.readAllBytes(p));
        List<FakeHub.Request> gets = hub.requests("GET", UNET);
        assertEquals("bytes=" + kept + "-", gets.get(gets.size() - 1).range(), "resumed where the killed one stopped");
        assertFalse(Files.exists(partial));
    }

    @Test
    void codeInARepoIsNeverSelectedForDownload() {
        ModelIndex index = ModelIndex.load(Fixtures.tinySd());
        List<String> repo = new ArrayList<>(TinyRepo.files(0).keySet());
        repo.addAll(List.of("pipeline_evil.py", "scheduler/scheduling_evil.py", "tokenizer/tokenization_evil.py",
                "unet/modeling_evil.py", "tokenizer/native.so", "scheduler/__pycache__/x.pyc"));
        List<String> selected = PipelineFiles.select(index, repo, null, null);
        assertTrue(selected.contains("scheduler/scheduler_config.json") && selected.contains("tokenizer/vocab.json"),
                selected.toString());
        assertTrue(selected.stream().noneMatch(f -> f.endsWith(".py") || f.endsWith(".so") || f.endsWith(".pyc")),
                selected.toString());
    }

    private Process child(String file, Path log) throws IOException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-XX:TieredStopAtLevel=1", "-cp", cp.replace(File.pathSeparator + File.pathSeparator,
                        File.pathSeparator), HubDownloadChild.class.getName(), hub.url(),
                tmp.resolve("hub").toString(), tmp.resolve("home").toString(), "org/tiny", file);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void waitFor(BooleanSupplier condition, Process child, Path log)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertTrue(child.isAlive(), "child ended early: " + Files.readString(log, StandardCharsets.UTF_8));
            assertTrue(System.nanoTime() < deadline, "timed out: " + Files.readString(log, StandardCharsets.UTF_8));
            Thread.sleep(10);
        }
    }

    private static long sizeOf(Path p) {
        try {
            return Files.exists(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
