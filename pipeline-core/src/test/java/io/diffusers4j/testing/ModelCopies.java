// Test helper: editable copies of the tiny-sd pipeline (broken configs, poisoned weights) for hostile-input tests.
package io.diffusers4j.testing;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.diffusers4j.weights.SafetensorsFile;
import io.diffusers4j.weights.TensorInfo;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A copy of the tiny-sd fixture under a temp folder: {@code model_index.json} and the components named editable
 * are real copies, every other component folder is a symbolic link to the fixture (cheap, read-only).
 */
public final class ModelCopies {
    private static final List<String> COMPONENTS = List.of("scheduler", "text_encoder", "tokenizer", "unet", "vae");

    private ModelCopies() {
    }

    /** A tiny-sd copy in {@code dir} with {@code editable} component folders copied, the rest linked. */
    public static Path tinySd(Path dir, String... editable) {
        try {
            Path src = Fixtures.tinySd();
            Files.createDirectories(dir);
            Files.copy(src.resolve("model_index.json"), dir.resolve("model_index.json"));
            List<String> copy = List.of(editable);
            for (String c : COMPONENTS) {
                if (copy.contains(c)) {
                    Files.createDirectories(dir.resolve(c));
                    try (Stream<Path> files = Files.list(src.resolve(c))) {
                        for (Path f : (Iterable<Path>) files::iterator) {
                            Files.copy(f, dir.resolve(c).resolve(f.getFileName()));
                        }
                    }
                } else {
                    Files.createSymbolicLink(dir.resolve(c), src.resolve(c).toAbsolutePath());
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rewrites a JSON object file after {@code edit}. */
    public static void editJson(Path file, Consumer<JsonObject> edit) {
        try {
            JsonObject o = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
            edit.accept(o);
            Files.writeString(file, new GsonBuilder().serializeNulls().setPrettyPrinting().create().toJson(o));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces {@code file} with a FIFO that nobody writes to: opening it for reading would block forever. */
    public static void replaceWithFifo(Path file) {
        try {
            Files.delete(file);
            Process p = new ProcessBuilder("mkfifo", file.toString()).inheritIO().start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("mkfifo " + file + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Replaces {@code file} with a symbolic link to {@code target}. */
    public static void replaceWithLink(Path file, Path target) {
        try {
            Files.deleteIfExists(file);
            Files.createSymbolicLink(file, target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Overwrites every element of the float32 tensor {@code key} of a safetensors file, in place. */
    public static void fillTensor(Path file, String key, float value) {
        long offset;
        long bytes;
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            TensorInfo t = st.info(key);
            if (!t.dtype().equals("F32")) {
                throw new IllegalArgumentException(key + " is " + t.dtype() + ", not F32");
            }
            long headerLen;
            try (var in = Files.newInputStream(file)) {
                headerLen = ByteBuffer.wrap(in.readNBytes(8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
            }
            offset = 8 + headerLen + t.begin();
            bytes = t.end() - t.begin();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ByteBuffer fill = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        while (fill.hasRemaining()) {
            fill.putFloat(value);
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(offset);
            raf.write(fill.array());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
