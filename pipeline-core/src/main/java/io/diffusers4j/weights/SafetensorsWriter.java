// Writer of the safetensors format, laid out like the reference implementation (sorted, 8-byte padded header).
package io.diffusers4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.diffusers4j.utils.AtomicFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** Writes named tensors to a {@code .safetensors} file, atomically (temp file + rename). */
public final class SafetensorsWriter {
    /** One tensor to write: its safetensors dtype, shape and little-endian bytes. */
    public record Entry(String name, String dtype, long[] shape, ByteBuffer data) {
        public static Entry of(String name, NDArray array, DataType as) {
            NDArray a = as == null || array.getDataType() == as ? array : array.toType(as, true);
            ByteBuffer bytes = a.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            Entry e = new Entry(name, SafetensorsDtype.name(a.getDataType()), a.getShape().getShape(), bytes);
            if (a != array) {
                a.close();
            }
            return e;
        }
    }

    private SafetensorsWriter() {
    }

    public static void write(Path file, Map<String, NDArray> tensors, DataType as, Map<String, String> metadata)
            throws IOException {
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            entries.add(Entry.of(e.getKey(), e.getValue(), as));
        }
        writeEntries(file, entries, metadata);
    }

    /** Tensors are stored larger dtypes first, then by name, as the reference writer orders them. */
    public static void writeEntries(Path file, List<Entry> entries, Map<String, String> metadata) throws IOException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingInt((Entry e) -> -SafetensorsDtype.byteSize(e.dtype()))
                .thenComparing(Entry::name));
        JsonObject header = new JsonObject();
        if (metadata != null && !metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        for (Entry e : sorted) {
            long len = e.data().remaining();
            JsonObject t = new JsonObject();
            t.addProperty("dtype", e.dtype());
            JsonArray shape = new JsonArray();
            for (long d : e.shape()) {
                shape.add(d);
            }
            t.add("shape", shape);
            JsonArray offs = new JsonArray();
            offs.add(offset);
            offs.add(offset + len);
            t.add("data_offsets", offs);
            header.add(e.name(), t);
            offset += len;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = new byte[padded];
        System.arraycopy(json, 0, headerBytes, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            headerBytes[i] = ' ';
        }
        AtomicFiles.write(file, out -> {
            WritableByteChannel ch = Channels.newChannel(out);
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            len.flip();
            ch.write(len);
            ch.write(ByteBuffer.wrap(headerBytes));
            for (Entry e : sorted) {
                ByteBuffer d = e.data().duplicate();
                while (d.hasRemaining()) {
                    ch.write(d);
                }
            }
        });
    }
}
