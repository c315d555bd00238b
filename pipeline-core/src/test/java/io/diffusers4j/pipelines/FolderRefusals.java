// Test helper: a broken pipeline folder is refused by fromPretrained and checkPretrained with one line naming it.
package io.diffusers4j.pipelines;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Asserts that loading a folder fails with an {@link IllegalArgumentException} whose one-line message contains
 * every fragment, within 20 s (a hang fails the test instead of blocking the build).
 */
final class FolderRefusals {
    private FolderRefusals() {
    }

    /** {@link DiffusionPipeline#checkPretrained} (the job's driver check) and fromPretrained refuse {@code dir}. */
    static String refused(Path dir, PipelineOptions o, String... fragments) {
        refusedBy(false, dir, o, fragments);
        return refusedBy(true, dir, o, fragments);
    }

    /** {@link DiffusionPipeline#fromPretrained} refuses {@code dir} (what only loading weights or files can find). */
    static String loadRefused(Path dir, String... fragments) {
        return refusedBy(true, dir, new PipelineOptions(), fragments);
    }

    private static String refusedBy(boolean load, Path dir, PipelineOptions o, String... fragments) {
        String entry = load ? "fromPretrained" : "checkPretrained";
        IllegalArgumentException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(
                IllegalArgumentException.class, () -> {
                    if (load) {
                        DiffusionPipeline.fromPretrained(dir.toString(), o).close();
                    } else {
                        DiffusionPipeline.checkPretrained(dir, o);
                    }
                }, entry + " should refuse " + dir + " " + Arrays.toString(fragments)));
        String m = e.getMessage();
        assertFalse(m.contains("\n"), "one line: " + m);
        for (String f : fragments) {
            assertTrue(m.contains(f), entry + ": expected '" + f + "' in: " + m);
        }
        return m;
    }
}
