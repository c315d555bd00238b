// Reader of the safetensors format (huggingface/safetensors): strict header validation, memory-mapped data.
package io.diffusers4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import io.diffusers4j.utils.JsonLimits;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length, a UTF-8 JSON header mapping names to
 * {@code {dtype, shape, data_offsets}}, then the raw little-endian data. The header is validated completely on
 * open (every error names the file and the tensor); tensor bytes are memory-mapped only when loaded.
 */
public final class SafetensorsFile implements TensorSource {
    /** Headers above this size are refused (the format's own reference implementation uses 100 MB). */
    public static final long MAX_HEADER_BYTES = 100L * 1000 * 1000;
    /** A valid header nests 3 levels (root, tensor entry, shape); deeper input is refused before parsing. */
    static final int MAX_HEADER_DEPTH = 8;
    /** Highest tensor rank accepted (the reference has no limit; real checkpoints stay below 8). */
    static final int MAX_RANK = 64;
    private static final Pattern UNSIGNED_INT = Pattern.compile("0|[1-9][0-9]*");

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
            throw new SafetensorsException(file, "cannot open: " + (e instanceof NoSuchFileException
                    ? "no such file" : e.toString()), e);
        }
        try {
            long size = ch.size();
            if (size < 8) {
                throw new SafetensorsException(file, "file is " + size + " bytes, too short for a safetensors header");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file);
            long headerLen = lenBuf.getLong(0);
            // checked before anything is allocated, in the reference reader's order (too large, then too long)
            if (Long.compareUnsigned(headerLen, MAX_HEADER_BYTES) > 0) {
                throw new SafetensorsException(file, "header length " + Long.toUnsignedString(headerLen)
                        + " exceeds the " + MAX_HEADER_BYTES + "-byte limit");
            }
            if (headerLen < 2 || headerLen > size - 8) {
                throw new SafetensorsException(file, "header length " + headerLen + " does not fit in a file of "
                        + size + " bytes");
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

    /**
     * Parses and validates a header with a strict streaming JSON reader (no leniency, no duplicate names, nesting
     * bounded before parsing); exposed for fuzz tests.
     */
    static Map<String, TensorInfo> parseHeader(String json, long dataLen, Path file, Map<String, String> metadataOut) {
        if (json.isEmpty() || json.charAt(0) != '{') {
            throw new SafetensorsException(file, "header does not start with '{' (not a safetensors file?)");
        }
        checkDepth(json, file);
        Map<String, TensorInfo> out = new LinkedHashMap<>();
        try (JsonReader r = new JsonReader(new StringReader(json))) {
            r.setStrictness(Strictness.STRICT);
            r.beginObject();
            boolean sawMetadata = false;
            while (r.hasNext()) {
                String name = r.nextName();
                if (name.equals("__metadata__")) {
                    if (sawMetadata) {
                        throw new SafetensorsException(file, "__metadata__ appears twice in the header");
                    }
                    sawMetadata = true;
                    readMetadata(r, file, metadataOut);
                    continue;
                }
                if (out.containsKey(name)) {
                    throw new SafetensorsException(file, name, "tensor name appears twice in the header");
                }
                out.put(name, readEntry(r, name, dataLen, file));
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new SafetensorsException(file, "header has content after its JSON object");
            }
        } catch (SafetensorsException e) {
            throw e;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw new SafetensorsException(file, "header is not valid JSON: " + shortMessage(e));
        }
        checkLayout(out, dataLen, file);
        return Collections.unmodifiableMap(out);
    }

    private static void readMetadata(JsonReader r, Path file, Map<String, String> metadataOut) throws IOException {
        if (r.peek() == JsonToken.NULL) {
            r.nextNull();
            return;
        }
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
            throw new SafetensorsException(file, "__metadata__ is not an object but " + r.peek());
        }
        r.beginObject();
        while (r.hasNext()) {
            String key = r.nextName();
            if (r.peek() != JsonToken.STRING) {
                throw new SafetensorsException(file, "__metadata__ value of '" + key + "' is not a string but "
                        + r.peek());
            }
            if (metadataOut.put(key, r.nextString()) != null) {
                throw new SafetensorsException(file, "__metadata__ key '" + key + "' appears twice");
            }
        }
        r.endObject();
    }

    private static TensorInfo readEntry(JsonReader r, String name, long dataLen, Path file) throws IOException {
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
            throw new SafetensorsException(file, name, "entry is not an object but " + r.peek());
        }
        String dtype = null;
        long[] shape = null;
        long[] offsets = null;
        r.beginObject();
        while (r.hasNext()) {
            String field = r.nextName();
            switch (field) {
                case "dtype" -> {
                    if (dtype != null) {
                        throw new SafetensorsException(file, name, "'dtype' appears twice");
                    }
                    if (r.peek() != JsonToken.STRING) {
                        throw new SafetensorsException(file, name, "'dtype' is not a string but " + r.peek());
                    }
                    dtype = r.nextString();
                }
                case "shape" -> {
                    if (shape != null) {
                        throw new SafetensorsException(file, name, "'shape' appears twice");
                    }
                    shape = longArray(r, "shape", name, file);
                }
                case "data_offsets" -> {
                    if (offsets != null) {
                        throw new SafetensorsException(file, name, "'data_offsets' appears twice");
                    }
                    offsets = longArray(r, "data_offsets", name, file);
                }
                default -> r.skipValue(); // the reference reader ignores unknown fields too
            }
        }
        r.endObject();
        if (dtype == null) {
            throw new SafetensorsException(file, name, "missing 'dtype'");
        }
        if (shape == null) {
            throw new SafetensorsException(file, name, "missing 'shape'");
        }
        if (offsets == null) {
            throw new SafetensorsException(file, name, "missing 'data_offsets'");
        }
        int elemSize = SafetensorsDtype.byteSize(dtype);
        if (elemSize < 0) {
            throw new SafetensorsException(file, name, "unknown dtype '" + abbreviate(dtype) + "' (known: "
                    + SafetensorsDtype.NAMES + ")");
        }
        if (offsets.length != 2) {
            throw new SafetensorsException(file, name, "data_offsets must have 2 entries, got " + offsets.length);
        }
        long numel = 1;
        for (long d : shape) {
            try {
                numel = Math.multiplyExact(numel, d);
            } catch (ArithmeticException e) {
                throw new SafetensorsException(file, name, "shape " + Arrays.toString(shape)
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
            throw new SafetensorsException(file, name, "byte size overflows for dtype " + dtype + " and shape "
                    + Arrays.toString(shape));
        }
        if (end - begin != expected) {
            throw new SafetensorsException(file, name, "holds " + (end - begin) + " bytes but dtype " + dtype
                    + " and shape " + Arrays.toString(shape) + " need " + expected);
        }
        return new TensorInfo(name, dtype, shape, begin, end, file);
    }

    /** Refuses nesting deeper than {@link #MAX_HEADER_DEPTH} before any parser (and its stack) sees it. */
    private static void checkDepth(String json, Path file) {
        if (JsonLimits.nestedDeeperThan(json, MAX_HEADER_DEPTH)) {
            throw new SafetensorsException(file, "header JSON is nested deeper than " + MAX_HEADER_DEPTH + " levels");
        }
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

    /** A JSON array of non-negative integers written as plain digits (no sign, fraction or exponent). */
    private static long[] longArray(JsonReader r, String field, String name, Path file) throws IOException {
        if (r.peek() != JsonToken.BEGIN_ARRAY) {
            throw new SafetensorsException(file, name, "'" + field + "' is not an array but " + r.peek());
        }
        long[] out = new long[4];
        int n = 0;
        r.beginArray();
        while (r.hasNext()) {
            if (n == MAX_RANK) {
                throw new SafetensorsException(file, name, "'" + field + "' has more than " + MAX_RANK + " entries");
            }
            if (r.peek() != JsonToken.NUMBER) {
                throw new SafetensorsException(file, name, "'" + field + "' entry " + n + " is not a number but "
                        + r.peek());
            }
            String literal = r.nextString();
            if (!UNSIGNED_INT.matcher(literal).matches()) {
                throw new SafetensorsException(file, name, "'" + field + "' entry " + abbreviate(literal)
                        + " is not a non-negative integer");
            }
            try {
                if (n == out.length) {
                    out = Arrays.copyOf(out, out.length * 2);
                }
                out[n++] = Long.parseLong(literal);
            } catch (NumberFormatException e) {
                throw new SafetensorsException(file, name, "'" + field + "' entry " + abbreviate(literal)
                        + " does not fit in 63 bits");
            }
        }
        r.endArray();
        return Arrays.copyOf(out, n);
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
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
        String m = String.valueOf(e.getMessage());
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
