// Port of the pretrained_model_name_or_path resolution of diffusers' DiffusionPipeline.from_pretrained
// (os.path.isdir(...) else cached_folder = cls.download(...)).
package io.diffusers4j.hub;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Turns what a user typed (a local pipeline folder or a Hub repo id such as {@code org/name}) into a local folder
 * with {@code model_index.json} and the component folders. A folder is returned as is; a repo id is resolved through
 * the shared Hugging Face cache, downloading only the files the pipeline needs (see {@link PipelineFiles}).
 */
public final class ModelLocator {
    private ModelLocator() {
    }

    /** {@link #resolve(String, HubOptions)} with default options (environment, revision main). */
    public static Path resolve(String pathOrRepoId) {
        return resolve(pathOrRepoId, HubOptions.defaults());
    }

    /**
     * The local folder for {@code pathOrRepoId}.
     *
     * @throws IllegalArgumentException when it is neither an existing folder nor a valid repo id
     * @throws HubException             when the repo cannot be resolved (not found, no access, offline and not cached)
     */
    public static Path resolve(String pathOrRepoId, HubOptions opts) {
        return resolve(pathOrRepoId, opts, false);
    }

    /**
     * {@link #resolve} without downloading weights: a folder as is; a repo id as the snapshot folder of the commit
     * its revision points to, holding the pipeline's configuration files ({@link HubDownloader#pipelineConfigSnapshot}).
     */
    public static Path resolveConfigs(String pathOrRepoId, HubOptions opts) {
        return resolve(pathOrRepoId, opts, true);
    }

    private static Path resolve(String pathOrRepoId, HubOptions opts, boolean configsOnly) {
        if (pathOrRepoId == null || pathOrRepoId.isBlank()) {
            throw new IllegalArgumentException("empty model path or repo id");
        }
        try {
            Path p = Path.of(pathOrRepoId);
            if (Files.isDirectory(p)) {
                return p;
            }
            if (Files.exists(p)) {
                throw new IllegalArgumentException("'" + pathOrRepoId + "' is a file, not a pipeline folder or a Hub "
                        + "repo id");
            }
        } catch (InvalidPathException e) {
            // not a path on this system: may still be a repo id
        }
        try {
            HubCache.validateRepoId(pathOrRepoId);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + pathOrRepoId + "' is not a local folder and not a valid Hub repo "
                    + "id (" + e.getMessage() + ")", e);
        }
        HubDownloader downloader = new HubDownloader(opts);
        return configsOnly ? downloader.pipelineConfigSnapshot(pathOrRepoId) : downloader.pipelineSnapshot(pathOrRepoId);
    }
}
