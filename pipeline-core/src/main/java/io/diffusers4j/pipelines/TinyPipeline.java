// Writer of the embedded default: a tiny SD-1.5-style pipeline with seeded random weights (API skeleton).
package io.diffusers4j.pipelines;

import java.nio.file.Path;

/** The project's own small pipeline in diffusers layout (shapes like the tiny-sd fixture). */
public final class TinyPipeline {
    private TinyPipeline() {
    }

    /** Writes the tiny pipeline to {@code dir} with weights from {@code seed}. */
    public static Path write(Path dir, long seed) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** The embedded default model folder (written once under the user cache, then reused). */
    public static Path defaultModel() {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
