// NumPy .npy (format 1.0/2.0) reader and writer, the interchange format of diffusers' output_type="np".
package io.diffusers4j.utils;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads and writes little-endian, C-order .npy arrays of float32/float64/int64/int32/uint8/bool. */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** An array read from a .npy file: its numpy dtype descriptor, shape and raw little-endian data. */
    public record Array(String descr, long[] shape, ByteBuffer data) {
        public long size() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        /** The values as float32, converting from float64/int types. */
        public float[] floats() {
            int n = Math.toIntExact(size());
            float[] out = new float[n];
            ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            switch (descr) {
                case "<f4" -> b.asFloatBuffer().get(out);
                case "<f8" -> { for (int i = 0; i < n; i++) { out[i] = (float) b.getDouble(i * 8); } }
                case "<i8" -> { for (int i = 0; i < n; i++) { out[i] = b.getLong(i * 8); } }
                case "<i4" -> { for (int i = 0; i < n; i++) { out[i] = b.getInt(i * 4); } }
                default -> throw new IllegalArgumentException("cannot read npy dtype " + descr + " as float");
            }
            return out;
        }

        /** The values as float64. */
        public double[] doubles() {
            int n = Math.toIntExact(size());
            double[] out = new double[n];
            ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            switch (descr) {
                case "<f8" -> b.asDoubleBuffer().get(out);
                case "<f4" -> { for (int i = 0; i < n; i++) { out[i] = b.getFloat(i * 4); } }
                case "<i8" -> { for (int i = 0; i < n; i++) { out[i] = b.getLong(i * 8); } }
                case "<i4" -> { for (int i = 0; i < n; i++) { out[i] = b.getInt(i * 4); } }
                default -> throw new IllegalArgumentException("cannot read npy dtype " + descr + " as double");
            }
            return out;
        }

        /** The values as int64. */
        public long[] longs() {
            int n = Math.toIntExact(size());
            long[] out = new long[n];
            ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            switch (descr) {
                case "<i8" -> b.asLongBuffer().get(out);
                case "<i4" -> { for (int i = 0; i < n; i++) { out[i] = b.getInt(i * 4); } }
                default -> throw new IllegalArgumentException("cannot read npy dtype " + descr + " as int64");
            }
            return out;
        }
    }

    private Npy() {
    }

    public static Array read(Path file) throws IOException {
        return read(Files.readAllBytes(file), file.toString());
    }

    public static Array read(byte[] bytes, String source) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new IllegalArgumentException(source + ": not a .npy file (bad magic)");
        }
        int major = bytes[6];
        int headerLen;
        int headerStart;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(b.getShort(8));
            headerStart = 10;
        } else {
            headerLen = b.getInt(8);
            headerStart = 12;
        }
        if (headerLen < 0 || headerStart + headerLen > bytes.length) {
            throw new IllegalArgumentException(source + ": npy header length " + headerLen + " exceeds file");
        }
        String header = new String(bytes, headerStart, headerLen, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) {
            throw new IllegalArgumentException(source + ": unreadable npy header " + header.trim());
        }
        if (f.group(1).equals("True")) {
            throw new IllegalArgumentException(source + ": fortran-order npy arrays are not supported");
        }
        String descr = d.group(1).replace("|", "<");
        String[] parts = s.group(1).split(",");
        long[] shape = Arrays.stream(parts).map(String::trim).filter(p -> !p.isEmpty())
                .mapToLong(Long::parseLong).toArray();
        int dataStart = headerStart + headerLen;
        ByteBuffer data = ByteBuffer.wrap(bytes, dataStart, bytes.length - dataStart).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
        return new Array(descr, shape, data);
    }

    public static void writeFloat32(Path file, float[] values, long... shape) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(values);
        write(file, "<f4", shape, data.array());
    }

    public static void writeInt64(Path file, long[] values, long... shape) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        data.asLongBuffer().put(values);
        write(file, "<i8", shape, data.array());
    }

    /** Writes raw little-endian data with a version 1.0 header padded to 64 bytes, as numpy does. */
    public static void write(Path file, String descr, long[] shape, byte[] data) throws IOException {
        byte[] header = header(descr, shape);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(header);
            out.write(data);
        }
    }

    /**
     * The bytes before the data of a C-order array of {@code shape}: magic, version 1.0 and the header dict padded
     * to 64 bytes, as numpy writes them (for writing the data in parts after it).
     */
    public static byte[] header(String descr, long[] shape) {
        StringBuilder shapeText = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            shapeText.append(shape[i]).append(shape.length == 1 ? "," : (i + 1 < shape.length ? ", " : ""));
        }
        shapeText.append(")");
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shapeText + ", }";
        int unpadded = 10 + dict.length() + 1;
        int padding = (64 - unpadded % 64) % 64;
        String text = dict + " ".repeat(padding) + "\n";
        int len = text.length();
        ByteBuffer out = ByteBuffer.allocate(10 + len);
        out.put(MAGIC).put(new byte[] {1, 0, (byte) (len & 0xff), (byte) (len >> 8)});
        out.put(text.getBytes(StandardCharsets.ISO_8859_1));
        return out.array();
    }
}
