// Malformed safetensors files: each must fail with a SafetensorsException naming the file (and the tensor).
package io.diffusers4j.weights;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsFileValidationTest {
    @TempDir
    Path tmp;

    private SafetensorsException fails(Path file, String... fragments) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file).close());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertEquals(file, e.file());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "expected '" + f + "' in: " + e.getMessage());
        }
        return e;
    }

    private SafetensorsException failsHeader(String json, int dataBytes, String... fragments) throws Exception {
        return fails(StFiles.withHeader(tmp.resolve("h.safetensors"), json, dataBytes), fragments);
    }

    private static String t(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    @Test
    void validFileOpensAndExposesMetadataAndInfos() throws Exception {
        Path f = StFiles.write(tmp.resolve("ok.safetensors"), List.of(
                StFiles.f32("a", new long[] {2, 2}, 1, 2, 3, 4), StFiles.f32("b", new long[] {}, 5),
                StFiles.f32("empty", new long[] {0, 3})));
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertEquals("pt", st.metadata().get("format"));
            assertEquals(3, st.keys().size());
            assertEquals(16, st.info("a").end() - st.info("a").begin());
            assertEquals(4, st.bytes("b").remaining());
            assertEquals(5f, st.bytes("b").getFloat(0));
            assertEquals(0, st.bytes("empty").remaining());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> st.info("zzz"));
            assertTrue(e.getMessage().contains("zzz") && e.getMessage().contains(f.toString()));
        }
    }

    @Test
    void missingTinyAndRandomFiles() throws Exception {
        fails(tmp.resolve("absent.safetensors"), "no such file");
        Path empty = Files.write(tmp.resolve("empty.safetensors"), new byte[0]);
        fails(empty, "too short");
        Files.write(empty, new byte[] {1, 2, 3});
        fails(empty, "too short");
        Random r = new Random(42);
        for (int i = 0; i < 50; i++) {
            byte[] b = new byte[1 + r.nextInt(4096)];
            r.nextBytes(b);
            if (i % 2 == 0 && b.length > 8) { // a plausible length prefix followed by garbage
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, r.nextInt(b.length - 8 + 1));
            }
            fails(Files.write(tmp.resolve("rand" + i + ".safetensors"), b));
        }
    }

    @Test
    void everyTruncationOfAValidFileIsRefused() throws Exception {
        Path f = StFiles.write(tmp.resolve("full.safetensors"), List.of(
                StFiles.f32("w", new long[] {3}, 1, 2, 3), StFiles.f32("x", new long[] {1}, 9)));
        byte[] all = Files.readAllBytes(f);
        Path cut = tmp.resolve("cut.safetensors");
        for (int n = 0; n < all.length; n++) {
            Files.write(cut, Arrays.copyOf(all, n));
            fails(cut);
        }
        // and one trailing byte too many
        Files.write(cut, Arrays.copyOf(all, all.length + 1));
        fails(cut, "trailing");
    }

    @Test
    void headerLengthBeyondFileOrTooSmall() throws Exception {
        byte[] h = "{}".getBytes(StandardCharsets.UTF_8);
        fails(StFiles.raw(tmp.resolve("a.safetensors"), 1000, h, new byte[0]), "does not fit", "1000");
        fails(StFiles.raw(tmp.resolve("b.safetensors"), 1, h, new byte[0]), "does not fit");
        fails(StFiles.raw(tmp.resolve("c.safetensors"), -5, h, new byte[0]), "exceeds");
        fails(StFiles.raw(tmp.resolve("d.safetensors"), Long.MAX_VALUE, h, new byte[0]), "exceeds");
    }

    @Test
    void hugeHeaderIsRefusedQuicklyWithoutReadingIt() throws Exception {
        Path f = tmp.resolve("huge.safetensors");
        long headerLen = 150L * 1000 * 1000;
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(8 + headerLen); // sparse: nothing written but the prefix
            byte[] prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLen).array();
            raf.write(prefix);
        }
        long t0 = System.nanoTime();
        fails(f, "exceeds the 100000000-byte limit");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 500, "took " + ms + " ms");
    }

    @Test
    void offsetsOverlapGapOutOfRange() throws Exception {
        failsHeader("{" + t("a", "\"F32\"", "[2]", "[0,8]") + "," + t("b", "\"F32\"", "[2]", "[4,12]") + "}", 12,
                "tensor 'b'", "overlap tensor 'a'");
        failsHeader("{" + t("a", "\"F32\"", "[1]", "[0,4]") + "," + t("b", "\"F32\"", "[1]", "[8,12]") + "}", 12,
                "tensor 'b'", "gap");
        failsHeader("{" + t("a", "\"F32\"", "[1]", "[4,8]") + "}", 8, "tensor 'a'", "gap");
        failsHeader("{" + t("a", "\"F32\"", "[2]", "[0,8]") + "}", 4, "tensor 'a'", "out of range");
        failsHeader("{" + t("a", "\"F32\"", "[0]", "[8,4]") + "}", 8, "tensor 'a'", "out of range");
        failsHeader("{" + t("a", "\"F32\"", "[2]", "[0,8,9]") + "}", 8, "tensor 'a'", "2 entries");
        failsHeader("{" + t("a", "\"F32\"", "[1]", "[0,4]") + "}", 6, "cover 4 bytes", "6");
    }

    @Test
    void elementCountAndByteSizeOverflow() throws Exception {
        failsHeader("{" + t("big", "\"F32\"", "[4294967296,4294967296]", "[0,4]") + "}", 4,
                "tensor 'big'", "64 bits");
        failsHeader("{" + t("big", "\"F32\"", "[4611686018427387904]", "[0,4]") + "}", 4,
                "tensor 'big'", "overflows");
        failsHeader("{" + t("big", "\"F32\"", "[18446744073709551617]", "[0,4]") + "}", 4,
                "tensor 'big'", "63 bits");
        failsHeader("{" + t("big", "\"F32\"", "[1]", "[0,99999999999999999999]") + "}", 4, "tensor 'big'");
    }

    @Test
    void wrongDtypes() throws Exception {
        failsHeader("{" + t("a", "\"F33\"", "[1]", "[0,4]") + "}", 4, "tensor 'a'", "unknown dtype 'F33'");
        failsHeader("{" + t("a", "\"f32\"", "[1]", "[0,4]") + "}", 4, "tensor 'a'", "unknown dtype");
        failsHeader("{" + t("a", "5", "[1]", "[0,4]") + "}", 4, "tensor 'a'", "'dtype' is not a string");
        failsHeader("{" + t("a", "null", "[1]", "[0,4]") + "}", 4, "tensor 'a'", "'dtype'");
        failsHeader("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "tensor 'a'", "missing 'dtype'");
        failsHeader("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "tensor 'a'", "missing 'shape'");
        failsHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "tensor 'a'", "missing 'data_offsets'");
    }

    @Test
    void negativeFloatAndNonNumericDims() throws Exception {
        for (String dim : new String[] {"-1", "2.5", "2.0", "1e2", "-0", "\"2\"", "true", "null", "[2]", "{}"}) {
            failsHeader("{" + t("a", "\"F32\"", "[" + dim + "]", "[0,8]") + "}", 8, "tensor 'a'", "'shape'");
        }
        failsHeader("{" + t("a", "\"F32\"", "2", "[0,8]") + "}", 8, "tensor 'a'", "not an array");
        failsHeader("{" + t("a", "\"F32\"", "[2]", "[0,8.0]") + "}", 8, "tensor 'a'", "'data_offsets'");
        failsHeader("{" + t("a", "\"F32\"", "[2]", "[-0,8]") + "}", 8, "tensor 'a'", "'data_offsets'");
    }

    @Test
    void dtypeShapeByteCountMismatch() throws Exception {
        failsHeader("{" + t("w", "\"F32\"", "[2,2]", "[0,12]") + "}", 12, "tensor 'w'", "holds 12 bytes",
                "need 16");
        failsHeader("{" + t("w", "\"F16\"", "[3]", "[0,12]") + "}", 12, "tensor 'w'", "need 6");
        failsHeader("{" + t("w", "\"I64\"", "[]", "[0,4]") + "}", 4, "tensor 'w'", "need 8");
    }

    @Test
    void notUtf8NotJsonLenientJsonAndWrongStructure() throws Exception {
        byte[] bad = {'{', '"', (byte) 0xff, (byte) 0xfe, '"', ':', '1', '}'};
        fails(StFiles.raw(tmp.resolve("utf.safetensors"), bad.length, bad, new byte[0]), "UTF-8");
        failsHeader("not json", 0, "does not start with '{'");
        failsHeader(" {}", 0, "does not start with '{'");
        failsHeader("[]", 0, "does not start with '{'");
        failsHeader("{abc", 0, "not valid JSON");
        failsHeader("{\"a\":", 0, "not valid JSON");
        failsHeader("{'a':{}}", 0, "not valid JSON");
        failsHeader("{a:{}}", 0, "not valid JSON");
        failsHeader("{} {}", 0);
        failsHeader("{}x", 0);
        failsHeader("{/*c*/}", 0, "not valid JSON");
        failsHeader("{\"a\":1}", 0, "tensor 'a'", "not an object");
        failsHeader("{\"__metadata__\":{\"k\":1}}", 0, "__metadata__", "'k'");
        failsHeader("{\"__metadata__\":[]}", 0, "__metadata__");
        failsHeader("{" + t("a", "\"F32\"", "[1]", "[0,4]") + "," + t("a", "\"F32\"", "[1]", "[0,4]") + "}", 4,
                "tensor 'a'", "twice");
        failsHeader("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                "tensor 'a'", "twice");
    }

    @Test
    void deeplyNestedJsonIsRefusedBeforeParsing() throws Exception {
        String deep = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":"
                + "[".repeat(200_000) + "]".repeat(200_000) + "}}";
        failsHeader(deep, 4, "nested deeper");
        // unknown fields of ordinary depth are ignored, like the reference reader does
        Path ok = StFiles.withHeader(tmp.resolve("unk.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":{\"y\":[1]}}}", 4);
        try (SafetensorsFile st = SafetensorsFile.open(ok)) {
            assertEquals(1, st.keys().size());
        }
    }

    @Test
    void paddedHeaderAndNullMetadataAreAccepted() throws Exception {
        Path ok = StFiles.withHeader(tmp.resolve("pad.safetensors"),
                "{\"__metadata__\":null," + t("a", "\"BF16\"", "[2]", "[0,4]") + "}      ", 4);
        try (SafetensorsFile st = SafetensorsFile.open(ok)) {
            assertTrue(st.metadata().isEmpty());
            assertEquals("BF16", st.info("a").dtype());
        }
    }
}
