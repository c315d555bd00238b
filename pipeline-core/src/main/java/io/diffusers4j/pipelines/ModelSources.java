// Where a pipeline comes from: a local diffusers folder or a Hugging Face Hub id resolved through the HF cache.
package io.diffusers4j.pipelines;

import io.diffusers4j.hub.HubDownloader;
import io.diffusers4j.hub.HubOptions;
import io.diffusers4j.hub.ModelLocator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Resolves {@code from_pretrained}'s first argument to a local snapshot folder with model_index.json. */
final class ModelSources {
    private ModelSources() {
    }

    static Path resolve(String pathOrRepoId, PipelineOptions o) {
        return pipelineFolder(ModelLocator.resolve(pathOrRepoId, hubOptions(o)));
    }

    /** {@link #resolve} without the weights of a Hub model ({@link ModelLocator#resolveConfigs}). */
    static Path resolveConfigs(String pathOrRepoId, PipelineOptions o) {
        return pipelineFolder(ModelLocator.resolveConfigs(pathOrRepoId, hubOptions(o)));
    }

    /**
     * A single model's folder (a component such as a VAE, {@code madebyollin/taesd}): a local folder as is, a Hub
     * id as its snapshot with {@code config.json} and (unless {@code configsOnly}) the
     * {@code diffusion_pytorch_model*} weights.
     */
    static Path resolveModel(String pathOrRepoId, PipelineOptions o, boolean configsOnly) {
        if (pathOrRepoId == null || pathOrRepoId.isBlank()) {
            throw new IllegalArgumentException("empty model folder or repo id");
        }
        Path local = Path.of(pathOrRepoId);
        if (Files.isDirectory(local)) {
            return local;
        }
        List<String> files = configsOnly ? List.of("config.json")
                : List.of("config.json", "diffusion_pytorch_model*.safetensors", "diffusion_pytorch_model*.json");
        HubOptions opts = hubOptions(o).toBuilder().allowPatterns(files).revision("main").build();
        return new HubDownloader(opts).snapshot(pathOrRepoId);
    }

    private static HubOptions hubOptions(PipelineOptions o) {
        HubOptions.Builder hub = (o.hubOptions() == null ? HubOptions.builder() : o.hubOptions().toBuilder())
                .forceDownload(o.forceDownload()).variant(o.variant()).useSafetensors(o.useSafetensors());
        if (o.revision() != null) {
            hub.revision(o.revision());
        }
        if (o.localFilesOnly()) {
            hub.localFilesOnly(true);
        }
        o.token().ifPresent(hub::token);
        return hub.build();
    }

    private static Path pipelineFolder(Path dir) {
        if (!Files.isRegularFile(dir.resolve("model_index.json"))) {
            throw new IllegalArgumentException(dir + " is not a diffusers pipeline folder (no model_index.json)");
        }
        return dir;
    }
}
