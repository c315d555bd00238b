// Reader of the safetensors format (huggingface/safetensors): strict header validation, memory-mapped data.
package io.diffusers4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length, a UTF-8 JSON header mapping names to
 * {@code {dtype, shape, data_offsets}}, then the raw little-endian data. The header is validated completely on
 * open (every error names the file and the tensor); tensor bytes are memory-mapped only when loaded.
 */
public final class SafetensorsFile implements TensorSource {
    /** Headers above this size are refused (the format's own reference implementation uses 100 MB). */
    public static final long MAX_HEADER_BYTES = 100L * 1000 * 1000;

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path file, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
                            Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and validates {@code file}; throws {@link SafetensorsException} naming the file and the tensor. */
    public static SafetensorsFile open(Path file) {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new SafetensorsException(file, "cannot open: " + e.getMessage(), e);
        }
        try {
            long size = ch.size();
            if (size < 8) {
                throw new SafetensorsException(file, "file is " + size + " bytes, too short for a safetensors header");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 2 || headerLen > size - 8) {
                throw new SafetensorsException(file, "header length " + Long.toUnsignedString(headerLen)
                        + " does not fit in a file of " + size + " bytes");
            }
            if (headerLen > MAX_HEADER_BYTES) {
                throw new SafetensorsException(file, "header length " + headerLen + " exceeds the "
                        + MAX_HEADER_BYTES + "-byte limit");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(ch, header, 8, file);
            header.flip();
            String json = decodeUtf8(header, file);
            long dataLen = size - 8 - headerLen;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(json, dataLen, file, metadata);
            return new SafetensorsFile(file, ch, 8 + headerLen, tensors, metadata);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new SafetensorsException(file, "read failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** Parses and validates a header; exposed for fuzz tests. */
    static Map<String, TensorInfo> parseHeader(String json, long dataLen, Path file, Map<String, String> metadataOut) {
        JsonObject root;
        try {
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) {
                throw new SafetensorsException(file, "header is not a JSON object");
            }
            root = e.getAsJsonObject();
        } catch (JsonParseException | StackOverflowError e) {
            throw new SafetensorsException(file, "header is not valid JSON: " + shortMessage(e));
        }
        Map<String, TensorInfo> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> entry : root.entrySet()) {
            String name = entry.getKey();
            JsonElement v = entry.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isJsonObject()) {
                    throw new SafetensorsException(file, "__metadata__ is not an object");
                }
                for (Map.Entry<String, JsonElement> m : v.getAsJsonObject().entrySet()) {
                    if (!m.getValue().isJsonPrimitive() || !m.getValue().getAsJsonPrimitive().isString()) {
                        throw new SafetensorsException(file, "__metadata__ value of '" + m.getKey()
                                + "' is not a string");
                    }
                    metadataOut.put(m.getKey(), m.getValue().getAsString());
                }
                continue;
            }
            out.put(name, parseEntry(name, v, dataLen, file));
        }
        checkLayout(out, dataLen, file);
        return Collections.unmodifiableMap(out);
    }

    private static TensorInfo parseEntry(String name, JsonElement v, long dataLen, Path file) {
        if (!v.isJsonObject()) {
            throw new SafetensorsException(file, name, "entry is not an object");
        }
        JsonObject o = v.getAsJsonObject();
        JsonElement dt = o.get("dtype");
        if (dt == null || !dt.isJsonPrimitive() || !dt.getAsJsonPrimitive().isString()) {
            throw new SafetensorsException(file, name, "missing or non-string 'dtype'");
        }
        String dtype = dt.getAsString();
        int elemSize = SafetensorsDtype.byteSize(dtype);
        if (elemSize < 0) {
            throw new SafetensorsException(file, name, "unknown dtype '" + dtype + "' (supported: "
                    + SafetensorsDtype.NAMES + ")");
        }
        long[] shape = longArray(o.get("shape"), "shape", name, file);
        long[] offsets = longArray(o.get("data_offsets"), "data_offsets", name, file);
        if (offsets.length != 2) {
            throw new SafetensorsException(file, name, "data_offsets must have 2 entries, got " + offsets.length);
        }
        long numel = 1;
        for (long d : shape) {
            try {
                numel = Math.multiplyExact(numel, d);
            } catch (ArithmeticException e) {
                throw new SafetensorsException(file, name, "shape " + java.util.Arrays.toString(shape)
                        + " has more elements than fit in 64 bits");
            }
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > dataLen) {
            throw new SafetensorsException(file, name, "data_offsets [" + begin + ", " + end
                    + "] out of range of the " + dataLen + "-byte data section");
        }
        long expected;
        try {
            expected = Math.multiplyExact(numel, elemSize);
        } catch (ArithmeticException e) {
            throw new SafetensorsException(file, name, "byte size overflows for shape "
                    + java.util.Arrays.toString(shape));
        }
        if (end - begin != expected) {
            throw new SafetensorsException(file, name, "holds " + (end - begin) + " bytes but dtype " + dtype
                    + " and shape " + java.util.Arrays.toString(shape) + " need " + expected);
        }
        return new TensorInfo(name, dtype, shape, begin, end, file);
    }

    /** Tensors must tile the data section exactly: sorted by offset, no overlap, no gap, nothing after. */
    private static void checkLayout(Map<String, TensorInfo> tensors, long dataLen, Path file) {
        List<TensorInfo> sorted = new ArrayList<>(tensors.values());
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long pos = 0;
        TensorInfo prev = null;
        for (TensorInfo t : sorted) {
            if (t.begin() < pos) {
                throw new SafetensorsException(file, t.name(), "data_offsets [" + t.begin() + ", " + t.end()
                        + "] overlap tensor '" + prev.name() + "' [" + prev.begin() + ", " + prev.end() + "]");
            }
            if (t.begin() > pos) {
                throw new SafetensorsException(file, t.name(), "data_offsets [" + t.begin() + ", " + t.end()
                        + "] leave a gap after byte " + pos);
            }
            pos = t.end();
            prev = t;
        }
        if (pos != dataLen) {
            throw new SafetensorsException(file, "tensors cover " + pos + " bytes but the data section has "
                    + dataLen + " (truncated or trailing bytes)");
        }
    }

    private static long[] longArray(JsonElement e, String field, String name, Path file) {
        if (e == null || !e.isJsonArray()) {
            throw new SafetensorsException(file, name, "missing or non-array '" + field + "'");
        }
        JsonArray a = e.getAsJsonArray();
        if (a.size() > 64) {
            throw new SafetensorsException(file, name, "'" + field + "' has " + a.size() + " entries");
        }
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement x = a.get(i);
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber()) {
                throw new SafetensorsException(file, name, "'" + field + "' entry " + x + " is not a number");
            }
            java.math.BigDecimal d;
            try {
                d = x.getAsBigDecimal();
            } catch (NumberFormatException ex) {
                throw new SafetensorsException(file, name, "'" + field + "' entry " + x + " is not a number");
            }
            if (d.signum() < 0 || d.scale() > 0 && d.stripTrailingZeros().scale() > 0
                    || d.compareTo(java.math.BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
                throw new SafetensorsException(file, name, "'" + field + "' entry " + x
                        + " is not a non-negative integer");
            }
            out[i] = d.longValueExact();
        }
        return out;
    }

    private static String decodeUtf8(ByteBuffer bytes, Path file) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file, "header is not valid UTF-8");
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path file) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) {
                throw new SafetensorsException(file, "unexpected end of file");
            }
        }
    }

    private static String shortMessage(Throwable e) {
        String m = e instanceof StackOverflowError ? "nested too deeply" : String.valueOf(e.getMessage());
        return m.length() > 200 ? m.substring(0, 200) + "..." : m;
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing useful to report: the original error is being thrown
        }
    }

    public Path file() {
        return file;
    }

    /** The {@code __metadata__} string map (for example {@code format: pt}). */
    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    @Override
    public Set<String> keys() {
        return new LinkedHashSet<>(tensors.keySet());
    }

    @Override
    public TensorInfo info(String key) {
        TensorInfo t = tensors.get(key);
        if (t == null) {
            throw new IllegalArgumentException(file + ": no tensor named '" + key + "'");
        }
        return t;
    }

    /** Maps the tensor's bytes (little-endian) without copying them onto the Java heap. */
    public ByteBuffer bytes(String key) {
        TensorInfo t = info(key);
        try {
            long len = t.end() - t.begin();
            if (len > Integer.MAX_VALUE) {
                throw new SafetensorsException(file, key, "tensor of " + len + " bytes exceeds 2 GiB");
            }
            if (len == 0) {
                return ByteBuffer.allocateDirect(0).order(ByteOrder.LITTLE_ENDIAN);
            }
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), len)
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new SafetensorsException(file, key, "cannot map data: " + e.getMessage(), e);
        }
    }

    @Override
    public NDArray load(String key, NDManager manager, DataType dtype) {
        TensorInfo t = info(key);
        return SafetensorsDtype.toNDArray(bytes(key), t, manager, dtype);
    }

    @Override
    public String describe() {
        return file.toString();
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }
}
