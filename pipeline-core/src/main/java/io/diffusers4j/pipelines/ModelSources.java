// Where a pipeline comes from: a local diffusers folder or a Hugging Face Hub id resolved through the HF cache.
package io.diffusers4j.pipelines;

import java.nio.file.Files;
import java.nio.file.Path;

/** Resolves {@code from_pretrained}'s first argument to a local snapshot folder. */
final class ModelSources {
    private ModelSources() {
    }

    static Path resolve(String pathOrRepoId, PipelineOptions o) {
        if (pathOrRepoId == null || pathOrRepoId.isBlank()) {
            throw new IllegalArgumentException("model path or Hub id is empty");
        }
        Path local = Path.of(pathOrRepoId);
        if (Files.isDirectory(local)) {
            if (!Files.isRegularFile(local.resolve("model_index.json"))) {
                throw new IllegalArgumentException(local + " is not a diffusers pipeline folder (no model_index.json)");
            }
            return local;
        }
        return HubDownloads.snapshot(pathOrRepoId, o);
    }
}
