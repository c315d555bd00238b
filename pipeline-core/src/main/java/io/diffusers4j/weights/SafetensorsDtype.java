// safetensors dtype strings <-> DJL data types, and host-side widening of bfloat16.
package io.diffusers4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.util.List;

/** The dtype vocabulary of safetensors and how each one becomes a DJL tensor. */
public final class SafetensorsDtype {
    public static final List<String> NAMES = List.of("F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8",
            "BOOL", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2");

    private SafetensorsDtype() {
    }

    /** Bytes per element, or -1 for a dtype the format does not define. */
    public static int byteSize(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> -1;
        };
    }

    /** The safetensors name of a DJL dtype (for writing). */
    public static String name(DataType type) {
        return switch (type) {
            case FLOAT64 -> "F64";
            case FLOAT32 -> "F32";
            case FLOAT16 -> "F16";
            case INT64 -> "I64";
            case INT32 -> "I32";
            case INT8 -> "I8";
            case UINT8 -> "U8";
            case BOOLEAN -> "BOOL";
            default -> throw new IllegalArgumentException("cannot write dtype " + type + " to safetensors");
        };
    }

    /** The DJL dtype a stored dtype is read as (bfloat16 is read as float32). */
    public static DataType djlType(String dtype, TensorInfo where) {
        return switch (dtype) {
            case "F64" -> DataType.FLOAT64;
            case "F32", "BF16" -> DataType.FLOAT32;
            case "F16" -> DataType.FLOAT16;
            case "I64" -> DataType.INT64;
            case "I32" -> DataType.INT32;
            case "I8" -> DataType.INT8;
            case "U8" -> DataType.UINT8;
            case "BOOL" -> DataType.BOOLEAN;
            default -> throw new SafetensorsException(where.file(), where.name(),
                    "dtype " + dtype + " is not supported for loading (supported: F64 F32 F16 BF16 I64 I32 I8 U8 BOOL)");
        };
    }

    /** bfloat16 bits -> float32 bits ({@code bits << 16}), into a native-order direct buffer. */
    public static ByteBuffer widenBf16(ByteBuffer bf16) {
        ByteBuffer src = bf16.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = src.remaining() / 2;
        ByteBuffer out = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
        for (int i = 0; i < n; i++) {
            out.putInt(i * 4, (src.getShort(src.position() + i * 2) & 0xffff) << 16);
        }
        return out;
    }

    /** Creates a tensor from little-endian bytes, widening BF16 and casting floats to {@code target}. */
    public static NDArray toNDArray(ByteBuffer bytes, TensorInfo info, NDManager manager, DataType target) {
        if (target == DataType.BFLOAT16) {
            throw new IllegalArgumentException("bfloat16 tensors are not supported by DJL 0.36 (it aborts the JVM); "
                    + "use float32 or float16");
        }
        DataType stored = djlType(info.dtype(), info);
        ByteBuffer data = info.dtype().equals("BF16") ? widenBf16(bytes) : nativeOrder(bytes);
        Shape shape = new Shape(info.shape());
        NDArray raw = manager.create(data, shape, stored);
        if (target == null || target == stored || !stored.isFloating() || !target.isFloating()) {
            if (data instanceof MappedByteBuffer mapped && !raw.getDevice().isGpu()) {
                // on the CPU libtorch reads this tensor straight from the file mapping (from_blob, no copy)
                MappedWeights.register(raw, mapped);
            }
            return raw;
        }
        NDArray cast = raw.toType(target, true);
        raw.close();
        return cast;
    }

    private static ByteBuffer nativeOrder(ByteBuffer bytes) {
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN && bytes.isDirect()) {
            return bytes.order(ByteOrder.nativeOrder());
        }
        ByteBuffer src = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocateDirect(src.remaining()).order(ByteOrder.nativeOrder());
        out.put(src);
        out.flip();
        return out;
    }
}
