// Reads a plan and the files it names (slot files, wildcards) through Hadoop: local paths, hdfs://, s3a://...
package io.diffusers4j.job.plan;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Bounded reads of UTF-8 text files: a file larger than its cap, a folder, a missing file or bytes that are not
 * UTF-8 are {@link PlanException}s naming the plan key that pointed at the file. Relative paths are relative to the
 * plan file's folder.
 */
public final class PlanFiles {
    private final Configuration conf;
    private final String planFile;
    private final Path planDir;

    public PlanFiles(Configuration conf, String planFile) {
        this.conf = conf;
        this.planFile = planFile;
        Path p = new Path(planFile);
        this.planDir = p.getParent() == null ? new Path(".") : p.getParent();
    }

    /** The plan file as the user named it. */
    public String planFile() {
        return planFile;
    }

    /** A path relative to the plan's folder (an absolute path or URI is kept); {@code key} names its plan key. */
    String resolve(String relative, String key) {
        try {
            Path p = new Path(relative);
            return p.isAbsolute() || p.toUri().getScheme() != null ? relative : new Path(planDir, p).toString();
        } catch (IllegalArgumentException e) {
            throw new PlanException(planFile, key, "\"" + relative + "\" is not a path: " + e.getMessage());
        }
    }

    /** The whole text of {@code path} (at most {@code maxBytes} bytes); {@code key} names what pointed at it. */
    String read(String path, String key, long maxBytes) {
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(conf);
            FileStatus status;
            try {
                status = fs.getFileStatus(p);
            } catch (FileNotFoundException e) {
                throw new PlanException(planFile, key, "no such file " + path);
            }
            if (!status.isFile()) {
                throw new PlanException(planFile, key, path + " is not a file");
            }
            if (status.getLen() > maxBytes) {
                throw new PlanException(planFile, key, path + " has " + status.getLen() + " bytes (at most "
                        + maxBytes + ")");
            }
            byte[] bytes;
            try (InputStream in = fs.open(p)) {
                bytes = in.readNBytes((int) maxBytes + 1);
            }
            if (bytes.length > maxBytes) {
                throw new PlanException(planFile, key, path + " has more than " + maxBytes + " bytes");
            }
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (CharacterCodingException e) {
            throw new PlanException(planFile, key, path + " is not UTF-8 text");
        } catch (IOException | IllegalArgumentException e) {
            if (e instanceof PlanException pe) {
                throw pe;
            }
            throw new PlanException(planFile, key, "cannot read " + path + ": " + e.getMessage());
        }
    }
}
