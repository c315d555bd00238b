// Reading the text files of a model folder (configs, indexes, tokenizer files): regular files only, size-capped reads.
package io.diffusers4j.utils;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A model folder may come from anywhere, and its files are read whole; so before reading, a file's links are resolved
 * and only a <b>regular file</b> is opened (a FIFO would block the reader forever, {@code /dev/zero} never ends), and
 * at most {@code maxBytes + 1} bytes are read whatever size the file claims ({@code /proc} files claim 0).
 *
 * <p>Text files are parsed and their values quoted in error messages, so a file that is a link must stay inside its
 * folder: a {@code config.json} linked to {@code /etc/passwd} is refused before it is read. The one exception is the
 * Hugging Face cache, whose {@code snapshots/<commit>/...} files link to {@code ../blobs/<hash>} of the same repo
 * folder. Component folders that are links themselves (a shared VAE folder) are fine: the file is inside the folder
 * the link resolves to. Every error is an {@link IllegalArgumentException} starting with the file as given.
 */
public final class ModelFiles {
    private static final String HF_SNAPSHOTS = "snapshots";
    private static final String HF_BLOBS = "blobs";

    private ModelFiles() {
    }

    /**
     * Reads {@code file} as UTF-8 after the checks above; {@code what} names it in errors ("config file"):
     * "{@code FILE: config file is 5242880 bytes, more than the 4194304 allowed}", "{@code FILE: config file is not
     * a regular file (a FIFO, socket or device)}".
     */
    public static String readString(Path file, long maxBytes, String what) {
        Path real = regularFile(file, what);
        byte[] bytes;
        try (InputStream in = Files.newInputStream(real)) {
            long size = Files.size(real);
            if (size > maxBytes) { // refused without reading; the read below is bounded whatever the size claims
                throw new IllegalArgumentException(file + ": " + what + " is " + size + " bytes, more than the "
                        + maxBytes + " allowed");
            }
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read " + what + ": " + e, e);
        }
        if (bytes.length > maxBytes) {
            throw new IllegalArgumentException(file + ": " + what + " is more than the " + maxBytes
                    + " bytes allowed");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": " + what + " is not valid UTF-8 text", e);
        }
    }

    /**
     * The real path of {@code file}, checked to be a regular file inside its folder (or a Hugging Face cache blob);
     * nothing is opened.
     */
    private static Path regularFile(Path file, String what) {
        Path real;
        BasicFileAttributes attributes;
        try {
            real = file.toRealPath();
            attributes = Files.readAttributes(real, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": " + what + " does not exist (or is a broken link)", e);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read " + what + ": " + e, e);
        }
        if (!attributes.isRegularFile()) {
            throw new IllegalArgumentException(file + ": " + what + " is not a regular file ("
                    + (attributes.isDirectory() ? "a folder" : "a FIFO, socket or device") + ")");
        }
        Path folder = folderOf(file);
        if (!real.startsWith(folder) && !isHubBlobOf(real, folder)) {
            throw new IllegalArgumentException(file + ": " + what + " is a link to " + real + ", outside its folder "
                    + folder + "; files of a model folder are read only from inside it (or from the Hugging Face "
                    + "cache's blobs): copy the file there");
        }
        return real;
    }

    /** The real path of the folder {@code file} is in. */
    private static Path folderOf(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        try {
            return parent.toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot resolve its folder: " + e, e);
        }
    }

    /** {@code <repo>/blobs/<hash>} for a file of {@code <repo>/snapshots/<commit>/...}: the Hugging Face cache. */
    private static boolean isHubBlobOf(Path real, Path folder) {
        Path blobs = real.getParent();
        if (blobs == null || blobs.getFileName() == null || !blobs.getFileName().toString().equals(HF_BLOBS)) {
            return false;
        }
        for (Path p = folder; p != null && p.getParent() != null; p = p.getParent()) {
            if (p.getFileName().toString().equals(HF_SNAPSHOTS) && p.getParent().resolve(HF_BLOBS).equals(blobs)) {
                return true;
            }
        }
        return false;
    }
}
