// Test helper: a separate JVM downloading one Hub file into a shared cache (a second Spark executor, say).
package io.diffusers4j.hub;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * {@code HubDownloadChild ENDPOINT CACHE_DIR HOME REPO FILE}: downloads FILE of REPO from ENDPOINT into CACHE_DIR
 * with the production {@link HubDownloader}, printing "START" before and "DONE &lt;path&gt;" after.
 */
public final class HubDownloadChild {
    private HubDownloadChild() {
    }

    public static void main(String[] args) {
        HubOptions o = HubOptions.builder().endpoint(args[0]).cacheDir(Path.of(args[1]))
                .environment(HubEnvironment.of(Map.of(), Path.of(args[2])))
                .maxRetries(2).retryDelay(Duration.ofMillis(5), Duration.ofMillis(20)).build();
        System.out.println("START");
        System.out.flush();
        Path p = new HubDownloader(o).download(args[3], args[4]);
        System.out.println("DONE " + p);
        System.out.flush();
    }
}
