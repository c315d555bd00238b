// The job's Hub model resolved on the driver against a fake Hub on 127.0.0.1: checked, pinned, or one line.
package io.diffusers4j.job;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.hub.FakeHub;
import io.diffusers4j.hub.HubEnvironment;
import io.diffusers4j.hub.HubOptions;
import io.diffusers4j.job.render.PipelineSpec;
import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DriverModelTest {
    private static final String REPO = "org/tiny-sd";
    private static final String FIRST = "c".repeat(40);
    private static final String SECOND = "d".repeat(40);

    @TempDir
    Path tmp;
    private FakeHub hub;

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub();
        hub.repo(REPO).commit(FIRST, tinySdFiles(), "main");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    /** The tiny-sd fixture's files, as a repo holds them. */
    static Map<String, byte[]> tinySdFiles() throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (Stream<Path> walk = Files.walk(Fixtures.tinySd())) {
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                String rel = Fixtures.tinySd().relativize(p).toString().replace('\\', '/');
                if (!rel.startsWith("expected") && !rel.equals("README.md")) {
                    files.put(rel, Files.readAllBytes(p));
                }
            }
        }
        return files;
    }

    private HubOptions hubAt(String endpoint) {
        return HubOptions.builder().endpoint(endpoint).cacheDir(tmp.resolve("hub"))
                .environment(HubEnvironment.of(Map.of(), tmp.resolve("home")))
                .maxRetries(1).retryDelay(Duration.ofMillis(5), Duration.ofMillis(10)).build();
    }

    private static PipelineSpec spec(String model) {
        return PipelineSpec.embeddedDefault().withModel(model);
    }

    private static String closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }
    }

    @Test
    void anUnreachableHubWithNothingCachedIsOneLineOnTheDriver() throws Exception {
        HubOptions unreachable = hubAt(closedPort());
        for (boolean sharedDisk : new boolean[] {true, false}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DriverModel.prepare(spec(REPO), sharedDisk, unreachable));
            String message = e.getMessage();
            assertTrue(message.startsWith("repo '" + REPO + "' at revision 'main': cannot reach 127.0.0.1")
                    && message.contains("and no cached snapshot in " + tmp.resolve("hub")), message);
            assertEquals(1, message.lines().count(), message);
        }
    }

    @Test
    void onAClusterTheDriverReadsConfigsOnlyAndPinsTheExecutorsToTheCommit() throws Exception {
        PipelineSpec pinned = DriverModel.prepare(spec(REPO), false, hubAt(hub.url()));
        assertEquals(FIRST, pinned.revision());
        assertFalse(pinned.options().containsKey("local-files-only"), "executors download into their own cache");
        assertTrue(hub.requests("GET", "model_index.json").size() == 1
                && hub.requests("GET", "unet/config.json").size() == 1, "configs fetched");
        assertTrue(hub.requests("GET", ".safetensors").isEmpty(), "no weights on the driver");

        // the branch moves while the job runs: an executor (its own cache) still renders the commit the driver saw
        hub.repo(REPO).commit(SECOND, tinySdFiles(), "main");
        HubOptions executorCache = HubOptions.builder().endpoint(hub.url()).cacheDir(tmp.resolve("executor-hub"))
                .environment(HubEnvironment.of(Map.of(), tmp.resolve("home"))).build();
        Path executorSnapshot = DiffusionPipeline.resolve(REPO, new PipelineOptions().revision(pinned.revision())
                .hubOptions(executorCache));
        assertEquals(FIRST, executorSnapshot.getFileName().toString());
        assertTrue(Files.isRegularFile(executorSnapshot.resolve("unet/diffusion_pytorch_model.safetensors")));
    }

    @Test
    void locallyTheDriverDownloadsOnceAndTheExecutorsLoadWithoutTheHub() throws Exception {
        PipelineSpec pinned = DriverModel.prepare(spec(REPO), true, hubAt(hub.url()));
        assertEquals(FIRST, pinned.revision());
        assertEquals("true", pinned.options().get("local-files-only"));
        hub.close(); // the executors never ask the Hub
        PipelineOptions executor = new PipelineOptions().revision(pinned.revision()).localFilesOnly(true)
                .hubOptions(hubAt(closedPort()));
        try (DiffusionPipeline loaded = DiffusionPipeline.fromPretrained(REPO, executor)) {
            assertEquals("StableDiffusionPipeline", loaded.className());
        }
        // the Hub unreachable at the next run: the driver uses the cached snapshot of the revision
        assertEquals(FIRST, DriverModel.prepare(spec(REPO), true, hubAt(closedPort())).revision());
    }

    @Test
    void aBrokenConfigInTheRepoIsRefusedOnTheDriverWithoutItsWeights() throws Exception {
        Map<String, byte[]> files = tinySdFiles();
        JsonObject unet = JsonParser.parseString(new String(files.get("unet/config.json"), StandardCharsets.UTF_8))
                .getAsJsonObject();
        unet.addProperty("cross_attention_dim", 12.5);
        files.put("unet/config.json", unet.toString().getBytes(StandardCharsets.UTF_8));
        hub.repo(REPO).commit(SECOND, files, "main");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DriverModel.prepare(spec(REPO), false, hubAt(hub.url())));
        assertTrue(e.getMessage().contains("unet/config.json") && e.getMessage().contains("cross_attention_dim"),
                e.getMessage());
        assertTrue(hub.requests("GET", ".safetensors").isEmpty());
    }

    @Test
    void localFoldersAndTheEmbeddedModelAreLeftAsTheyAre() {
        PipelineSpec folder = spec(Fixtures.tinySd().toString());
        assertEquals(folder, DriverModel.prepare(folder, true, null));
        assertNull(DriverModel.prepare(PipelineSpec.embeddedDefault(), true, null).revision());
    }

    /** The tiny TAESD of the pipeline-core test resources ({@code reference-tiny-vae/tiny-taesd}). */
    static Path tinyTaesd() {
        return Fixtures.referenceTinyVae().resolve("tiny-taesd");
    }

    @Test
    void theVaeIsCheckedOnTheDriverAsOneLine() throws Exception {
        PipelineSpec ok = spec(Fixtures.tinySd().toString()).withOption("vae", tinyTaesd().toString());
        assertEquals(ok, DriverModel.prepare(ok, true, null));
        PipelineSpec embedded = PipelineSpec.embeddedDefault().withOption("vae", tinyTaesd().toString());
        assertEquals(embedded, DriverModel.prepare(embedded, true, null));

        Path notVae = Files.createDirectories(tmp.resolve("not-a-vae"));
        Files.copy(Fixtures.tinySd().resolve("unet/config.json"), notVae.resolve("config.json"));
        PipelineSpec bad = spec(Fixtures.tinySd().toString()).withOption("vae", notVae.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DriverModel.prepare(bad, true, null));
        assertTrue(e.getMessage().startsWith("--vae " + notVae) && e.getMessage().contains("_class_name"),
                e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());

        Path tooBig = Files.createDirectories(tmp.resolve("huge-vae"));
        Files.writeString(tooBig.resolve("config.json"), Files.readString(tinyTaesd().resolve("config.json"))
                .replace("\"latent_channels\": 4", "\"latent_channels\": 400000000"));
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> DriverModel.prepare(spec(Fixtures.tinySd().toString()).withOption("vae", tooBig.toString()),
                        true, null));
        assertTrue(big.getMessage().contains("config.json") && big.getMessage().contains("latent_channels"),
                big.getMessage());
        assertEquals(1, big.getMessage().lines().count(), big.getMessage());
    }
}
