// Writer -> reader round trips for every dtype the pipeline uses (BF16 widened to F32 on the host).
package io.diffusers4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SafetensorsRoundTripTest {
    private static NDManager manager;

    @TempDir
    Path tmp;

    @BeforeAll
    static void engine() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @Test
    void float32Float16Int64Int32RoundTripExactly() throws Exception {
        float[] f = {0f, -1.5f, 3.25f, 0.0009765625f, -65504f, 7f};
        long[] l = {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE, 1L << 40};
        int[] i = {Integer.MIN_VALUE, -7, 0, 7, Integer.MAX_VALUE, 12345};
        Map<String, NDArray> in = new LinkedHashMap<>();
        in.put("f32", manager.create(f, new Shape(2, 3)));
        in.put("f16", manager.create(f, new Shape(3, 2)).toType(DataType.FLOAT16, false));
        in.put("i64", manager.create(l, new Shape(6)));
        in.put("i32", manager.create(i, new Shape(1, 6)));
        Path file = tmp.resolve("rt.safetensors");
        SafetensorsWriter.write(file, in, null, Map.of("format", "pt"));
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals("F32", st.info("f32").dtype());
            assertEquals("F16", st.info("f16").dtype());
            assertEquals("I64", st.info("i64").dtype());
            assertEquals("I32", st.info("i32").dtype());
            NDArray f32 = st.load("f32", manager, null);
            assertEquals(new Shape(2, 3), f32.getShape());
            assertArrayEquals(f, f32.toFloatArray());
            NDArray f16 = st.load("f16", manager, null);
            assertEquals(DataType.FLOAT16, f16.getDataType());
            assertArrayEquals(f, f16.toType(DataType.FLOAT32, false).toFloatArray()); // all values exact in fp16
            assertArrayEquals(f, st.load("f16", manager, DataType.FLOAT32).toFloatArray());
            NDArray i64 = st.load("i64", manager, DataType.FLOAT32); // integers are never cast
            assertEquals(DataType.INT64, i64.getDataType());
            assertArrayEquals(l, i64.toLongArray());
            assertArrayEquals(i, st.load("i32", manager, null).toIntArray());
        }
    }

    @Test
    void bfloat16IsWidenedToFloat32OnTheHost() throws Exception {
        float[] values = {1f, -2.5f, 0.15625f, 3.0e38f, -1.0e-38f, Float.NEGATIVE_INFINITY};
        ByteBuffer bf16 = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        float[] expected = new float[values.length];
        for (int k = 0; k < values.length; k++) {
            short bits = (short) (Float.floatToRawIntBits(values[k]) >>> 16); // truncation, exact for these
            bf16.putShort(bits);
            expected[k] = Float.intBitsToFloat((bits & 0xffff) << 16);
        }
        bf16.flip();
        Path file = tmp.resolve("bf16.safetensors");
        StFiles.write(file, List.of(new SafetensorsWriter.Entry("w", "BF16", new long[] {2, 3}, bf16)));
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals("BF16", st.info("w").dtype());
            NDArray a = st.load("w", manager, DataType.FLOAT32);
            assertEquals(DataType.FLOAT32, a.getDataType());
            assertEquals(new Shape(2, 3), a.getShape());
            assertArrayEquals(expected, a.toFloatArray());
            assertEquals(DataType.FLOAT32, st.load("w", manager, null).getDataType());
            assertThrows(IllegalArgumentException.class, () -> st.load("w", manager, DataType.BFLOAT16));
        }
    }

    @Test
    void mapTensorSourceCopiesIntoTheRequestedManager() {
        NDArray w = manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
        MapTensorSource src = new MapTensorSource(Map.of("w", w), "override");
        assertEquals("F32", src.info("w").dtype());
        assertArrayEquals(new long[] {2, 2}, src.info("w").shape());
        try (NDManager sub = manager.newSubManager()) {
            NDArray loaded = src.load("w", sub, DataType.FLOAT16);
            assertEquals(DataType.FLOAT16, loaded.getDataType());
            assertEquals(sub, loaded.getManager());
            NDArray same = src.load("w", sub, DataType.FLOAT32);
            same.muli(10); // a copy: the source array is unchanged
        }
        assertArrayEquals(new float[] {1, 2, 3, 4}, w.toFloatArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> src.info("nope"));
        assertEquals("override: no tensor named 'nope'", e.getMessage());
    }
}
