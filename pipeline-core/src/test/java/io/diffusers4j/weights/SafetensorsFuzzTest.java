// Fuzz test of the safetensors reader: generated and mutated headers/files never escape as other exception types.
package io.diffusers4j.weights;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A few thousand seeded cases: valid files, byte flips, truncations, wrong length prefixes, header token
 * substitutions/insertions/deletions and random JSON. Each open() must either succeed (twice, identically, with
 * every tensor's byte range consistent) or throw SafetensorsException / IllegalArgumentException: never another
 * exception type, an OutOfMemoryError, or a hang (the whole run is bounded in time).
 */
class SafetensorsFuzzTest {
    private static final String[] FRAGMENTS = {"-1", "1.5", "1e400", "-0", "18446744073709551616",
        "9223372036854775807", "4294967296", "null", "true", "[]", "{}", "\"F32\"", "\"BF16\"", "\"I64\"", "\"XX\"",
        "\"\\ud800\"", "[0,4]", "[[[[", "}}}}", ",", ":", "\"", "\\", "NaN", "0x10", "\u00e9", "\uffff", "\"shape\"",
        "\"data_offsets\"", "\"__metadata__\"", "{\"a\":1}", "[1,2,3]", "0", "01", " ", "\n", "\u0000"};
    private static final String[] KEYS = {"dtype", "shape", "data_offsets", "__metadata__", "a", "b", "format"};

    @TempDir
    Path tmp;

    @Test
    void generatedAndMutatedFilesOpenConsistentlyOrFailCleanly() {
        Random r = new Random(0x5AFE7E45L);
        Path file = tmp.resolve("fuzz.safetensors");
        int[] counts = new int[2]; // [cases, successes]
        long deadline = System.nanoTime() + Duration.ofSeconds(8).toNanos();
        assertTimeoutPreemptively(Duration.ofSeconds(40), () -> {
            while (counts[0] < 4000 && System.nanoTime() < deadline) {
                byte[] bytes = generate(r);
                Files.write(file, bytes);
                String first = attempt(file, bytes);
                String second = attempt(file, bytes);
                assertEquals(first, second, "open() is not deterministic");
                counts[0]++;
                if (first.startsWith("OK")) {
                    counts[1]++;
                }
            }
        });
        assertTrue(counts[0] >= 1000, "only " + counts[0] + " cases ran");
        assertTrue(counts[1] > counts[0] / 20 && counts[1] < counts[0], counts[1] + " of " + counts[0] + " opened");
    }

    /** The outcome of open(): the tensor table when it succeeds, the message when it fails cleanly. */
    private static String attempt(Path file, byte[] bytes) {
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            StringBuilder b = new StringBuilder("OK");
            List<TensorInfo> infos = new ArrayList<>();
            for (String k : st.keys()) {
                TensorInfo t = st.info(k);
                infos.add(t);
                long need = Math.multiplyExact(t.numel(), SafetensorsDtype.byteSize(t.dtype()));
                assertEquals(need, t.end() - t.begin(), k);
                assertEquals(need, st.bytes(k).remaining(), k);
                b.append(' ').append(k).append(t.dtype()).append(Arrays.toString(t.shape())).append(t.begin());
            }
            infos.sort(Comparator.comparingLong(TensorInfo::begin));
            long pos = 0;
            for (TensorInfo t : infos) {
                assertEquals(pos, t.begin(), "tensors must tile the data section");
                pos = t.end();
            }
            return b.toString();
        } catch (SafetensorsException e) {
            assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
            return "ERR " + e.getMessage();
        } catch (IllegalArgumentException e) {
            return "IAE " + e.getMessage();
        } catch (Throwable e) {
            fail("open() threw " + e + " for input " + preview(bytes), e);
            return null;
        }
    }

    private static String preview(byte[] b) {
        String s = new String(b, StandardCharsets.ISO_8859_1);
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    private static byte[] generate(Random r) {
        int kind = r.nextInt(10);
        if (kind == 9) {
            return file(randomJson(r, 0).getBytes(StandardCharsets.UTF_8), r.nextInt(16));
        }
        byte[] valid = validFile(r);
        return switch (kind) {
            case 0, 1 -> valid;
            case 2 -> flipBytes(valid, r);
            case 3 -> Arrays.copyOf(valid, r.nextInt(valid.length + 1));
            case 4 -> {
                byte[] out = Arrays.copyOf(valid, valid.length + 1 + r.nextInt(8));
                out[out.length - 1] = (byte) r.nextInt();
                yield out;
            }
            case 5 -> {
                long len = ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
                long newLen = r.nextBoolean() ? len + r.nextInt(9) - 4 : r.nextLong();
                ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).putLong(0, newLen);
                yield valid;
            }
            default -> mutateHeader(valid, r);
        };
    }

    /** A valid file: 0-4 tensors of random dtype and small shape, contiguous, optional metadata. */
    private static byte[] validFile(Random r) {
        StringBuilder h = new StringBuilder("{");
        if (r.nextBoolean()) {
            h.append("\"__metadata__\":{\"format\":\"pt\"}");
        }
        int n = r.nextInt(5);
        long offset = 0;
        for (int i = 0; i < n; i++) {
            String dtype = SafetensorsDtype.NAMES.get(r.nextInt(SafetensorsDtype.NAMES.size()));
            int rank = r.nextInt(4);
            long numel = 1;
            StringBuilder shape = new StringBuilder("[");
            for (int d = 0; d < rank; d++) {
                int dim = r.nextInt(4);
                numel *= dim;
                shape.append(d == 0 ? "" : ",").append(dim);
            }
            shape.append(']');
            long len = numel * SafetensorsDtype.byteSize(dtype);
            if (h.length() > 1) {
                h.append(',');
            }
            h.append("\"t").append(i).append("\":{\"dtype\":\"").append(dtype).append("\",\"shape\":").append(shape)
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + len).append("]}");
            offset += len;
        }
        h.append('}');
        int pad = r.nextInt(8);
        h.append(" ".repeat(pad));
        return file(h.toString().getBytes(StandardCharsets.UTF_8), (int) offset);
    }

    private static byte[] file(byte[] header, int dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        return b.array();
    }

    private static byte[] flipBytes(byte[] in, Random r) {
        byte[] out = in.clone();
        int flips = 1 + r.nextInt(5);
        for (int i = 0; i < flips; i++) {
            int pos = r.nextInt(out.length);
            out[pos] = r.nextBoolean() ? (byte) r.nextInt() : (byte) (out[pos] ^ (1 << r.nextInt(8)));
        }
        return out;
    }

    /** Substitutes, inserts or deletes header text, then rewrites a correct length prefix. */
    private static byte[] mutateHeader(byte[] valid, Random r) {
        int headerLen = (int) ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(valid, 8, headerLen, StandardCharsets.UTF_8);
        int dataLen = valid.length - 8 - headerLen;
        String frag = FRAGMENTS[r.nextInt(FRAGMENTS.length)];
        int a = r.nextInt(header.length() + 1);
        int b = Math.min(header.length(), a + r.nextInt(6));
        String mutated = switch (r.nextInt(3)) {
            case 0 -> header.substring(0, a) + frag + header.substring(b);
            case 1 -> header.substring(0, a) + frag + header.substring(a);
            default -> header.substring(0, a) + header.substring(b);
        };
        byte[] hb = mutated.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + hb.length + dataLen).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(hb.length).put(hb).put(valid, 8 + headerLen, dataLen);
        return out.array();
    }

    private static String randomJson(Random r, int depth) {
        int k = depth == 0 ? 0 : r.nextInt(depth > 4 ? 5 : 8);
        return switch (k) {
            case 0, 5 -> {
                StringBuilder b = new StringBuilder("{");
                int n = r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    b.append(i == 0 ? "" : ",").append('"').append(KEYS[r.nextInt(KEYS.length)]).append("\":")
                            .append(randomJson(r, depth + 1));
                }
                yield b.append('}').toString();
            }
            case 1 -> "\"" + SafetensorsDtype.NAMES.get(r.nextInt(SafetensorsDtype.NAMES.size())) + "\"";
            case 2 -> Long.toString(r.nextInt(5) == 0 ? r.nextLong() : r.nextInt(20));
            case 3 -> FRAGMENTS[r.nextInt(FRAGMENTS.length)];
            default -> {
                StringBuilder b = new StringBuilder("[");
                int n = r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    b.append(i == 0 ? "" : ",").append(randomJson(r, depth + 1));
                }
                yield b.append(']').toString();
            }
        };
    }
}
