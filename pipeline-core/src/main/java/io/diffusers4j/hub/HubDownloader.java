// Port of huggingface_hub.file_download._hf_hub_download_to_cache_dir / _download_to_tmp_and_move,
// _snapshot_download.snapshot_download and diffusers' DiffusionPipeline.download (what a pipeline needs).
package io.diffusers4j.hub;

import com.google.gson.JsonObject;
import io.diffusers4j.config.ConfigBase;
import io.diffusers4j.config.ModelIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Downloads into the shared Hugging Face cache. {@link #download} is {@code hf_hub_download}: a HEAD gives the
 * commit, etag and size; a cached pointer is returned without a transfer; otherwise the blob is streamed to
 * {@code blobs/<etag>.incomplete} (resumed if present) under a lock, its size and, for LFS files (64-hex etag), its
 * sha256 checked, renamed atomically, and linked from {@code snapshots/<commit>/<file>}. A corrupt transfer is
 * deleted, never left as a blob. When the Hub cannot be reached (or offline mode is on) the cached file of that
 * revision is used. {@link #pipelineSnapshot} downloads exactly the files a pipeline needs.
 */
public final class HubDownloader {
    private static final Logger LOG = LoggerFactory.getLogger(HubDownloader.class);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private final HubOptions opts;
    private final HubCache cache;
    private final HubClient client;

    public HubDownloader(HubOptions opts) {
        this.opts = opts;
        this.cache = new HubCache(opts.cacheDir());
        this.client = new HubClient(opts);
    }

    public HubCache cache() {
        return cache;
    }

    /** {@code hf_hub_download(repoId, filename, revision=opts.revision)}: the cached file's snapshot path. */
    public Path download(String repoId, String filename) {
        return download(repoId, filename, opts.revision());
    }

    /** {@code hf_hub_download} at {@code revision} (branch, tag or commit). */
    public Path download(String repoId, String filename, String revision) {
        HubCache.validateRepoId(repoId);
        HubCache.validateFilename(filename);
        HubCache.validateRevision(revision);
        String what = HubClient.describe(repoId, filename, revision);
        boolean force = opts.forceDownload();
        if (HubCache.isCommitHash(revision) && !force) {
            Path pointer = cache.pointerPath(repoId, revision, filename);
            if (Files.isRegularFile(pointer)) {
                return pointer;
            }
        }
        HubClient.FileMetadata meta = null;
        HubException headError = null;
        if (opts.offline()) {
            headError = offlineError(what);
        } else {
            try {
                meta = client.fileMetadata(repoId, revision, filename);
            } catch (HubException e) {
                if (e.kind() == HubException.Kind.ENTRY_NOT_FOUND && e.repoCommit() != null) {
                    cache.markMissing(repoId, e.repoCommit(), filename); // shared with Python: .no_exist
                    cache.writeRef(repoId, revision, e.repoCommit());
                }
                if (e.kind() == HubException.Kind.ENTRY_NOT_FOUND || e.kind() == HubException.Kind.REVISION_NOT_FOUND) {
                    throw e; // the repo answered: the file or revision does not exist
                }
                headError = e;
            }
        }
        if (headError != null) {
            if (!force && cache.knownMissing(repoId, filename, revision)) {
                throw new HubException(HubException.Kind.ENTRY_NOT_FOUND, 404, "file not found: " + what
                        + " (recorded in the cache's .no_exist)", headError);
            }
            if (!force) {
                Optional<Path> cached = cache.cachedFile(repoId, filename, revision);
                if (cached.isPresent()) {
                    if (!opts.offline()) {
                        LOG.warn("{}; using the cached copy {}", headError.getMessage(), cached.get());
                    }
                    return cached.get();
                }
            }
            if (force) {
                throw new HubException(headError.kind(), headError.status(), "cannot force the download of " + what
                        + ": " + headError.getMessage(), headError);
            }
            if (headError.kind() == HubException.Kind.NOT_CACHED) {
                throw headError;
            }
            throw new HubException(headError.kind(), headError.status(), headError.getMessage()
                    + "; and it is not in the cache " + cache.root(), headError);
        }
        Path blob = cache.blobPath(repoId, meta.etag());
        Path pointer = cache.pointerPath(repoId, meta.commitHash(), filename);
        cache.writeRef(repoId, revision, meta.commitHash());
        try {
            if (!force) {
                if (Files.isRegularFile(pointer)) {
                    return pointer;
                }
                if (Files.isRegularFile(blob)) {
                    HubCache.link(blob, pointer);
                    return pointer;
                }
            }
            HubClient.FileMetadata m = meta;
            HubCache.withLock(cache.lockPath(repoId, meta.etag()), () -> {
                downloadBlob(m, blob, what, force);
                if (force || !Files.isRegularFile(pointer)) {
                    HubCache.link(blob, pointer);
                }
                return null;
            });
        } catch (IOException e) {
            throw new UncheckedIOException(what + ": cannot write to the cache " + cache.root() + ": " + e, e);
        }
        return pointer;
    }

    /** _download_to_tmp_and_move: resume, check size and sha256, atomic rename. Runs under the blob's lock. */
    private void downloadBlob(HubClient.FileMetadata meta, Path blob, String what, boolean force) throws IOException {
        if (Files.isRegularFile(blob) && !force) {
            return; // another thread or process finished it while we waited for the lock
        }
        Path incomplete = blob.resolveSibling(blob.getFileName() + ".incomplete");
        Files.createDirectories(blob.getParent());
        if (force) {
            Files.deleteIfExists(incomplete);
        }
        long have = Files.exists(incomplete) ? Files.size(incomplete) : 0;
        LOG.info("Downloading {} ({} bytes{})", what, meta.size(), have > 0 ? ", resuming at " + have : "");
        try {
            client.download(meta.location(), incomplete, meta.size(), what);
        } catch (HubException e) {
            if (e.kind() == HubException.Kind.SIZE_MISMATCH || e.kind() == HubException.Kind.BAD_RESPONSE) {
                Files.deleteIfExists(incomplete); // its bytes cannot be trusted for a resume
            }
            throw e;
        }
        long size = Files.size(incomplete);
        if (size != meta.size()) {
            Files.deleteIfExists(incomplete);
            throw new HubException(HubException.Kind.SIZE_MISMATCH, 0, what + ": downloaded " + size
                    + " bytes but the Hub announced " + meta.size() + "; the partial file was deleted, retry");
        }
        if (SHA256.matcher(meta.etag()).matches()) {
            String got = sha256(incomplete);
            if (!got.equals(meta.etag())) {
                Files.deleteIfExists(incomplete);
                throw new HubException(HubException.Kind.CHECKSUM_MISMATCH, 0, what + ": sha256 of the downloaded "
                        + "bytes is " + got + " but the Hub's LFS etag is " + meta.etag()
                        + "; the corrupt download was deleted, retry");
            }
        }
        Files.move(incomplete, blob, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private HubException offlineError(String what) {
        String why = opts.offlineFromEnvironment() ? "HF_HUB_OFFLINE=1" : "localFilesOnly=true";
        return new HubException(HubException.Kind.NOT_CACHED, 0, what + " is not in the cache " + cache.root()
                + " and offline mode is on (" + why + "); download it once online");
    }

    /** What a snapshot download fetches. */
    private enum Selection {
        /** the options' allow/ignore patterns (every file when none): {@code snapshot_download} */
        PATTERNS,
        /** what the pipeline needs for the options: diffusers' {@code DiffusionPipeline.download} */
        PIPELINE,
        /** the pipeline's files without its weights */
        PIPELINE_CONFIGS
    }

    /** {@code snapshot_download} with the options' allow/ignore patterns (all files when none). */
    public Path snapshot(String repoId) {
        return snapshotWith(repoId, Selection.PATTERNS);
    }

    /**
     * diffusers' {@code DiffusionPipeline.download}: the snapshot folder holding what the pipeline needs for the
     * options' variant and safetensors preference (or the options' allow patterns when given).
     */
    public Path pipelineSnapshot(String repoId) {
        return snapshotWith(repoId, Selection.PIPELINE);
    }

    /**
     * {@link #pipelineSnapshot} without the weights: {@code model_index.json}, the components' configs and the
     * tokenizer files (what {@code DiffusionPipeline.checkPretrained} reads) in the snapshot folder of the commit the
     * revision points to, whose name is that commit. The weights the options need are chosen from the repo's listing
     * (a pickle-only component or a missing variant fails here) but not downloaded: a driver checks and pins a
     * model this way while machines with their own disks download it. Offline or unreachable: the cached snapshot of
     * the revision, whatever it holds.
     */
    public Path pipelineConfigSnapshot(String repoId) {
        return snapshotWith(repoId, Selection.PIPELINE_CONFIGS);
    }

    private Path snapshotWith(String repoId, Selection selection) {
        HubCache.validateRepoId(repoId);
        String revision = opts.revision();
        boolean pipeline = selection == Selection.PIPELINE;
        if (opts.offline()) {
            return cachedSnapshot(repoId, revision, pipeline, offlineError("repo '" + repoId + "' at revision '"
                    + revision + "'"));
        }
        HubClient.RepoInfo info;
        try {
            info = client.repoInfo(repoId, revision);
        } catch (HubException e) {
            if (e.kind() == HubException.Kind.REVISION_NOT_FOUND || opts.forceDownload()) {
                throw e;
            }
            Path cached = cachedSnapshot(repoId, revision, pipeline, e);
            LOG.warn("{}; using the cached snapshot {}", e.getMessage(), cached);
            return cached;
        }
        String commit = info.sha();
        cache.writeRef(repoId, revision, commit);
        List<String> wanted = selectFiles(repoId, commit, info.files(), selection != Selection.PATTERNS);
        if (selection == Selection.PIPELINE_CONFIGS) {
            wanted = wanted.stream().filter(f -> !PipelineFiles.isWeights(f)).toList();
        }
        for (String f : wanted) {
            download(repoId, f, commit);
        }
        Set<String> available = Set.copyOf(info.files());
        for (String f : wanted) {
            if (PipelineFiles.isShardIndex(f)) {
                for (String shard : shardsOf(repoId, commit, f)) {
                    if (!available.contains(shard)) {
                        throw new HubException(HubException.Kind.BAD_RESPONSE, 0, f + " of repo '" + repoId
                                + "' names shard " + shard + ", which the repo does not have");
                    }
                    download(repoId, shard, commit);
                }
            }
        }
        return cache.snapshotFolder(repoId, commit);
    }

    private List<String> selectFiles(String repoId, String commit, List<String> files, boolean pipeline) {
        for (String f : files) {
            HubCache.validateFilename(f); // a listing with an escaping name is refused as a whole
        }
        if (opts.allowPatterns() != null || !pipeline) {
            return RepoFilter.filter(files, opts.allowPatterns(), opts.ignorePatterns());
        }
        List<String> wanted;
        if (files.contains(ModelIndex.FILE_NAME)) {
            ModelIndex index = ModelIndex.load(download(repoId, ModelIndex.FILE_NAME, commit));
            wanted = PipelineFiles.select(index, files, opts.variant(), opts.useSafetensors());
        } else {
            wanted = PipelineFiles.selectSingleModel(files, opts.variant(), opts.useSafetensors());
        }
        return opts.ignorePatterns() == null ? wanted : RepoFilter.filter(wanted, null, opts.ignorePatterns());
    }

    private List<String> shardsOf(String repoId, String commit, String indexFile) {
        Path index = cache.pointerPath(repoId, commit, indexFile);
        JsonObject json = ConfigBase.readJsonObject(index);
        return PipelineFiles.shards(indexFile, json);
    }

    /**
     * The cached snapshot of {@code revision}, checked (for a pipeline) to hold what the options need: otherwise
     * {@code cause} is rethrown with what is missing.
     */
    private Path cachedSnapshot(String repoId, String revision, boolean pipeline, HubException cause) {
        Optional<String> commit = cache.cachedCommit(repoId, revision);
        Path snapshot = commit.map(c -> cache.snapshotFolder(repoId, c)).orElse(null);
        if (snapshot == null || !Files.isDirectory(snapshot)) {
            throw new HubException(cause.kind(), cause.status(), cause.getMessage()
                    + (cause.kind() == HubException.Kind.NOT_CACHED ? "" : "; and no cached snapshot in "
                    + cache.root()), cause);
        }
        if (!pipeline || opts.allowPatterns() != null) {
            return snapshot;
        }
        try {
            List<String> files = listFiles(snapshot);
            List<String> needed = new ArrayList<>(files.contains(ModelIndex.FILE_NAME)
                    ? PipelineFiles.select(ModelIndex.load(snapshot), files, opts.variant(), opts.useSafetensors())
                    : PipelineFiles.selectSingleModel(files, opts.variant(), opts.useSafetensors()));
            for (String f : List.copyOf(needed)) {
                if (PipelineFiles.isShardIndex(f)) {
                    needed.addAll(PipelineFiles.shards(f, ConfigBase.readJsonObject(snapshot.resolve(f))));
                }
            }
            List<String> missing = needed.stream().filter(f -> !Files.isRegularFile(snapshot.resolve(f))).toList();
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("missing " + missing);
            }
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new HubException(HubException.Kind.NOT_CACHED, cause.status(), cause.getMessage()
                    + "; the cached snapshot " + snapshot + " is incomplete for these options: " + e.getMessage(),
                    cause);
        }
        return snapshot;
    }

    private static List<String> listFiles(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(root + ": cannot list", e);
        }
    }
}
