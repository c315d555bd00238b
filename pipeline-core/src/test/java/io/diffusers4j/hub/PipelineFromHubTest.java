// DiffusionPipeline.fromPretrained with a Hub id: the whole tiny-sd pipeline served by FakeHub on 127.0.0.1.
package io.diffusers4j.hub;

import io.diffusers4j.pipelines.DiffusionPipeline;
import io.diffusers4j.pipelines.PipelineOptions;
import io.diffusers4j.pipelines.PipelineCall;
import io.diffusers4j.pipelines.StableDiffusionPipeline;
import io.diffusers4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PipelineFromHubTest {
    @Test
    void loadsAHubRepoThroughTheCacheAndRendersTheSameImageAsTheLocalFolder(@TempDir Path tmp) throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (Stream<Path> walk = Files.walk(Fixtures.tinySd())) {
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                String rel = Fixtures.tinySd().relativize(p).toString();
                if (!rel.startsWith("expected") && !rel.equals("README.md")) {
                    files.put(rel, Files.readAllBytes(p));
                }
            }
        }
        try (FakeHub hub = new FakeHub()) {
            hub.repo("diffusers4j/tiny-sd").commit("c".repeat(40), files, "main");
            HubOptions base = HubOptions.builder().endpoint(hub.url()).cacheDir(tmp.resolve("hub"))
                    .environment(HubEnvironment.of(Map.of(), tmp.resolve("home")))
                    .maxRetries(2).retryDelay(Duration.ofMillis(5), Duration.ofMillis(10)).build();
            // a fresh call (and generator) per run: a generator, like torch's, advances as it draws
            Supplier<PipelineCall> call = () -> new PipelineCall()
                    .prompt("from the hub").seed(4).numInferenceSteps(2).outputType("np");
            float[] fromHub;
            try (DiffusionPipeline p = DiffusionPipeline.fromPretrained("diffusers4j/tiny-sd",
                    new PipelineOptions().hubOptions(base))) {
                fromHub = ((StableDiffusionPipeline) p).call(call.get()).data();
            }
            int requests = hub.requests.size();
            assertTrue(requests > 0);
            assertTrue(hub.requests("GET", "expected/").isEmpty(), "only the files the pipeline needs");
            // offline: served from the cache without a single request
            try (DiffusionPipeline p = DiffusionPipeline.fromPretrained("diffusers4j/tiny-sd",
                    new PipelineOptions().hubOptions(base).localFilesOnly(true))) {
                assertArrayEquals(fromHub, ((StableDiffusionPipeline) p).call(call.get()).data());
            }
            assertEquals(requests, hub.requests.size());
            try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(Fixtures.tinySd().toString(),
                    new PipelineOptions())) {
                assertArrayEquals(((StableDiffusionPipeline) p).call(call.get()).data(), fromHub);
            }
        }
    }
}
