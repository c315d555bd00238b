// Port of apply_rope of diffusers 0.30.3's attention_processor.py, with the table EmbedND computes.
package io.diffusers4j.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * A rotary table ({@link EmbedND}) ready to rotate queries and keys laid out {@code [B, L, heads, head_dim]}: each
 * pair {@code (x[2k], x[2k+1])} becomes {@code (cos x[2k] - sin x[2k+1], sin x[2k] + cos x[2k+1])}, computed in float32
 * and cast back to the input dtype (diffusers' {@code apply_rope}: {@code xq.float()}, {@code .type_as(xq)}). Written
 * as {@code x * C + swap(x) * S} with {@code C = [c0, c0, c1, c1, ...]}, {@code S = [-s0, s0, -s1, s1, ...]} and
 * {@code swap} exchanging the two values of each pair: the same products and sums as diffusers', so float32
 * results agree to the last bit. The tables ({@code [rows, L, 1, head_dim]}, rows 1 or the batch) live in the
 * manager they were made in: make one per forward call.
 */
public final class RotaryEmbedding implements AutoCloseable {
    private final NDArray cosTable;
    private final NDArray sinTable;
    private final long rows;
    private final long length;
    private final int pairs;
    private final float[] cos;
    private final float[] sin;

    RotaryEmbedding(NDManager manager, long rows, long length, int pairs, float[] cos, float[] sin) {
        this.rows = rows;
        this.length = length;
        this.pairs = pairs;
        this.cos = cos;
        this.sin = sin;
        float[] c = new float[cos.length * 2];
        float[] s = new float[sin.length * 2];
        for (int i = 0; i < cos.length; i++) {
            c[2 * i] = cos[i];
            c[2 * i + 1] = cos[i];
            s[2 * i] = -sin[i];
            s[2 * i + 1] = sin[i];
        }
        Shape shape = new Shape(rows, length, 1, 2L * pairs);
        this.cosTable = manager.create(c, shape);
        this.sinTable = manager.create(s, shape);
    }

    /** Positions covered (text + image tokens). */
    public long length() {
        return length;
    }

    /**
     * {@code x [B, L, heads, head_dim]} rotated; the result has x's dtype and is in x's manager ({@code x} is left
     * as it is).
     */
    public NDArray apply(NDArray x) {
        Shape shape = x.getShape();
        if (shape.dimension() != 4 || shape.get(1) != length || shape.get(3) != 2L * pairs
                || (rows != 1 && shape.get(0) != rows)) {
            throw new IllegalArgumentException("rotary embedding of " + rows + " x " + length + " positions x "
                    + 2 * pairs + " channels cannot rotate an input of shape " + shape);
        }
        DataType dtype = x.getDataType();
        NDArray x32 = dtype == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray out;
        try (NDArray pairsView = x32.reshape(shape.get(0), length, shape.get(2), pairs, 2);
             NDArray swapped = pairsView.flip(4); NDArray swappedFlat = swapped.reshape(shape);
             NDArray rotated = swappedFlat.mul(sinTable)) {
            out = x32.mul(cosTable).addi(rotated);
        }
        if (x32 != x) {
            x32.close();
        }
        if (dtype != DataType.FLOAT32) {
            NDArray cast = out.toType(dtype, false);
            out.close();
            out = cast;
        }
        return out;
    }

    /**
     * The table in diffusers' layout ({@code image_rotary_emb}: {@code [rows, 1, L, head_dim/2, 2, 2]}, each 2x2
     * block {@code [[cos, -sin], [sin, cos]]}), float32, in {@code manager}.
     */
    public NDArray freqsCis(NDManager manager) {
        float[] out = new float[cos.length * 4];
        for (int i = 0; i < cos.length; i++) {
            out[4 * i] = cos[i];
            out[4 * i + 1] = -sin[i];
            out[4 * i + 2] = sin[i];
            out[4 * i + 3] = cos[i];
        }
        return manager.create(out, new Shape(rows, 1, length, pairs, 2, 2));
    }

    @Override
    public void close() {
        cosTable.close();
        sinTable.close();
    }
}
