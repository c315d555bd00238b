// End-to-end Hub resolution against FakeHub: cache layout, offline hits, resume, revisions, variants, auth, errors,
// retries, checksums, cross-host redirects, path traversal, concurrent downloads, and the token never leaking.
package io.diffusers4j.hub;

import io.diffusers4j.weights.CheckpointFiles;
import io.diffusers4j.weights.SafetensorsFile;
import io.diffusers4j.weights.TensorSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static io.diffusers4j.hub.TinyRepo.COMMIT_MAIN;
import static io.diffusers4j.hub.TinyRepo.COMMIT_V1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HubDownloadTest {
    @TempDir
    Path tmp;
    FakeHub hub;
    Path cache;

    @BeforeEach
    void start() throws Exception {
        hub = TinyRepo.hub(0);
        cache = tmp.resolve("hub");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private HubOptions.Builder opts() {
        return HubOptions.builder().endpoint(hub.url()).cacheDir(cache)
                .environment(HubEnvironment.of(Map.of(), tmp.resolve("home")))
                .maxRetries(3).retryDelay(Duration.ofMillis(5), Duration.ofMillis(20));
    }

    private Path storage() {
        return cache.resolve("models--org--tiny");
    }

    private static List<String> listFiles(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    private static void assertContains(String message, String... fragments) {
        for (String f : fragments) {
            assertTrue(message.contains(f), "expected '" + f + "' in: " + message);
        }
    }

    @Test
    void downloadsWhatThePipelineNeedsInTheSharedCacheLayout() throws Exception {
        Path snap = ModelLocator.resolve("org/tiny", opts().build());
        assertEquals(storage().resolve("snapshots").resolve(COMMIT_MAIN), snap);
        assertEquals(COMMIT_MAIN, Files.readString(storage().resolve("refs/main")));
        assertEquals(List.of("model_index.json", "scheduler/scheduler_config.json", "text_encoder/config.json",
                "text_encoder/model.safetensors", "tokenizer/merges.txt", "tokenizer/special_tokens_map.json",
                "tokenizer/tokenizer_config.json", "tokenizer/vocab.json", "unet/config.json",
                "unet/diffusion_pytorch_model.safetensors", "vae/config.json",
                "vae/diffusion_pytorch_model-00001-of-00002.safetensors",
                "vae/diffusion_pytorch_model-00002-of-00002.safetensors",
                "vae/diffusion_pytorch_model.safetensors.index.json"), listFiles(snap));
        // pointers are relative symlinks to blobs named by etag: sha256 for LFS files, git sha1 otherwise
        Path unet = snap.resolve("unet/diffusion_pytorch_model.safetensors");
        assertTrue(Files.isSymbolicLink(unet));
        byte[] unetBytes = TinyRepo.files(0).get("unet/diffusion_pytorch_model.safetensors");
        assertEquals(Path.of("../../../blobs/" + FakeHub.sha256(unetBytes)), Files.readSymbolicLink(unet));
        byte[] mi = TinyRepo.fixture("model_index.json");
        assertArrayEquals(mi, Files.readAllBytes(storage().resolve("blobs").resolve(FakeHub.gitSha1(mi))));
        assertTrue(listFiles(storage().resolve("blobs")).stream().noneMatch(f -> f.endsWith(".incomplete")));
        assertEquals(0, hub.requests(null, "README.md").size());
        assertEquals(0, hub.requests(null, ".bin").size());
        assertEquals(0, hub.requests(null, ".fp16.").size());
        // the snapshot loads like any local folder
        try (TensorSource vae = CheckpointFiles.open(snap.resolve("vae"), "diffusion_pytorch_model", null, null);
             SafetensorsFile u = SafetensorsFile.open(unet)) {
            assertEquals(List.of("w", "v"), List.copyOf(vae.keys()));
            assertEquals(1f, u.bytes("w").getFloat(0));
        }
        // a second resolve asks only for the commit: everything is cached by commit hash
        int before = hub.requests.size();
        assertEquals(snap, ModelLocator.resolve("org/tiny", opts().build()));
        assertEquals(1, hub.requests.size() - before);
        assertEquals(1, hub.requests("GET", "/api/models/").size() - 1);
        // a local folder is returned as is
        assertEquals(snap, ModelLocator.resolve(snap.toString(), opts().build()));
    }

    @Test
    void offlineUsesTheCacheOrFailsClearly() throws Exception {
        HubException notCached = assertThrows(HubException.class,
                () -> ModelLocator.resolve("org/tiny", opts().localFilesOnly(true).build()));
        assertEquals(HubException.Kind.NOT_CACHED, notCached.kind());
        assertContains(notCached.getMessage(), "org/tiny", "localFilesOnly=true");
        HubOptions envOffline = opts().environment(HubEnvironment.of(Map.of("HF_HUB_OFFLINE", "1"), tmp)).build();
        assertContains(assertThrows(HubException.class, () -> ModelLocator.resolve("org/tiny", envOffline))
                .getMessage(), "HF_HUB_OFFLINE=1");
        assertEquals(0, hub.requests.size());

        Path snap = ModelLocator.resolve("org/tiny", opts().build());
        int before = hub.requests.size();
        assertEquals(snap, ModelLocator.resolve("org/tiny", opts().localFilesOnly(true).build()));
        assertEquals(snap, ModelLocator.resolve("org/tiny", envOffline));
        assertEquals(snap.resolve("unet/config.json"),
                new HubDownloader(envOffline).download("org/tiny", "unet/config.json"));
        assertEquals(before, hub.requests.size());
        // the fp16 weights were never downloaded: offline with variant=fp16 says so
        HubException incomplete = assertThrows(HubException.class,
                () -> ModelLocator.resolve("org/tiny", opts().localFilesOnly(true).variant("fp16").build()));
        assertEquals(HubException.Kind.NOT_CACHED, incomplete.kind());
        assertContains(incomplete.getMessage(), "incomplete", "variant 'fp16'");
        // the Hub going away (connection refused) falls back to the cached snapshot
        hub.close();
        assertEquals(snap, ModelLocator.resolve("org/tiny", opts().maxRetries(0).build()));
    }

    @Test
    void resumesATruncatedTransferWithRange() throws Exception {
        hub.close();
        hub = TinyRepo.hub(300_000); // a 1.2 MB unet file
        byte[] unet = TinyRepo.files(300_000).get("unet/diffusion_pytorch_model.safetensors");
        hub.dropAfter.put("unet/diffusion_pytorch_model.safetensors", 200_000);
        Path p = new HubDownloader(opts().build()).download("org/tiny", "unet/diffusion_pytorch_model.safetensors");
        assertArrayEquals(unet, Files.readAllBytes(p));
        List<FakeHub.Request> gets = hub.requests("GET", "unet/diffusion_pytorch_model.safetensors");
        assertEquals(2, gets.size());
        assertNull(gets.get(0).range());
        assertNotNull(gets.get(1).range());
        long resumedAt = Long.parseLong(gets.get(1).range().replaceAll("bytes=(\\d+)-", "$1"));
        assertTrue(resumedAt > 0 && resumedAt <= 200_000, gets.get(1).range());

        // a partial .incomplete left by an earlier (killed) process is resumed, not restarted
        byte[] te = TinyRepo.files(0).get("text_encoder/model.safetensors");
        Path blobs = storage().resolve("blobs");
        Files.write(blobs.resolve(FakeHub.sha256(te) + ".incomplete"), Arrays.copyOf(te, 50));
        Path tp = new HubDownloader(opts().build()).download("org/tiny", "text_encoder/model.safetensors");
        assertArrayEquals(te, Files.readAllBytes(tp));
        assertEquals("bytes=50-", hub.requests("GET", "text_encoder/model.safetensors").get(0).range());

        // a server that ignores Range restarts the file instead of appending the whole body
        byte[] vae = TinyRepo.files(0).get("vae/diffusion_pytorch_model-00001-of-00002.safetensors");
        Files.write(blobs.resolve(FakeHub.sha256(vae) + ".incomplete"), Arrays.copyOf(vae, 10));
        hub.ignoreRange = true;
        Path vp = new HubDownloader(opts().build()).download("org/tiny",
                "vae/diffusion_pytorch_model-00001-of-00002.safetensors");
        assertArrayEquals(vae, Files.readAllBytes(vp));
    }

    @Test
    void aStalledTransferTimesOutAndResumes() throws Exception {
        hub.close();
        hub = TinyRepo.hub(300_000);
        byte[] unet = TinyRepo.files(300_000).get("unet/diffusion_pytorch_model.safetensors");
        hub.stallOnceMs.put("unet/diffusion_pytorch_model.safetensors", 3000);
        long t0 = System.nanoTime();
        Path p = new HubDownloader(opts().readTimeout(Duration.ofMillis(200)).build())
                .download("org/tiny", "unet/diffusion_pytorch_model.safetensors");
        assertTrue(System.nanoTime() - t0 < 2_500_000_000L, "the stall was waited out instead of timed out");
        assertArrayEquals(unet, Files.readAllBytes(p));
        List<FakeHub.Request> gets = hub.requests("GET", "unet/diffusion_pytorch_model.safetensors");
        assertEquals(2, gets.size());
        assertNotNull(gets.get(1).range());
    }

    @Test
    void revisionsBranchesTagsCommitsAndPrRefs() throws Exception {
        HubDownloader d = new HubDownloader(opts().revision("v1").build());
        Path p = d.download("org/tiny", "unet/config.json");
        assertEquals(storage().resolve("snapshots/" + COMMIT_V1 + "/unet/config.json"), p);
        assertContains(Files.readString(p), "\"sample_size\": 8");
        assertEquals(COMMIT_V1, Files.readString(storage().resolve("refs/v1")));
        Path pr = new HubDownloader(opts().revision("refs/pr/1").build()).download("org/tiny", "unet/config.json");
        assertEquals(p, pr);
        assertEquals(COMMIT_V1, Files.readString(storage().resolve("refs/refs/pr/1")));
        assertTrue(hub.requests("HEAD", "/resolve/refs%2Fpr%2F1/unet/config.json").size() == 1);
        Path byCommit = new HubDownloader(opts().revision(COMMIT_MAIN).build()).download("org/tiny",
                "unet/config.json");
        assertEquals(storage().resolve("snapshots/" + COMMIT_MAIN + "/unet/config.json"), byCommit);
        assertArrayEquals(TinyRepo.fixture("unet/config.json"), Files.readAllBytes(byCommit));
        assertFalse(Files.exists(storage().resolve("refs/" + COMMIT_MAIN)));
        // the whole pipeline at a tag
        Path snap = ModelLocator.resolve("org/tiny", opts().revision("v1").build());
        assertEquals(storage().resolve("snapshots/" + COMMIT_V1), snap);
        HubException e = assertThrows(HubException.class,
                () -> ModelLocator.resolve("org/tiny", opts().revision("nope").build()));
        assertEquals(HubException.Kind.REVISION_NOT_FOUND, e.kind());
        assertContains(e.getMessage(), "'nope'");
    }

    @Test
    void variantSelectionPerComponent() throws Exception {
        Path snap = ModelLocator.resolve("org/tiny", opts().variant("fp16").build());
        List<String> files = listFiles(snap);
        assertTrue(files.contains("unet/diffusion_pytorch_model.fp16.safetensors"), files.toString());
        assertFalse(files.contains("unet/diffusion_pytorch_model.safetensors"), files.toString());
        assertTrue(files.contains("text_encoder/model.safetensors"), files.toString()); // no fp16: default weights
        try (TensorSource u = CheckpointFiles.open(snap.resolve("unet"), "diffusion_pytorch_model",
                CheckpointFiles.variantFor(snap.resolve("unet"), "fp16"), null)) {
            assertEquals(2f, ((SafetensorsFile) u).bytes("w").getFloat(0));
        }
        assertNull(CheckpointFiles.variantFor(snap.resolve("text_encoder"), "fp16"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelLocator.resolve("org/tiny", opts().variant("ema").build()));
        assertContains(e.getMessage(), "variant 'ema'");
        assertEquals(0, hub.requests(null, ".ema.").size());
        // useSafetensors=false would need pickle files: refused before any weight is fetched
        IllegalArgumentException pickle = assertThrows(IllegalArgumentException.class,
                () -> ModelLocator.resolve("org/tiny", opts().useSafetensors(false).build()));
        assertContains(pickle.getMessage(), "never unpickled");
        assertEquals(0, hub.requests(null, ".bin").size());
    }

    @Test
    void privateAndGatedReposNeedAToken() throws Exception {
        hub.repo("org/tiny").requiredToken = "hf_right";
        HubException noToken = assertThrows(HubException.class, () -> ModelLocator.resolve("org/tiny", opts().build()));
        assertEquals(HubException.Kind.REPO_NOT_FOUND, noToken.kind());
        assertEquals(401, noToken.status());
        assertContains(noToken.getMessage(), "org/tiny", "HF_TOKEN");
        assertFalse(noToken.getMessage().contains("\n"));
        HubException wrong = assertThrows(HubException.class,
                () -> new HubDownloader(opts().token("hf_wrong").build()).download("org/tiny", "unet/config.json"));
        assertEquals(401, wrong.status());
        assertContains(wrong.getMessage(), "HF_TOKEN", "refused");
        Path ok = ModelLocator.resolve("org/tiny", opts().token("hf_right").build());
        assertTrue(Files.isRegularFile(ok.resolve("unet/config.json")));
        // HF_TOKEN from the environment works the same
        HubOptions env = opts().environment(HubEnvironment.of(Map.of("HF_TOKEN", "hf_right"), tmp)).forceDownload(true)
                .build();
        assertEquals(ok, ModelLocator.resolve("org/tiny", env));

        hub.repo("org/tiny").gated = true;
        HubException gated = assertThrows(HubException.class,
                () -> new HubDownloader(opts().revision("v1").build()).download("org/tiny", "unet/config.json"));
        assertEquals(HubException.Kind.GATED, gated.kind());
        assertContains(gated.getMessage(), "gated", "HF_TOKEN");
    }

    @Test
    void missingFileRepoAndUnknownPaths() throws Exception {
        HubDownloader d = new HubDownloader(opts().build());
        HubException file = assertThrows(HubException.class, () -> d.download("org/tiny", "unet/nope.json"));
        assertEquals(HubException.Kind.ENTRY_NOT_FOUND, file.kind());
        assertContains(file.getMessage(), "unet/nope.json", "org/tiny", "'main'");
        // recorded like huggingface_hub does, so an offline look-up knows the file does not exist
        assertTrue(Files.isRegularFile(storage().resolve(".no_exist/" + COMMIT_MAIN + "/unet/nope.json")));
        HubException offline = assertThrows(HubException.class,
                () -> new HubDownloader(opts().localFilesOnly(true).build()).download("org/tiny", "unet/nope.json"));
        assertEquals(HubException.Kind.ENTRY_NOT_FOUND, offline.kind());
        HubException repo = assertThrows(HubException.class, () -> ModelLocator.resolve("org/absent", opts().build()));
        assertEquals(HubException.Kind.REPO_NOT_FOUND, repo.kind());
        assertContains(repo.getMessage(), "org/absent");
        IllegalArgumentException notId = assertThrows(IllegalArgumentException.class,
                () -> ModelLocator.resolve(tmp.resolve("no/such/dir").toString(), opts().build()));
        assertContains(notId.getMessage(), "not a local folder and not a valid Hub repo id");
    }

    @Test
    void retriesRateLimitsThenSucceeds() throws Exception {
        hub.failNext("/model_index.json", 429, 2);
        hub.failNext("/api/models/org/tiny/revision/main", 503, 1);
        Path snap = ModelLocator.resolve("org/tiny", opts().build());
        assertTrue(Files.isRegularFile(snap.resolve("model_index.json")));
        assertEquals(3, hub.requests("HEAD", "/model_index.json").size());
        assertEquals(2, hub.requests("GET", "/api/models/").size());
    }

    @Test
    void serverErrorsExhaustTheRetries() throws Exception {
        hub.failNext("/api/models/org/tiny/revision/main", 500, 100);
        long t0 = System.nanoTime();
        HubException e = assertThrows(HubException.class,
                () -> ModelLocator.resolve("org/tiny", opts().maxRetries(2).build()));
        assertEquals(HubException.Kind.SERVER_ERROR, e.kind());
        assertEquals(500, e.status());
        assertContains(e.getMessage(), "after 3 attempts", "no cached snapshot");
        assertEquals(3, hub.requests("GET", "/api/models/").size());
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L);
        // a blob transfer that keeps failing leaves no blob and no pointer
        hub.failNext("text_encoder/model.safetensors", 502, 100);
        HubException get = assertThrows(HubException.class, () -> new HubDownloader(opts().maxRetries(1).build())
                .download("org/tiny", "text_encoder/model.safetensors"));
        assertTrue(get.isTransient(), get.toString());
        assertFalse(Files.exists(storage().resolve("snapshots/" + COMMIT_MAIN + "/text_encoder/model.safetensors")));
    }

    @Test
    void checksumMismatchDeletesTheTransfer() throws Exception {
        byte[] real = TinyRepo.files(0).get("unet/diffusion_pytorch_model.safetensors");
        byte[] bad = real.clone();
        bad[bad.length - 1] ^= 1;
        hub.corrupt.put("unet/diffusion_pytorch_model.safetensors", bad);
        HubException e = assertThrows(HubException.class, () -> new HubDownloader(opts().build())
                .download("org/tiny", "unet/diffusion_pytorch_model.safetensors"));
        assertEquals(HubException.Kind.CHECKSUM_MISMATCH, e.kind());
        assertContains(e.getMessage(), FakeHub.sha256(real), FakeHub.sha256(bad));
        assertEquals(List.of(), listFiles(storage().resolve("blobs")));
        assertFalse(Files.exists(storage().resolve("snapshots/" + COMMIT_MAIN + "/unet")));
        hub.corrupt.clear();
        Path ok = new HubDownloader(opts().build()).download("org/tiny", "unet/diffusion_pytorch_model.safetensors");
        assertArrayEquals(real, Files.readAllBytes(ok));
    }

    @Test
    void redirectToAnotherHostIsFollowedWithoutTheToken() throws Exception {
        hub.lfsViaCdn = true;
        Path snap = ModelLocator.resolve("org/tiny", opts().token("hf_cdn_secret").build());
        byte[] unet = TinyRepo.files(0).get("unet/diffusion_pytorch_model.safetensors");
        assertArrayEquals(unet, Files.readAllBytes(snap.resolve("unet/diffusion_pytorch_model.safetensors")));
        List<FakeHub.Request> cdn = hub.requests.stream().filter(r -> r.server().equals("cdn")).toList();
        assertEquals(4, cdn.size(), cdn.toString()); // unet, text_encoder, 2 vae shards: the LFS files only
        assertTrue(cdn.stream().allMatch(r -> r.authorization() == null), cdn.toString());
        List<FakeHub.Request> main = hub.requests.stream().filter(r -> r.server().equals("main")).toList();
        assertTrue(main.stream().allMatch(r -> "Bearer hf_cdn_secret".equals(r.authorization())), main.toString());
    }

    @Test
    void namesThatEscapeTheSnapshotAreRefused() throws Exception {
        HubDownloader d = new HubDownloader(opts().build());
        for (String bad : new String[] {"../evil.json", "/etc/passwd", "unet/../../x", "a\\b.json", "./x", "a//b",
                ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.download("org/tiny", bad));
            assertContains(e.getMessage(), "invalid repo file name");
        }
        assertThrows(IllegalArgumentException.class, () -> d.download("../x", "a.json"));
        assertThrows(IllegalArgumentException.class, () -> d.download("org/tiny", "a.json", "../../x"));
        // a listing carrying an escaping name is refused as a whole
        hub.repo("org/tiny").extraListing.add("tokenizer/../../../../evil.json");
        IllegalArgumentException listing = assertThrows(IllegalArgumentException.class,
                () -> ModelLocator.resolve("org/tiny", opts().build()));
        assertContains(listing.getMessage(), "evil.json");
        hub.repo("org/tiny").extraListing.clear();
        // an ETag that would escape the blobs folder
        hub.badEtag.put("unet/config.json", "\"../../../evil\"");
        HubException etag = assertThrows(HubException.class, () -> d.download("org/tiny", "unet/config.json"));
        assertEquals(HubException.Kind.BAD_RESPONSE, etag.kind());
        try (Stream<Path> all = Files.walk(tmp)) {
            assertTrue(all.noneMatch(p -> p.getFileName().toString().contains("evil")));
        }
    }

    @Test
    void concurrentDownloadsOfOneFileShareOneTransfer() throws Exception {
        hub.close();
        hub = TinyRepo.hub(500_000); // 2 MB
        hub.bodyDelayMs = 5;
        byte[] unet = TinyRepo.files(500_000).get("unet/diffusion_pytorch_model.safetensors");
        CyclicBarrier barrier = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                results.add(pool.submit(() -> {
                    barrier.await();
                    return new HubDownloader(opts().build()).download("org/tiny",
                            "unet/diffusion_pytorch_model.safetensors");
                }));
            }
            Path a = results.get(0).get();
            Path b = results.get(1).get();
            assertEquals(a, b);
            assertArrayEquals(unet, Files.readAllBytes(a));
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, hub.blobGets.get());
        assertEquals(List.of(FakeHub.sha256(unet)), listFiles(storage().resolve("blobs")));
    }

    @Test
    void theTokenNeverAppearsInMessagesLogsOrToString() throws Exception {
        String token = "hf_SuperSecretToken_4242";
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldErr = System.err;
        StringBuilder seen = new StringBuilder();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            HubOptions viaOption = opts().token(token).build();
            HubOptions viaEnv = opts().environment(HubEnvironment.of(Map.of("HF_TOKEN", token), tmp)).build();
            seen.append(viaOption).append(viaEnv).append(viaEnv.environment());
            hub.repo("org/tiny").requiredToken = "hf_other";
            for (HubOptions o : List.of(viaOption, viaEnv)) {
                collect(seen, () -> ModelLocator.resolve("org/tiny", o));
                collect(seen, () -> new HubDownloader(o).download("org/tiny", "unet/config.json"));
            }
            hub.repo("org/tiny").requiredToken = token;
            collect(seen, () -> new HubDownloader(viaOption).download("org/tiny", "nope.json"));
            hub.failNext("/api/models/org/tiny/revision/main", 500, 100);
            collect(seen, () -> ModelLocator.resolve("org/tiny", viaEnv));
            hub.corrupt.put("text_encoder/model.safetensors", new byte[6]);
            hub.failNext("/vae/config.json", 429, 100);
            collect(seen, () -> new HubDownloader(viaEnv).download("org/tiny", "text_encoder/model.safetensors"));
            collect(seen, () -> new HubDownloader(viaEnv).download("org/tiny", "vae/config.json"));
            collect(seen, () -> ModelLocator.resolve("org/tiny", viaEnv.toBuilder().localFilesOnly(true).build()));
            hub.close();
            collect(seen, () -> new HubDownloader(viaOption.toBuilder().maxRetries(0).build())
                    .download("org/tiny", "scheduler/scheduler_config.json"));
        } finally {
            System.setErr(oldErr);
        }
        assertTrue(seen.length() > 500, seen.toString()); // the failures really happened
        assertContains(seen.toString(), "<set>", "HubException");
        assertFalse(seen.toString().contains(token), seen.toString());
        assertFalse(err.toString(StandardCharsets.UTF_8).contains(token));
        assertFalse(seen.toString().contains("SuperSecret"));
    }

    private static void collect(StringBuilder seen, org.junit.jupiter.api.function.Executable call) {
        try {
            call.execute();
            seen.append("[no failure]");
        } catch (Throwable t) {
            for (Throwable c = t; c != null; c = c.getCause()) {
                seen.append(c).append('\n');
                StringWriter sw = new StringWriter();
                c.printStackTrace(new PrintWriter(sw));
                seen.append(sw);
            }
        }
    }
}
