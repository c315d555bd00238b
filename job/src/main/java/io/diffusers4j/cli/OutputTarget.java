// Where `generate` writes: checked before any work, written in a hidden staging sibling, moved into place at the end.
package io.diffusers4j.cli;

import io.diffusers4j.utils.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code --output} of a {@code generate} run: a folder of {@code 000.png, 001.png, ...} (png; audio: wav) or one
 * .npy file
 * (np, latent). {@link #check} refuses, before any model is loaded, an output that cannot be written or that would
 * replace files (unless {@code --overwrite}): a file where the folder goes, a folder where the file goes, the files
 * this run would write already there, a path below a file, a folder that cannot be written. Nothing is created then.
 * The images are written as they come into a hidden staging sibling ({@code .NAME.diffusers4j-UUID.partial}, in the
 * output's parent or its nearest existing ancestor, so the final move is a rename on one file system), and
 * {@link #commit} moves them into place once every image is written: missing parent folders are created only then,
 * and a run that fails leaves nothing ({@link #abort}). Two runs into one output cannot replace each other's files:
 * the second is refused up front, or at its commit if the first committed while it rendered (its files are then kept
 * in its staging folder, and the message says where).
 */
final class OutputTarget {
    private final Path target;
    private final boolean folder;
    /** The files' extension in a folder output: png, or wav (audio). */
    private final String extension;
    private final boolean overwrite;
    private final Path stagingParent;
    private final Path staging;
    private Thread cleanup;
    private boolean keepStaging;

    private OutputTarget(Path target, boolean folder, String extension, boolean overwrite, Path stagingParent) {
        this.target = target;
        this.folder = folder;
        this.extension = extension;
        this.overwrite = overwrite;
        this.stagingParent = stagingParent;
        this.staging = stagingParent.resolve("." + target.getFileName() + ".diffusers4j-" + UUID.randomUUID()
                + ".partial");
    }

    /** The name of image {@code index} in a png output folder. */
    static String pngName(int index) {
        return fileName(index, "png");
    }

    /** The name of item {@code index} in an output folder of {@code extension} files: 000.png, 001.wav, ... */
    static String fileName(int index, String extension) {
        return String.format(Locale.ROOT, "%03d.", index) + extension;
    }

    /** The name of item {@code index} in this (folder) output. */
    String itemName(int index) {
        return fileName(index, extension);
    }

    /**
     * Checks {@code output} for a run that writes {@code images} images, as a folder of PNGs ({@code folder}) or one
     * .npy file; throws {@link UsageException} (exit code 2) naming {@code --output}. Creates nothing.
     */
    static OutputTarget check(Path output, boolean folder, int images, boolean overwrite) {
        return check(output, folder ? "png" : null, images, overwrite);
    }

    /**
     * As {@link #check(Path, boolean, int, boolean)} for a folder of {@code extension} files (png, wav), or one .npy
     * file when {@code extension} is null.
     */
    static OutputTarget check(Path output, String extension, int images, boolean overwrite) {
        boolean folder = extension != null;
        Path target = output.toAbsolutePath().normalize();
        if (target.getFileName() == null) {
            throw new UsageException("--output " + output + ": give a " + kind(folder) + " below a folder, not "
                    + target);
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.exists(target)) {
            throw new UsageException("--output " + output + " is a link to nothing; remove it or choose another "
                    + kind(folder));
        }
        if (Files.exists(target)) {
            checkExisting(output, target, extension, images, overwrite);
        }
        Path ancestor = target.getParent();
        while (!Files.exists(ancestor)) {
            ancestor = ancestor.getParent();
        }
        if (!Files.isDirectory(ancestor)) {
            throw new UsageException("--output " + output + ": " + ancestor + " is a file, not a folder");
        }
        if (!Files.isWritable(ancestor)) {
            throw new UsageException("--output " + output + ": cannot write in " + ancestor);
        }
        return new OutputTarget(target, folder, extension, overwrite, ancestor);
    }

    private static void checkExisting(Path output, Path target, String extension, int images, boolean overwrite) {
        boolean folder = extension != null;
        if (folder && !Files.isDirectory(target)) {
            throw new UsageException("--output " + output + " is a file; --output-type " + extension + " writes a "
                    + "folder of " + extension.toUpperCase(Locale.ROOT) + "s (" + fileName(0, extension) + ", "
                    + fileName(1, extension) + ", ...): choose a folder");
        }
        if (!folder && Files.isDirectory(target)) {
            throw new UsageException("--output " + output + " is a folder; --output-type np and latent write one "
                    + ".npy file: give a file name");
        }
        if (folder && !Files.isWritable(target)) {
            throw new UsageException("--output " + output + ": cannot write in " + target);
        }
        if (overwrite) {
            return;
        }
        if (!folder) {
            throw new UsageException("--output " + output + " exists; pass --overwrite to replace it, or choose "
                    + "another file");
        }
        List<String> taken = taken(target, images, extension);
        if (!taken.isEmpty()) {
            throw new UsageException("--output " + output + " already holds " + taken.get(0)
                    + (taken.size() > 1 ? " and " + (taken.size() - 1) + " more files" : "") + " that this run "
                    + "writes; pass --overwrite to replace them, or choose another folder");
        }
    }

    /** The files of a run of {@code images} {@code extension} files that exist in {@code dir} (its listing). */
    private static List<String> taken(Path dir, int images, String extension) {
        Pattern names = Pattern.compile("(\\d{3,})\\." + Pattern.quote(extension));
        List<String> taken = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                Matcher m = names.matcher(name);
                if (m.matches() && m.group(1).length() <= 9 && Integer.parseInt(m.group(1)) < images
                        && name.equals(fileName(Integer.parseInt(m.group(1)), extension))) {
                    taken.add(name);
                }
            }
        } catch (IOException e) {
            throw new UsageException("--output " + dir + ": cannot list the folder: " + e.getMessage());
        }
        taken.sort(null);
        return taken;
    }

    private static String kind(boolean folder) {
        return folder ? "folder" : "file";
    }

    Path target() {
        return target;
    }

    boolean folder() {
        return folder;
    }

    /** The existing folder the output is staged in: its parent, or the nearest ancestor that exists. */
    Path existingFolder() {
        return stagingParent;
    }

    /**
     * Creates the staging folder (png) or returns the staging file's path (np), and registers its removal at JVM
     * exit (Ctrl-C) until {@link #commit} or {@link #abort}.
     */
    Path openStaging() throws IOException {
        if (folder) {
            Files.createDirectory(staging);
        }
        cleanup = new Thread(this::deleteStaging, "diffusers4j-output-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        return staging;
    }

    /** Moves what was staged into place; creates missing parent folders first. Returns the output path. */
    Path commit() throws IOException {
        Files.createDirectories(target.getParent());
        if (folder) {
            commitFolder();
        } else {
            moveFile(staging, target);
        }
        forgetCleanup();
        return target;
    }

    private void commitFolder() throws IOException {
        if (!Files.exists(target)) {
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                return;
            } catch (IOException e) {
                if (!Files.isDirectory(target)) {
                    throw e;
                }
                // created by another run meanwhile: move file by file, refusing to replace its files
            }
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(staging)) {
            entries.forEach(files::add);
        }
        files.sort(null);
        for (Path file : files) {
            moveFile(file, target.resolve(file.getFileName().toString()));
        }
        Files.delete(staging);
    }

    private void moveFile(Path from, Path to) throws IOException {
        try {
            if (overwrite) {
                Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } else {
                Files.move(from, to);
            }
        } catch (FileAlreadyExistsException e) {
            keepStaging = true; // the staged files are this run's result
            forgetCleanup();
            throw new IllegalStateException(to + " was written by another run while this one rendered; nothing was "
                    + "replaced, and this run's " + (folder ? "images not moved are" : "array is") + " kept in "
                    + (folder ? staging : from), e);
        }
    }

    /** Removes what was staged (a failed run), unless {@link #commit} kept it for the user. */
    void abort() {
        if (!keepStaging) {
            deleteStaging();
        }
        forgetCleanup();
    }

    private void deleteStaging() {
        try {
            AtomicFiles.deleteTree(staging);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the staging " + staging, e);
        }
    }

    private void forgetCleanup() {
        if (cleanup != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down: the hook runs
            }
            cleanup = null;
        }
    }
}
