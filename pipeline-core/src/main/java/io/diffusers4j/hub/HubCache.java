// Port of the cache layout of huggingface_hub.file_download (repo_folder_name, _get_pointer_path, _create_symlink,
// _cache_commit_hash_for_specific_revision, try_to_load_from_cache) and validators.validate_repo_id.
package io.diffusers4j.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * One Hugging Face cache folder, laid out exactly as huggingface_hub lays it out so that Python and Java share it:
 * <pre>
 * &lt;cache&gt;/models--org--name/blobs/&lt;etag&gt;                 file contents (etag = sha256 for LFS files, git sha1 else)
 * &lt;cache&gt;/models--org--name/snapshots/&lt;commit&gt;/&lt;path&gt;    relative symlink to the blob (a copy where links fail)
 * &lt;cache&gt;/models--org--name/refs/&lt;revision&gt;               the commit a branch or tag pointed to
 * &lt;cache&gt;/models--org--name/.no_exist/&lt;commit&gt;/&lt;path&gt;   marker: the file does not exist at that commit
 * &lt;cache&gt;/.locks/models--org--name/&lt;etag&gt;.lock            download lock
 * </pre>
 * Every name that reaches the file system (repo id, revision, file path, etag, commit) is validated so that nothing
 * a server or a model_index.json says can escape the cache.
 */
public final class HubCache {
    private static final Pattern COMMIT_HASH = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern REPO_PART = Pattern.compile("[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?");
    private static final Pattern ETAG = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}");
    private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    private final Path root;

    public HubCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** True for a full 40-hex commit hash ({@code REGEX_COMMIT_HASH}). */
    public static boolean isCommitHash(String revision) {
        return revision != null && COMMIT_HASH.matcher(revision).matches();
    }

    /** huggingface_hub's validate_repo_id (ASCII): {@code name} or {@code namespace/name}, no "--" or "..". */
    public static void validateRepoId(String repoId) {
        String why = null;
        if (repoId == null || repoId.isEmpty()) {
            why = "it is empty";
        } else if (repoId.chars().filter(c -> c == '/').count() > 1) {
            why = "use 'name' or 'namespace/name'";
        } else if (repoId.contains("--") || repoId.contains("..")) {
            why = "'--' and '..' are forbidden";
        } else if (repoId.endsWith(".git")) {
            why = "it cannot end with '.git'";
        } else {
            String[] parts = repoId.split("/", -1);
            String name = parts[parts.length - 1];
            for (String p : parts) {
                if (!REPO_PART.matcher(p).matches()) {
                    why = "use letters, digits, '-', '_' and '.', not starting or ending with '-' or '.'";
                }
            }
            if (why == null && name.length() > 96) {
                why = "the name is longer than 96 characters";
            }
        }
        if (why != null) {
            throw new IllegalArgumentException("invalid Hub repo id '" + repoId + "': " + why);
        }
    }

    /** A revision (branch, tag, commit, {@code refs/pr/1}) that is safe as a path under {@code refs/}. */
    public static void validateRevision(String revision) {
        if (revision == null || revision.isEmpty() || revision.startsWith("/") || revision.contains("\\")
                || revision.indexOf('\0') >= 0 || hasBadSegment(revision)) {
            throw new IllegalArgumentException("invalid revision '" + revision + "'");
        }
    }

    /**
     * A repo file path: '/'-separated, relative, no empty, "." or ".." segment, no backslash or NUL. Such a name
     * cannot escape the snapshot folder.
     */
    public static void validateFilename(String filename) {
        if (filename == null || filename.isEmpty() || filename.startsWith("/") || filename.contains("\\")
                || filename.indexOf('\0') >= 0 || filename.endsWith("/") || hasBadSegment(filename)
                || filename.matches("^[A-Za-z]:.*")) {
            throw new IllegalArgumentException("invalid repo file name '" + filename
                    + "': it would escape the snapshot folder (absolute path, '..', '.', backslash or empty part)");
        }
    }

    private static boolean hasBadSegment(String path) {
        for (String seg : path.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                return true;
            }
        }
        return false;
    }

    /** An etag usable as a blob file name (the normalized form of the ETag header), or an exception. */
    static String checkEtag(String etag, String what) {
        if (etag == null || !ETAG.matcher(etag).matches()) {
            throw new HubException(HubException.Kind.BAD_RESPONSE, 0, what + ": the server sent an unusable ETag '"
                    + (etag == null ? "" : etag.length() > 80 ? etag.substring(0, 80) + "..." : etag) + "'");
        }
        return etag;
    }

    /** {@code models--org--name}. */
    public static String repoFolderName(String repoId) {
        return "models--" + repoId.replace("/", "--");
    }

    public Path storageFolder(String repoId) {
        validateRepoId(repoId);
        return root.resolve(repoFolderName(repoId));
    }

    public Path blobPath(String repoId, String etag) {
        return storageFolder(repoId).resolve("blobs").resolve(etag);
    }

    public Path snapshotFolder(String repoId, String commit) {
        if (!isCommitHash(commit)) {
            throw new IllegalArgumentException("not a commit hash: '" + commit + "'");
        }
        return storageFolder(repoId).resolve("snapshots").resolve(commit);
    }

    /** {@code snapshots/<commit>/<filename>}, checked to stay inside the snapshots folder. */
    public Path pointerPath(String repoId, String commit, String filename) {
        validateFilename(filename);
        Path snapshots = storageFolder(repoId).resolve("snapshots");
        Path p = snapshotFolder(repoId, commit).resolve(filename).normalize();
        if (!p.startsWith(snapshots) || p.equals(snapshots)) {
            throw new IllegalArgumentException("invalid repo file name '" + filename + "': escapes " + snapshots);
        }
        return p;
    }

    public Path lockPath(String repoId, String etag) {
        return root.resolve(".locks").resolve(repoFolderName(repoId)).resolve(etag + ".lock");
    }

    public Path noExistPath(String repoId, String commit, String filename) {
        validateFilename(filename);
        if (!isCommitHash(commit)) {
            throw new IllegalArgumentException("not a commit hash: '" + commit + "'");
        }
        return storageFolder(repoId).resolve(".no_exist").resolve(commit).resolve(filename);
    }

    /** The commit a revision resolves to in the cache: itself when a hash, else {@code refs/<revision>}. */
    public Optional<String> cachedCommit(String repoId, String revision) {
        validateRevision(revision);
        if (isCommitHash(revision)) {
            return Optional.of(revision);
        }
        Path ref = storageFolder(repoId).resolve("refs").resolve(revision);
        try {
            if (Files.isRegularFile(ref)) {
                String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
                if (isCommitHash(commit)) {
                    return Optional.of(commit);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(ref + ": cannot read cached ref", e);
        }
        return Optional.empty();
    }

    /** Records {@code refs/<revision>} = commit (unless the revision is the commit or the ref is already right). */
    public void writeRef(String repoId, String revision, String commit) {
        validateRevision(revision);
        if (revision.equals(commit)) {
            return;
        }
        Path ref = storageFolder(repoId).resolve("refs").resolve(revision);
        try {
            if (Files.isRegularFile(ref) && Files.readString(ref, StandardCharsets.UTF_8).equals(commit)) {
                return;
            }
            Files.createDirectories(ref.getParent());
            Path tmp = ref.resolveSibling(".tmp_" + UUID.randomUUID());
            Files.writeString(tmp, commit, StandardCharsets.UTF_8);
            Files.move(tmp, ref, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(ref + ": cannot write ref", e);
        }
    }

    /** {@code try_to_load_from_cache}: the cached file for this revision, if present. */
    public Optional<Path> cachedFile(String repoId, String filename, String revision) {
        Optional<String> commit = cachedCommit(repoId, revision);
        if (commit.isEmpty()) {
            return Optional.empty();
        }
        Path p = pointerPath(repoId, commit.get(), filename);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /** Records that {@code filename} does not exist at {@code commit} (an empty marker file, as huggingface_hub). */
    public void markMissing(String repoId, String commit, String filename) {
        Path marker = noExistPath(repoId, commit, filename);
        try {
            Files.createDirectories(marker.getParent());
            if (!Files.exists(marker)) {
                Files.createFile(marker);
            }
        } catch (IOException e) {
            // only an optimisation for offline look-ups: a read-only cache must not turn a 404 into another error
        }
    }

    /** True when the cache recorded that {@code filename} does not exist at the commit {@code revision} maps to. */
    public boolean knownMissing(String repoId, String filename, String revision) {
        Optional<String> commit = cachedCommit(repoId, revision);
        return commit.isPresent() && Files.isRegularFile(noExistPath(repoId, commit.get(), filename));
    }

    /**
     * Points {@code pointer} at {@code blob}: a relative symlink, atomically replacing an older pointer; where the
     * file system refuses links, a copy of the blob (huggingface_hub's fallback).
     */
    public static void link(Path blob, Path pointer) throws IOException {
        Files.createDirectories(pointer.getParent());
        Path tmp = pointer.resolveSibling(".tmp_" + UUID.randomUUID());
        try {
            try {
                Files.createSymbolicLink(tmp, pointer.getParent().relativize(blob));
            } catch (UnsupportedOperationException | FileSystemException e) {
                Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(tmp, pointer, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Work done while holding a lock. */
    @FunctionalInterface
    public interface Locked<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code work} holding the lock file {@code lockFile}: an in-JVM lock (threads) and an OS file lock
     * (processes). Java's {@link FileChannel#lock()} takes a POSIX record lock, which is not the BSD flock()
     * Python's filelock takes: Java processes exclude each other, not Java and Python.
     */
    public static <T> T withLock(Path lockFile, Locked<T> work) throws IOException {
        Path key = lockFile.toAbsolutePath().normalize();
        ReentrantLock jvm = JVM_LOCKS.computeIfAbsent(key, k -> new ReentrantLock());
        jvm.lock();
        try {
            Files.createDirectories(key.getParent());
            try (FileChannel ch = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                return work.run();
            }
        } finally {
            jvm.unlock();
        }
    }

    @Override
    public String toString() {
        return "HubCache[" + root + "]";
    }
}
