// Hostile sizes in safetensors files: 100 MB headers and absurd claimed sizes, in bounded time and memory.
package io.diffusers4j.weights;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The header is the only part of a safetensors file read onto the heap, and it is capped at 100,000,000 bytes (the
 * reference implementation's limit). These tests write REAL (not sparse) files and measure the reading thread's
 * heap allocation ({@code com.sun.management.ThreadMXBean}) and wall time:
 * <ul>
 *   <li>a 100 MiB JSON header is refused from its 8-byte length prefix: nothing of it is read;</li>
 *   <li>a header just under the cap whose content is hostile (a 99.9 MB string, then a shape overflowing 64 bits)
 *       is parsed in bounded time, allocating a small constant times the header, and refused with the tensor
 *       named;</li>
 *   <li>shapes and offsets claiming terabytes allocate nothing of what they claim.</li>
 * </ul>
 */
class SafetensorsHostileSizesTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @TempDir
    Path tmp;

    /** Runs open() and returns [allocated bytes, elapsed ms, the exception]. */
    private static Object[] measureRefusal(Path file) {
        long id = Thread.currentThread().getId();
        long a0 = THREADS.getThreadAllocatedBytes(id);
        long t0 = System.nanoTime();
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file).close());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long allocated = THREADS.getThreadAllocatedBytes(id) - a0;
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        return new Object[] {allocated, ms, e};
    }

    /** A file of an 8-byte length prefix, then the header text streamed from parts (one repeated), then data. */
    private static Path write(Path file, long declaredLength, String head, char fill, long fillCount, String tail,
                              int dataBytes) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(declaredLength).array());
            out.write(head.getBytes(StandardCharsets.UTF_8));
            byte[] block = new byte[1 << 20];
            Arrays.fill(block, (byte) fill);
            for (long left = fillCount; left > 0; left -= block.length) {
                out.write(block, 0, (int) Math.min(block.length, left));
            }
            out.write(tail.getBytes(StandardCharsets.UTF_8));
            out.write(new byte[dataBytes]);
        }
        return file;
    }

    @Test
    void aHundredMegabyteHeaderIsRefusedWithoutReadingIt() throws Exception {
        long headerLen = 100L << 20; // 100 MiB > the 100,000,000-byte cap
        String head = "{\"__metadata__\":{\"k\":\"";
        String tail = "\"}}";
        Path f = write(tmp.resolve("mib.safetensors"), headerLen, head, 'a', headerLen - head.length() - tail.length(),
                tail, 0);
        assertEquals(8 + headerLen, Files.size(f));
        Object[] r = measureRefusal(f);
        assertTrue(((Exception) r[2]).getMessage().contains("exceeds the 100000000-byte limit"), r[2].toString());
        assertTrue((long) r[0] < 1 << 20, "allocated " + r[0] + " bytes");
        assertTrue((long) r[1] < 1000, r[1] + " ms");
        Files.delete(f);
    }

    @Test
    void aHostileHeaderJustUnderTheCapFailsInBoundedTimeAndMemory() throws Exception {
        String head = "{\"__metadata__\":{\"k\":\"";
        String tail = "\"},\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}";
        long headerLen = SafetensorsFile.MAX_HEADER_BYTES - 64;
        Path f = write(tmp.resolve("near-cap.safetensors"), headerLen, head, 'a',
                headerLen - head.length() - tail.length(), tail, 4);
        Object[] r = measureRefusal(f);
        String m = ((Exception) r[2]).getMessage();
        assertTrue(m.contains("tensor 't'") && m.contains("64 bits"), m);
        long allocated = (long) r[0];
        System.out.printf("near-cap header: %d MB header, refused in %d ms, %d MB allocated%n", headerLen / 1_000_000,
                (long) r[1], allocated / 1_000_000);
        assertTrue(allocated < 12 * headerLen, "allocated " + allocated / (1 << 20) + " MiB for a "
                + headerLen / (1 << 20) + " MiB header");
        assertTrue((long) r[1] < 15_000, r[1] + " ms");
        Files.delete(f);
    }

    @Test
    void claimedTerabytesAllocateNothing() throws Exception {
        String[] headers = {
            "{\"t\":{\"dtype\":\"F64\",\"shape\":[1099511627776],\"data_offsets\":[0,8796093022208]}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,4]}}",
            "{\"t\":{\"dtype\":\"U8\",\"shape\":[" + "2,".repeat(63) + "2],\"data_offsets\":[0,4]}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[9223372036854775800,9223372036854775804]}}",
        };
        for (int i = 0; i < headers.length; i++) {
            Path f = StFiles.withHeader(tmp.resolve("tb" + i + ".safetensors"), headers[i], 4);
            Object[] r = measureRefusal(f);
            assertTrue((long) r[0] < 1 << 20, headers[i] + ": allocated " + r[0]);
            assertTrue(((Exception) r[2]).getMessage().contains("tensor 't'"), r[2].toString());
        }
    }
}
