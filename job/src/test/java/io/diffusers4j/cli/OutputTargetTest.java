// The staging protocol of generate's output: nothing is left by a run that fails while writing.
package io.diffusers4j.cli;

import io.diffusers4j.pipelines.ImagePipelineOutput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class OutputTargetTest {
    @TempDir
    Path tmp;

    private List<String> listing() throws Exception {
        try (Stream<Path> walk = Files.walk(tmp)) {
            return walk.map(p -> tmp.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void aRunThatFailsWhileWritingLeavesNothing() throws Exception {
        for (boolean folder : new boolean[] {true, false}) {
            OutputTarget target = OutputTarget.check(tmp.resolve("x/y/out"), folder, 2, false);
            assertEquals(tmp, target.existingFolder(), "staged in the nearest folder that exists");
            try (OutputWriter writer = OutputWriter.open(target, 2, null)) {
                if (!folder) {
                    writer.append(new ImagePipelineOutput("np", new float[12], new long[] {1, 2, 2, 3}));
                }
                assertNotEquals(List.of(""), listing(), "the staging place while the run writes");
                // the run fails here: the writer is closed without finish()
            }
            assertEquals(List.of(""), listing(), "a failed run leaves nothing");
        }
    }
}
