// Test helpers that write safetensors files byte by byte (valid ones through SafetensorsWriter, broken ones raw).
package io.diffusers4j.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

final class StFiles {
    private StFiles() {
    }

    /** Writes {@code len} as the 8-byte prefix, then {@code header} bytes, then {@code data}. */
    static Path raw(Path file, long len, byte[] header, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(len).put(header).put(data);
        Files.write(file, b.array());
        return file;
    }

    /** A file whose header is {@code json} (length prefix correct) followed by {@code dataBytes} zero bytes. */
    static Path withHeader(Path file, String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return raw(file, h.length, h, new byte[dataBytes]);
    }

    /** A float32 tensor entry with the given values. */
    static SafetensorsWriter.Entry f32(String name, long[] shape, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        b.flip();
        return new SafetensorsWriter.Entry(name, "F32", shape, b);
    }

    static Path write(Path file, List<SafetensorsWriter.Entry> entries) throws IOException {
        SafetensorsWriter.writeEntries(file, entries, Map.of("format", "pt"));
        return file;
    }
}
